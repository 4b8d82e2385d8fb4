"""The plugin's own tables (prefix ``bigbuy_``), on their own metadata and Alembic branch.

Carrier toggles and price rules use core's ``carrier_settings`` and ``price_rules``; what lives
here is what only this plugin understands: per-integration options and product filters.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, MetaData, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.db.base import NAMING_CONVENTION, UTCDateTime, utcnow
from core.db.models import Integration


class CarrierStrategy(enum.StrEnum):
    """How an order's carrier is chosen among the enabled ones that serve it."""

    CHEAPEST = "cheapest"
    FASTEST = "fastest"


class FilterMode(enum.StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


DEFAULT_COMMISSION_PERCENT = Decimal("15")
"""Amazon's most common referral fee; set the integration's own with ``rules floor``."""


class BigbuyBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class IntegrationOptions(BigbuyBase):
    """Per-integration switches: price rules on/off, carrier strategy, and the price floor's inputs.

    No row means the defaults: rules off (RRP), cheapest carrier, 15 % commission, no shipping.
    """

    __tablename__ = "bigbuy_integration_options"
    __table_args__ = (
        CheckConstraint("commission_percent >= 0 AND commission_percent < 100", name="commission_range"),
        CheckConstraint("floor_shipping >= 0", name="shipping_non_negative"),
    )

    integration_id: Mapped[int] = mapped_column(
        ForeignKey(Integration.__table__.c.id, ondelete="CASCADE"), primary_key=True
    )
    rules_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    carrier_strategy: Mapped[str] = mapped_column(String(16), default=CarrierStrategy.CHEAPEST.value)
    commission_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=DEFAULT_COMMISSION_PERCENT)
    floor_shipping: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProductFilter(BigbuyBase):
    """Include or exclude products from one integration (all given conditions must hold)."""

    __tablename__ = "bigbuy_product_filters"
    __table_args__ = (
        CheckConstraint("mode IN ('include', 'exclude')", name="mode_known"),
        CheckConstraint("stock_below IS NULL OR stock_below >= 0", name="stock_below_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey(Integration.__table__.c.id, ondelete="CASCADE"), index=True
    )
    mode: Mapped[str] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(200))
    sku_pattern: Mapped[str | None] = mapped_column(String(200))
    stock_below: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
