"""How a listing price is set from the admin's rules, whichever plugins provide the rule types.

1. Rules are tried in priority order (lower number first; equal priorities by rule id), across
   every installed plugin's rule types. The **first rule whose conditions all hold and whose
   formula returns a price wins**; rules never stack. A formula returns nothing when the product
   lacks what it needs (a cost-based rule and no cost), and the next rule is tried.
2. No rule applies (or rules are off): the price is the product's RRP.
3. The price is rounded half-up to the cent, then moved *up* by the winning rule's rounding, so
   rounding never lowers a price.
4. The floor wins over everything: ``floor = (cost + shipping) / (1 - commission%)``, rounded up
   to the cent, so that after the channel's commission (charged on product + shipping) the sale
   still covers cost and shipping. A price below it is raised to it (then rounded up with the
   rule's rounding). Without a cost there is no floor.

Conditions belong to core, not to a rule type (all optional, all must hold): ``categories`` and
``brands`` (case-insensitive lists), ``sku_pattern`` (shell glob, e.g. ``BB-*``),
``price_min``/``price_max`` (inclusive, compared with the RRP, or the cost when there is no RRP).

Rules are compiled once (each plugin turns its own into a :class:`~core.types.PriceFormula`
through ``channelhub_price_formula``) and matched against a product's (category, brand) pair
through a cache, so the per-product cost stays a few dictionary look-ups and Decimal operations.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.dto import PriceRuleSpec
from core.errors import InputError, PluginError
from core.plugins import PluginManager
from core.types import PricedProduct, PriceRuleType

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


class Conditions(BaseModel):
    """Which products a rule applies to; every given condition must hold."""

    model_config = ConfigDict(extra="forbid")
    categories: list[str] | None = None
    brands: list[str] | None = None
    sku_pattern: str | None = Field(default=None, min_length=1, max_length=200)
    price_min: Decimal | None = Field(default=None, ge=0)
    price_max: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> Conditions:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError("price_min must not exceed price_max")
        return self


def validated(model: type[BaseModel], data: Mapping[str, object], what: str) -> BaseModel:
    """``data`` checked by ``model``; the first problem raises an error naming ``what.field``."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{what}.{field}" if field else what, first["msg"]) from exc


