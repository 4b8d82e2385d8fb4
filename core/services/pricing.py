"""Price rules as a use case: rule types, rule CRUD, pricing settings, preview and apply.

Plugin-agnostic: rule types come from every installed plugin's ``channelhub_price_rule_types``,
each rule's params are validated by its type's pydantic model and its conditions by core's
(:class:`~core.services.price_engine.Conditions`), and prices are computed by
:class:`~core.services.price_engine.PriceEngine` through each plugin's
``channelhub_price_formula``. Core alone writes ``price_rules``, ``pricing_settings`` and the
outbox. The CLI and the web console call these functions; they take ids and plain values,
return dataclasses, and raise :class:`~core.errors.InputError` naming the field on bad input
(nothing stored).

Preview and apply walk the same listings through the same engine, so what a preview shows is
exactly what apply queues. A listing is *affected* when its computed price differs from the
channel price last seen (or it has none). Listings whose currency differs from the product's
are skipped: channelhub never converts money.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db.models import (
    DEFAULT_COMMISSION_PERCENT,
    Integration,
    Listing,
    OutboxKind,
    PriceRule,
    PricingSettings,
    Product,
)
from core.dto import Money, PriceDecision, PriceRuleSpec, PricingInput
from core.errors import InputError, NotFoundError
from core.plugins import PluginManager
from core.services import catalog
from core.services.integrations import get_integration
from core.services.price_engine import Conditions, ListingRow, PriceEngine, validated

BATCH = 20_000
PRIORITY_RANGE = (0, 1_000_000)
LISTING_COLUMNS = (
    Product.sku,
    Product.category,
    Product.brand,
    Product.rrp,
    Product.cost,
    Product.currency,
    Listing.channel_price,
    Listing.channel_sku,
    Listing.currency,
)
"""Read for each listing, in :class:`~core.services.price_engine.ListingRow`'s field order."""


# ---------------------------------------------------------------------- rule types
@dataclass(frozen=True, slots=True)
class RuleTypeInfo:
    """A rule type an admin can pick, with its parameters' JSON schema (a form can be built from it)."""

    key: str
    name: str
    description: str
    params_schema: dict[str, Any]


def rule_types(plugins: PluginManager) -> list[RuleTypeInfo]:
    """Every installed plugin's rule types, by key."""
    return [
        RuleTypeInfo(t.key, t.name, t.description, t.params_model.model_json_schema())
        for _, t in sorted(plugins.price_rule_types().items())
    ]


# ---------------------------------------------------------------------- rules
@dataclass(frozen=True, slots=True)
class NewRule:
    """What an admin gives to add a rule; ``integration_id`` None = every integration."""

    rule_type: str
    params: Mapping[str, object] = field(default_factory=dict)
    conditions: Mapping[str, object] = field(default_factory=dict)
    integration_id: int | None = None
    name: str | None = None
    priority: int = 100


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: int
    name: str
    rule_type: str
    priority: int
    enabled: bool
    integration_id: int | None
    integration: str | None
    conditions: dict[str, Any]
    params: dict[str, Any]


def _info(rule: PriceRule, alias: str | None) -> RuleInfo:
    return RuleInfo(
        rule.id,
        rule.name,
        rule.rule_type,
        rule.priority,
        rule.enabled,
        rule.integration_id,
        alias,
        dict(rule.conditions),
        dict(rule.params),
    )


def add_rule(session: Session, plugins: PluginManager, new: NewRule) -> RuleInfo:
    """Validate and store a rule; on bad input raise naming the field and store nothing."""
    types = plugins.price_rule_types()
    if new.rule_type not in types:
        known = ", ".join(sorted(types)) or "none installed"
        raise InputError("rule_type", f"unknown rule type {new.rule_type!r} (known: {known})")
    _check_priority_and_name(new.priority, new.name)
    params = validated(types[new.rule_type].params_model, new.params, "params")
    conditions = validated(Conditions, new.conditions, "conditions")
    alias = None if new.integration_id is None else get_integration(session, new.integration_id).alias
    rule = PriceRule(
        integration_id=new.integration_id,
        name=new.name or new.rule_type,
        rule_type=new.rule_type,
        priority=new.priority,
        enabled=True,
        conditions=conditions.model_dump(mode="json", exclude_none=True),
        params=params.model_dump(mode="json", exclude_unset=True),
    )
    session.add(rule)
    session.flush()
    return _info(rule, alias)


def _check_priority_and_name(priority: int | None, name: str | None) -> None:
    low, high = PRIORITY_RANGE
    if priority is not None and not low <= priority <= high:
        raise InputError("priority", f"must be from {low} to {high}, got {priority}")
    if name is not None and not 0 < len(name) <= 200:
        raise InputError("name", "must be 1 to 200 characters")


