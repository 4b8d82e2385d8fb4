"""Price rules: the rule types, their conditions, and an engine that prices products in bulk.

How a price is set (stated here, in ``rules --help`` and in the docs):

1. Rules are tried in priority order (lower number first; equal priorities by rule id). The
   **first rule whose conditions all hold and that can compute a price wins**; rules never
   stack. A rule that needs the cost (margin, profit, or a cost-based markup) is skipped for a
   product without a cost, and the next rule is tried.
2. No rule applies (or rules are off): the price is the product's RRP.
3. The winning rule's rounding moves the price *up* to the next ending (.99, .49 or whole), so
   rounding never lowers a price.
4. The floor wins over everything: ``floor = (cost + shipping) / (1 - commission%)``, rounded up
   to the cent, so that after the channel's commission (charged on product + shipping) the sale
   still covers cost and shipping. A price below it is raised to it (then rounded up with the
   rule's rounding). Without a cost there is no floor.

Conditions (all optional, all must hold): ``categories`` and ``brands`` (case-insensitive
lists), ``sku_pattern`` (shell glob, e.g. ``BB-*``), ``price_min``/``price_max`` (inclusive,
compared with the product's RRP, or its cost when it has no RRP).

Compiling rules once and matching them against each product's (category, brand) pair through a
cache keeps the per-product cost to a few dictionary look-ups and Decimal operations.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.dto import PriceRuleSpec
from core.errors import InputError
from core.types import PriceRuleType

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

Rounding = Literal["none", "0.99", "0.49", "whole"]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rounding: Rounding = "none"


class PercentParams(_Params):
    """``percent`` > 0 marks up, < 0 marks down; applied to the RRP (or the cost)."""

    percent: Decimal = Field(gt=-100, le=10000)
    base: Literal["rrp", "cost"] = "rrp"


class FixedParams(_Params):
    """``amount`` > 0 adds, < 0 takes off; applied to the RRP (or the cost)."""

    amount: Decimal = Field(ge=-1_000_000, le=1_000_000)
    base: Literal["rrp", "cost"] = "rrp"


class MarginParams(_Params):
    """BigBuy's margin strategy: price = (cost + cost x percent) + taxes."""

    percent: Decimal = Field(ge=0, le=10000)
    tax_percent: Decimal = Field(default=ZERO, ge=0, le=100)


class ProfitParams(_Params):
    """BigBuy's profit strategy: price = cost / (1 - percent) + taxes."""

    percent: Decimal = Field(ge=0, lt=100)
    tax_percent: Decimal = Field(default=ZERO, ge=0, le=100)


class Conditions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[str] | None = None
    brands: list[str] | None = None
    sku_pattern: str | None = Field(default=None, min_length=1)
    price_min: Decimal | None = Field(default=None, ge=0)
    price_max: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _range(self) -> Conditions:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError("price_min must not exceed price_max")
        return self


RULE_TYPES: dict[str, PriceRuleType] = {
    t.key: t
    for t in (
        PriceRuleType(
            "percent", "Percent markup/markdown", "RRP (or cost) plus or minus a percentage", PercentParams
        ),
        PriceRuleType("fixed", "Fixed markup/markdown", "RRP (or cost) plus or minus an amount", FixedParams),
        PriceRuleType("margin", "BigBuy margin", "cost + cost x percent, plus taxes", MarginParams),
        PriceRuleType("profit", "BigBuy profit", "cost / (1 - percent), plus taxes", ProfitParams),
    )
}