def floor_price(cost: Decimal | None, commission_percent: Decimal, shipping: Decimal) -> Decimal | None:
    """Lowest price that still covers cost and shipping after commission on the whole sale."""
    if cost is None:
        return None
    keep = ONE - commission_percent / HUNDRED
    return ((cost + shipping) / keep).quantize(CENT, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: int
    label: str
    categories: frozenset[str] | None
    brands: frozenset[str] | None
    sku_match: Callable[[str], object] | None
    price_min: Decimal | None
    price_max: Decimal | None
    compute: Callable[[PricedProduct], Decimal | None]
    round_up: Callable[[Decimal], Decimal] | None

    def accepts_group(self, category: str, brand: str) -> bool:
        return (self.categories is None or category in self.categories) and (
            self.brands is None or brand in self.brands
        )

    def accepts(self, sku: str, reference: Decimal | None) -> bool:
        if self.sku_match is not None and self.sku_match(sku) is None:
            return False
        if self.price_min is not None and (reference is None or reference < self.price_min):
            return False
        return not (self.price_max is not None and (reference is None or reference > self.price_max))


def compile_rule(
    spec: PriceRuleSpec, types: Mapping[str, PriceRuleType], plugins: PluginManager
) -> CompiledRule:
    """Validate a stored rule again (a plugin may have changed) and let its plugin compile it."""
    rule_type = types.get(spec.rule_type)
    if rule_type is None:
        raise InputError(
            "rule_type",
            f"rule {spec.rule_id} has type {spec.rule_type!r}, which no installed plugin provides "
            f"(installed: {', '.join(sorted(types)) or 'none'}); remove the rule or reinstall its plugin",
        )
    params = validated(rule_type.params_model, spec.params, "params")
    cond = validated(Conditions, spec.conditions, "conditions")
    assert isinstance(cond, Conditions)
    formula = plugins.price_formula(spec, params)
    if formula is None:
        raise PluginError(f"no plugin compiled rule {spec.rule_id} of type {spec.rule_type!r}")
    pattern = re.compile(fnmatch.translate(cond.sku_pattern)).match if cond.sku_pattern else None
    return CompiledRule(
        rule_id=spec.rule_id,
        label=f"rule {spec.rule_id} ({spec.rule_type})",
        categories=frozenset(c.casefold() for c in cond.categories) if cond.categories is not None else None,
        brands=frozenset(b.casefold() for b in cond.brands) if cond.brands is not None else None,
        sku_match=pattern,
        price_min=cond.price_min,
        price_max=cond.price_max,
        compute=formula.compute,
        round_up=formula.round_up,
    )


class ListingRow(NamedTuple):
    """A listing and its product as read for pricing in bulk: a :class:`~core.types.PricedProduct`.

    A named tuple because formulas read its fields a million times per preview: attribute
    access on it is a C-level index, several times cheaper than on a database row object.
    """

    sku: str
    category: str | None
    brand: str | None
    rrp: Decimal | None
    cost: Decimal | None
    currency: str | None
    """The product's currency."""
    current_price: Decimal | None
    """The price on the channel, last seen."""
    channel_sku: str
    listing_currency: str | None


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a fifth of the engine's time
class PriceResult:
    """A product's computed price (None: no RRP and no rule could price it) and why.

    ``floored``: the rules (or the RRP) gave less than the floor, which was used instead.
    """

    price: Decimal | None
    rule_id: int | None
    explanation: str
    floor: Decimal | None
    floored: bool = False


class PriceEngine:
    """Rules compiled once; :meth:`price` is cheap enough to call a million times."""

    def __init__(
        self,
        rules: Sequence[PriceRuleSpec],
        plugins: PluginManager,
        *,
        commission_percent: Decimal,
        floor_shipping: Decimal,
    ) -> None:
        types = plugins.price_rule_types()
        ordered = sorted(rules, key=lambda r: (r.priority, r.rule_id))
        self.rules = [compile_rule(r, types, plugins) for r in ordered]
        self.floor_shipping = floor_shipping
        self._keep = ONE - commission_percent / HUNDRED
        self._groups: dict[tuple[str | None, str | None], tuple[CompiledRule, ...]] = {}

    def _candidates(self, category: str | None, brand: str | None) -> tuple[CompiledRule, ...]:
        """Rules whose category and brand conditions accept this pair, in priority order."""
        key = ((category or "").casefold(), (brand or "").casefold())
        return tuple(r for r in self.rules if r.accepts_group(*key))

    def price(self, product: PricedProduct) -> PriceResult:
        """The price of one product (a :class:`ListingRow` or a :class:`~core.dto.PricingInput`)."""
        return self.price_read(
            product, product.sku, product.category, product.brand, product.rrp, product.cost
        )

    def price_read(
        self,
        product: PricedProduct,
        sku: str,
        category: str | None,
        brand: str | None,
        rrp: Decimal | None,
        cost: Decimal | None,
    ) -> PriceResult:
        """:meth:`price` with the fields the engine needs already read (bulk callers unpack rows)."""
        reference = rrp if rrp is not None else cost
        chosen: CompiledRule | None = None
        raw: Decimal | None = None
        candidates = self._groups.get((category, brand))  # fast path: exact spelling seen before
        if candidates is None:
            candidates = self._groups[(category, brand)] = self._candidates(category, brand)
        if candidates:
            for rule in candidates:
                if rule.accepts(sku, reference):
                    raw = rule.compute(product)
                    if raw is not None:
                        chosen = rule
                        break
        round_up: Callable[[Decimal], Decimal] | None = None
        if chosen is None:
            if rrp is None:
                return PriceResult(None, None, "no RRP and no rule applies", None)
            price, why = rrp.quantize(CENT, rounding=ROUND_HALF_UP), "RRP"
        else:
            assert raw is not None
            price = (raw if raw > ZERO else ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
            round_up, why = chosen.round_up, chosen.label
            if round_up is not None:
                price = round_up(price)
        rule_id = None if chosen is None else chosen.rule_id
        if cost is None:
            return PriceResult(price, rule_id, why, None)
        floor = ((cost + self.floor_shipping) / self._keep).quantize(CENT, rounding=ROUND_CEILING)
        if price < floor:
            raised = floor if round_up is None else round_up(floor)
            why = f"floor {floor} (cost + shipping + commission) over {why}"
            return PriceResult(raised, rule_id, why, floor, floored=True)
        return PriceResult(price, rule_id, why, floor)

    def price_many(self, rows: Iterable[ListingRow]) -> Iterator[PriceResult]:
        """Bulk form of :meth:`price` (unpacking a named tuple beats reading its fields one by one)."""
        price = self.price_read
        for row in rows:
            sku, category, brand, rrp, cost, _, _, _, _ = row
            yield price(row, sku, category, brand, rrp, cost)