@dataclass(frozen=True, slots=True)
class RuleChange:
    """What an admin changes on a rule; None leaves that part as it is.

    ``params`` and ``conditions`` replace the stored ones whole (validated as an add validates
    them). A rule's type never changes: its params would mean something else.
    """

    params: Mapping[str, object] | None = None
    conditions: Mapping[str, object] | None = None
    name: str | None = None
    priority: int | None = None
    enabled: bool | None = None


def update_rule(session: Session, plugins: PluginManager, rule_id: int, change: RuleChange) -> RuleInfo:
    """Validate and apply a change to a rule; on bad input raise naming the field, change nothing."""
    rule = session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no price rule {rule_id}")
    types = plugins.price_rule_types()
    if rule.rule_type not in types:
        raise InputError("rule_type", f"rule type {rule.rule_type!r} is not installed: it cannot be checked")
    _check_priority_and_name(change.priority, change.name)
    params = (
        None
        if change.params is None
        else validated(types[rule.rule_type].params_model, change.params, "params")
    )
    conditions = None if change.conditions is None else validated(Conditions, change.conditions, "conditions")
    if params is not None:
        rule.params = params.model_dump(mode="json", exclude_unset=True)
    if conditions is not None:
        rule.conditions = conditions.model_dump(mode="json", exclude_none=True)
    if change.name is not None:
        rule.name = change.name
    if change.priority is not None:
        rule.priority = change.priority
    if change.enabled is not None:
        rule.enabled = change.enabled
    session.flush()
    alias = None if rule.integration_id is None else get_integration(session, rule.integration_id).alias
    return _info(rule, alias)


def get_rule(session: Session, rule_id: int) -> RuleInfo:
    rule = session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no price rule {rule_id}")
    alias = None if rule.integration_id is None else get_integration(session, rule.integration_id).alias
    return _info(rule, alias)


def list_rules(session: Session, integration_id: int | None = None) -> list[RuleInfo]:
    """Rules in the order they are tried (priority, then id): the integration's and global ones."""
    query = (
        select(PriceRule, Integration.alias)
        .outerjoin(Integration, Integration.id == PriceRule.integration_id)
        .order_by(PriceRule.priority, PriceRule.id)
    )
    if integration_id is not None:
        query = query.where(
            or_(PriceRule.integration_id == integration_id, PriceRule.integration_id.is_(None))
        )
    return [_info(rule, alias) for rule, alias in session.execute(query)]


def remove_rule(session: Session, rule_id: int) -> None:
    rule = session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no price rule {rule_id}")
    session.delete(rule)
    session.flush()


def rule_specs(session: Session, integration_id: int) -> list[PriceRuleSpec]:
    """Enabled rules of the integration and global ones, as handed to plugins."""
    rules = session.scalars(
        select(PriceRule)
        .where(
            PriceRule.enabled.is_(True),
            or_(PriceRule.integration_id == integration_id, PriceRule.integration_id.is_(None)),
        )
        .order_by(PriceRule.priority, PriceRule.id)
    )
    return [PriceRuleSpec(r.id, r.rule_type, r.priority, dict(r.conditions), dict(r.params)) for r in rules]


# ---------------------------------------------------------------------- settings
@dataclass(frozen=True, slots=True)
class PricingConfig:
    """An integration's pricing switches (the defaults when none were stored)."""

    integration_id: int
    rules_enabled: bool
    commission_percent: Decimal
    floor_shipping: Decimal
    updated_at: datetime | None


def get_config(session: Session, integration_id: int) -> PricingConfig:
    stored = session.get(PricingSettings, integration_id)
    if stored is None:
        return PricingConfig(integration_id, False, DEFAULT_COMMISSION_PERCENT, Decimal(0), None)
    return PricingConfig(
        integration_id,
        stored.rules_enabled,
        Decimal(stored.commission_percent),
        Decimal(stored.floor_shipping),
        stored.updated_at,
    )


def configure(
    session: Session,
    integration_id: int,
    *,
    rules_enabled: bool | None = None,
    commission_percent: Decimal | None = None,
    floor_shipping: Decimal | None = None,
) -> PricingConfig:
    """Change some pricing settings (``None`` leaves one as it is); bad values name the field."""
    if commission_percent is not None and not (
        commission_percent.is_finite() and Decimal(0) <= commission_percent < 100
    ):
        raise InputError("commission", "must be a percentage from 0 up to (not including) 100")
    if floor_shipping is not None and not (
        floor_shipping.is_finite() and Decimal(0) <= floor_shipping < 10**12
    ):
        raise InputError("shipping", "must be 0 or more")
    get_integration(session, integration_id)
    stored = session.get(PricingSettings, integration_id)
    if stored is None:
        stored = PricingSettings(
            integration_id=integration_id,
            rules_enabled=False,
            commission_percent=DEFAULT_COMMISSION_PERCENT,
            floor_shipping=Decimal(0),
        )
        session.add(stored)
    if rules_enabled is not None:
        stored.rules_enabled = rules_enabled
    if commission_percent is not None:
        stored.commission_percent = commission_percent
    if floor_shipping is not None:
        stored.floor_shipping = floor_shipping
    session.flush()
    return get_config(session, integration_id)