def _validated(model: type[BaseModel], data: dict[str, object], what: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or what
        raise InputError(f"{what}.{field}", first["msg"]) from exc


def validate_rule(rule_type: str, conditions: dict[str, object], params: dict[str, object]) -> None:
    """Refuse a rule an admin is adding, naming the bad field; nothing is stored on failure."""
    if rule_type not in RULE_TYPES:
        raise InputError("rule_type", f"unknown rule type {rule_type!r} (known: {', '.join(RULE_TYPES)})")
    _validated(RULE_TYPES[rule_type].params_model, params, "params")
    _validated(Conditions, conditions, "conditions")


# ---------------------------------------------------------------------- rounding and floor
def round_up_to(price: Decimal, rounding: str) -> Decimal:
    """The smallest price >= ``price`` with the requested ending (cents already applied)."""
    if rounding == "none":
        return price
    if rounding == "whole":
        return price.to_integral_value(rounding=ROUND_CEILING).quantize(CENT)
    units = price.to_integral_value(rounding=ROUND_FLOOR)
    ending = Decimal("0.99") if rounding == "0.99" else Decimal("0.49")
    candidate = units + ending
    return candidate if candidate >= price else candidate + ONE


def floor_price(cost: Decimal | None, commission_percent: Decimal, shipping: Decimal) -> Decimal | None:
    """Lowest price that still covers cost and shipping after commission on the whole sale."""
    if cost is None:
        return None
    keep = ONE - commission_percent / HUNDRED
    return ((cost + shipping) / keep).quantize(CENT, rounding=ROUND_CEILING)


# ---------------------------------------------------------------------- compiled rules
Formula = Callable[[Decimal | None, Decimal | None], Decimal | None]


def _formula(rule_type: str, params: BaseModel) -> Formula:
    """A function (rrp, cost) -> raw price, or None when the product lacks what it needs."""
    if isinstance(params, PercentParams | FixedParams):
        use_cost = params.base == "cost"
        if isinstance(params, PercentParams):
            factor = ONE + params.percent / HUNDRED

            def adjust(base: Decimal) -> Decimal:
                return base * factor
        else:
            amount = params.amount

            def adjust(base: Decimal) -> Decimal:
                return base + amount

        def on_base(rrp: Decimal | None, cost: Decimal | None) -> Decimal | None:
            base = cost if use_cost else rrp
            return None if base is None else adjust(base)

        return on_base
    if isinstance(params, MarginParams):
        factor = (ONE + params.percent / HUNDRED) * (ONE + params.tax_percent / HUNDRED)
        return lambda rrp, cost: cost * factor if cost is not None else None
    if isinstance(params, ProfitParams):
        factor = (ONE + params.tax_percent / HUNDRED) / (ONE - params.percent / HUNDRED)
        return lambda rrp, cost: cost * factor if cost is not None else None
    raise InputError("rule_type", f"unknown rule type {rule_type!r}")


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: int
    priority: int
    label: str
    categories: frozenset[str] | None
    brands: frozenset[str] | None
    sku_match: Callable[[str], object] | None
    price_min: Decimal | None
    price_max: Decimal | None
    formula: Formula
    rounding: str

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


def compile_rule(spec: PriceRuleSpec) -> CompiledRule:
    if spec.rule_type not in RULE_TYPES:
        raise InputError("rule_type", f"rule {spec.rule_id} has unknown type {spec.rule_type!r}")
    params = _validated(RULE_TYPES[spec.rule_type].params_model, dict(spec.params), "params")
    cond = _validated(Conditions, dict(spec.conditions), "conditions")
    assert isinstance(cond, Conditions)
    pattern = re.compile(fnmatch.translate(cond.sku_pattern)).match if cond.sku_pattern else None
    return CompiledRule(
        rule_id=spec.rule_id,
        priority=spec.priority,
        label=f"rule {spec.rule_id} ({spec.rule_type})",
        categories=frozenset(c.casefold() for c in cond.categories) if cond.categories is not None else None,
        brands=frozenset(b.casefold() for b in cond.brands) if cond.brands is not None else None,
        sku_match=pattern,
        price_min=cond.price_min,
        price_max=cond.price_max,
        formula=_formula(spec.rule_type, params),
        rounding=getattr(params, "rounding", "none"),
    )


@dataclass(slots=True)
class PriceResult:
    """A product's computed price (None: no RRP and no rule could price it) and why."""

    price: Decimal | None
    rule_id: int | None
    explanation: str
    floor: Decimal | None


class PricingEngine:
    """Rules compiled once; :meth:`price` is cheap enough to call a million times."""

    def __init__(
        self,
        rules: Sequence[PriceRuleSpec],
        *,
        commission_percent: Decimal,
        floor_shipping: Decimal,
    ) -> None:
        ordered = sorted(rules, key=lambda r: (r.priority, r.rule_id))
        self.rules = [compile_rule(r) for r in ordered]
        self.commission_percent = commission_percent
        self.floor_shipping = floor_shipping
        self._keep = ONE - commission_percent / HUNDRED
        self._groups: dict[tuple[str | None, str | None], tuple[CompiledRule, ...]] = {}

    def _candidates(self, category: str | None, brand: str | None) -> tuple[CompiledRule, ...]:
        """Rules whose category and brand conditions accept this pair, in priority order."""
        key = ((category or "").casefold(), (brand or "").casefold())
        return tuple(r for r in self.rules if r.accepts_group(*key))

    def price(
        self,
        sku: str,
        category: str | None,
        brand: str | None,
        rrp: Decimal | None,
        cost: Decimal | None,
    ) -> PriceResult:
        reference = rrp if rrp is not None else cost
        chosen: CompiledRule | None = None
        raw: Decimal | None = None
        candidates = self._groups.get((category, brand))  # fast path: exact spelling seen before
        if candidates is None:
            candidates = self._groups[(category, brand)] = self._candidates(category, brand)
        for rule in candidates:
            if rule.accepts(sku, reference):
                raw = rule.formula(rrp, cost)
                if raw is not None:
                    chosen = rule
                    break
        if chosen is None:
            if rrp is None:
                return PriceResult(None, None, "no RRP and no rule applies", None)
            price, rounding, why = rrp.quantize(CENT, rounding=ROUND_HALF_UP), "none", "RRP"
        else:
            assert raw is not None
            price = (raw if raw > ZERO else ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
            rounding, why = chosen.rounding, chosen.label
            if rounding != "none":
                price = round_up_to(price, rounding)
        floor = (
            None
            if cost is None
            else ((cost + self.floor_shipping) / self._keep).quantize(CENT, rounding=ROUND_CEILING)
        )
        if floor is not None and price < floor:
            return PriceResult(
                round_up_to(floor, rounding),
                chosen.rule_id if chosen else None,
                f"floor {floor} (cost + shipping + commission) over {why}",
                floor,
            )
        return PriceResult(price, chosen.rule_id if chosen else None, why, floor)

    def price_many(
        self, products: Iterable[tuple[str, str | None, str | None, Decimal | None, Decimal | None]]
    ) -> Iterator[PriceResult]:
        """Bulk form of :meth:`price` over (sku, category, brand, rrp, cost) tuples."""
        price = self.price
        for sku, category, brand, rrp, cost in products:
            yield price(sku, category, brand, rrp, cost)
