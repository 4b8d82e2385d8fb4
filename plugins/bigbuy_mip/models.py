"""The plugin's own tables (prefix ``bigbuy_``), on their own metadata and Alembic branch.

Carrier toggles, price rules and pricing settings use core's ``carrier_settings``,
``price_rules`` and ``pricing_settings``; what lives here is what only this plugin understands:
the carrier strategy per integration and product filters.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Integration, PluginBase, plugin_metadata, utcnow


class CarrierStrategy(enum.StrEnum):
    """How an order's carrier is chosen among the enabled ones that serve it."""

    CHEAPEST = "cheapest"
    FASTEST = "fastest"


class FilterMode(enum.StrEnum):
    INCLUDE = "include"
    EXCLUDE = "exclude"


class BigbuyBase(PluginBase):
    """Separate metadata, on the plugin's own Alembic branch."""

    __abstract__ = True
    metadata = plugin_metadata()


class IntegrationOptions(BigbuyBase):
    """Per-integration carrier strategy (no row: cheapest). Pricing settings are core's."""

    __tablename__ = "bigbuy_integration_options"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey(Integration.__table__.c.id, ondelete="CASCADE"), primary_key=True
    )
    carrier_strategy: Mapped[str] = mapped_column(String(16), default=CarrierStrategy.CHEAPEST.value)
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