# ---------------------------------------------------------------------- preview and apply
def engine_for(session: Session, plugins: PluginManager, integration_id: int) -> PriceEngine:
    """The integration's engine: its rules when rules are on, none (RRP, floor) when off."""
    config = get_config(session, integration_id)
    return PriceEngine(
        rule_specs(session, integration_id) if config.rules_enabled else [],
        plugins,
        commission_percent=config.commission_percent,
        floor_shipping=config.floor_shipping,
    )


def decide(
    plugins: PluginManager,
    product: PricingInput,
    rules: Sequence[PriceRuleSpec],
    *,
    commission_percent: Decimal = DEFAULT_COMMISSION_PERCENT,
    floor_shipping: Decimal = Decimal(0),
) -> PriceDecision | None:
    """One product's price under ``rules`` (what a preview row shows); None when nothing prices it."""
    engine = PriceEngine(rules, plugins, commission_percent=commission_percent, floor_shipping=floor_shipping)
    result = engine.price(product)
    if result.price is None:
        return None
    return PriceDecision(Money(result.price, product.currency), result.rule_id, result.explanation)


@dataclass(frozen=True, slots=True)
class PriceChange:
    """One affected listing: the price last seen on the channel and the one rules give."""

    channel_sku: str
    product_sku: str
    old_price: Decimal | None
    new_price: Decimal
    currency: str
    rule_id: int | None
    explanation: str
    floored: bool


def changes(
    session: Session, plugins: PluginManager, integration_id: int, *, chunk: int = BATCH
) -> Iterator[PriceChange]:
    """Every listing of the integration whose computed price differs from its channel price.

    Listings are read in id order, ``chunk`` at a time (keyset: each query starts after the last
    id seen), so the first changes arrive after one small query whatever the catalogue's size
    (a console page asks for small chunks) and no query sorts every listing.
    """
    engine = engine_for(session, plugins, integration_id)
    query = (
        select(Listing.id, *LISTING_COLUMNS)
        .join(Product, Product.id == Listing.product_id)
        .where(Listing.integration_id == integration_id)
        .order_by(Listing.id)
    )
    price, make = engine.price_read, ListingRow._make
    for row in _chunks(session, query, chunk):
        product = make(row)
        sku, category, brand, rrp, cost, product_currency, old, channel_sku, listing_currency = product
        currency = listing_currency or product_currency
        if currency is None or (product_currency is not None and currency != product_currency):
            continue
        result = price(product, sku, category, brand, rrp, cost)
        if result.price is None or (old is not None and result.price == old):
            continue
        yield PriceChange(
            channel_sku,
            sku,
            old,
            result.price,
            currency,
            result.rule_id,
            result.explanation,
            result.floored,
        )


def _chunks(session: Session, query: Any, size: int) -> Iterator[Any]:
    """The rows of ``query`` (first column a listing id, ordered by it), ``size`` per query, id dropped."""
    last = 0
    while True:
        rows = session.execute(query.where(Listing.id > last).limit(size)).all()
        for row in rows:
            yield row[1:]
        if len(rows) < size:
            return
        last = rows[-1][0]


@dataclass(frozen=True, slots=True)
class Preview:
    integration_id: int
    rules_enabled: bool
    changes: list[PriceChange]
    total: int


def preview(
    session: Session,
    plugins: PluginManager,
    integration_id: int,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Preview:
    """The affected listings (a page of them when ``limit`` is given) and how many in all; writes nothing."""
    if offset < 0:
        raise InputError("offset", "must be 0 or more")
    if limit is not None and limit < 1:
        raise InputError("limit", "must be 1 or more")
    enabled = get_config(session, integration_id).rules_enabled
    page: list[PriceChange] = []
    total = 0
    for change in changes(session, plugins, integration_id):
        if total >= offset and (limit is None or len(page) < limit):
            page.append(change)
        total += 1
    return Preview(integration_id, enabled, page, total)


def apply(session: Session, plugins: PluginManager, integration_id: int) -> int:
    """Queue every affected listing's new price through core's outbox writer; returns rows queued."""
    written = 0
    batch: list[catalog.OutboxRow] = []
    for change in changes(session, plugins, integration_id):
        batch.append(
            (integration_id, OutboxKind.PRICE, change.channel_sku, None, change.new_price, change.currency)
        )
        if len(batch) >= BATCH:
            written += catalog.queue_bulk(session, batch)
            batch = []
    return written + catalog.queue_bulk(session, batch)
