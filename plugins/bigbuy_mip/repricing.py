"""Preview and apply an integration's prices over the database.

Preview and apply walk the same listings through the same :class:`PricingEngine`, so what a
preview shows is exactly what apply queues. A listing is *affected* when its computed price
differs from the channel price last seen (or it has none). Apply writes one outbox price row per
affected listing, the same row ``core.services.catalog.enqueue_price`` writes, but as bulk
inserts: a million ORM objects would take minutes. Listings whose currency differs from the
product's are skipped: channelhub never converts money.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db.models import Integration, Listing, OutboxKind, PriceRule, Product
from core.dto import PriceRuleSpec
from plugins.bigbuy_mip import outbox_bulk
from plugins.bigbuy_mip.options import get_options
from plugins.bigbuy_mip.pricing import PricingEngine

INSERT_CHUNK = 20_000


def rule_specs(session: Session, integration_id: int) -> list[PriceRuleSpec]:
    """Enabled rules of the integration and global ones (no integration), priority order."""
    rules = session.scalars(
        select(PriceRule)
        .where(
            PriceRule.enabled.is_(True),
            or_(PriceRule.integration_id == integration_id, PriceRule.integration_id.is_(None)),
        )
        .order_by(PriceRule.priority, PriceRule.id)
    )
    return [PriceRuleSpec(r.id, r.rule_type, r.priority, dict(r.conditions), dict(r.params)) for r in rules]


def engine_for(session: Session, integration: Integration) -> PricingEngine:
    """The integration's engine: its rules when rules are on, none (RRP, floor) when off."""
    options = get_options(session, integration.id)
    rules = rule_specs(session, integration.id) if options.rules_enabled else []
    return PricingEngine(
        rules,
        commission_percent=Decimal(options.commission_percent),
        floor_shipping=Decimal(options.floor_shipping),
    )


@dataclass(frozen=True, slots=True)
class PriceChange:
    channel_sku: str
    product_sku: str
    old_price: Decimal | None
    new_price: Decimal
    currency: str
    rule_id: int | None
    explanation: str


def changes(session: Session, integration: Integration) -> Iterator[PriceChange]:
    """Every listing of the integration whose computed price differs from its channel price."""
    engine = engine_for(session, integration)
    rows = session.execute(
        select(
            Listing.channel_sku,
            Listing.channel_price,
            Listing.currency,
            Product.sku,
            Product.category,
            Product.brand,
            Product.rrp,
            Product.cost,
            Product.currency,
        )
        .join(Product, Product.id == Listing.product_id)
        .where(Listing.integration_id == integration.id)
        .order_by(Listing.id)
        .execution_options(yield_per=INSERT_CHUNK)
    )
    price = engine.price
    for channel_sku, old, listing_currency, sku, category, brand, rrp, cost, product_currency in rows:
        currency = listing_currency or product_currency
        if currency is None or (product_currency is not None and currency != product_currency):
            continue
        result = price(sku, category, brand, rrp, cost)
        if result.price is None or (old is not None and result.price == old):
            continue
        yield PriceChange(channel_sku, sku, old, result.price, currency, result.rule_id, result.explanation)


def apply(session: Session, integration: Integration) -> int:
    """Queue every affected listing's new price in the outbox; returns the rows written."""
    written = 0
    batch: list[outbox_bulk.OutboxRow] = []
    for change in changes(session, integration):
        batch.append(
            (integration.id, OutboxKind.PRICE, change.channel_sku, None, change.new_price, change.currency)
        )
        if len(batch) >= INSERT_CHUNK:
            written += outbox_bulk.write(session, batch)
            batch = []
    return written + outbox_bulk.write(session, batch)
