"""The domain model (DESIGN.md section 2) as SQLAlchemy 2 typed mappings.

Constraints live in the database, not only in code, so two workers racing each other cannot
store what a single worker would refuse: one order per channel order id per integration, no
negative stock, money as exact decimals beside its currency.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import Secrets, decrypt_secrets, encrypt_secrets
from core.db.base import Base, Currency, JSONDict, Money, channel_text, enum_column, utcnow
from core.dto import Fulfilment


class IntegrationStatus(enum.StrEnum):
    INCOMPLETE = "incomplete"
    LIVE = "live"
    ERROR = "error"


class StockSource(enum.StrEnum):
    """Where a product's on-hand stock came from.

    ``channel``: adopted from the first MFN listing import of an integration; the hub shows it and
    commits orders against it but pushes nothing until a person confirms stock, because the
    listing already shows that value and the channels' own quantities may overlap. ``hub``: set by
    a person (``stock set``, ``products set``, ``products import``): the hub owns it and pushes it.
    """

    CHANNEL = "channel"
    HUB = "hub"


class OrderStatus(enum.StrEnum):
    """The hub's order workflow (ShipStation's statuses)."""

    AWAITING_PAYMENT = "awaiting_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    PENDING_REVIEW = "pending_review"
    ON_HOLD = "on_hold"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


COMMITTED_STATUSES = (
    OrderStatus.AWAITING_PAYMENT,
    OrderStatus.AWAITING_SHIPMENT,
    OrderStatus.PENDING_REVIEW,
    OrderStatus.ON_HOLD,
)
"""Unshipped orders whose units are committed (taken from stock, not yet shipped)."""

TO_SHIP_STATUSES = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PENDING_REVIEW, OrderStatus.ON_HOLD)
"""Paid, unshipped orders: the ones a warehouse ships, whose ship-by date matters."""


class NotifyState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    NOT_REQUIRED = "not_required"
    MANUAL = "manual"
    FAILED = "failed"


class OutboxKind(enum.StrEnum):
    QUANTITY = "quantity"
    PRICE = "price"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class JobStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Integration(Base):
    """One connection to one marketplace of a channel (e.g. Amazon UK), told apart by alias."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_key: Mapped[str] = mapped_column(String(64))
    marketplace: Mapped[str] = mapped_column(String(16))
    alias: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[IntegrationStatus] = mapped_column(
        enum_column(IntegrationStatus), default=IntegrationStatus.INCOMPLETE
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[JSONDict]
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    disabled_at: Mapped[datetime | None]
    """Set while a person has switched it off: nothing syncs or is verified until enabled."""
    removed_at: Mapped[datetime | None]
    """Set when removed but kept for its orders (archived): credentials erased, never synced."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def active(self) -> bool:
        """Neither disabled nor removed: the scheduler and ``sync run`` may use it."""
        return self.disabled_at is None and self.removed_at is None

    def set_credentials(self, values: dict[str, str]) -> None:
        """Encrypt and store; the plain values never reach the database or a log."""
        self.credentials_encrypted = encrypt_secrets(values)

    def credentials(self) -> Secrets:
        return decrypt_secrets(self.credentials_encrypted) if self.credentials_encrypted else Secrets()

    def __repr__(self) -> str:
        return f"Integration(id={self.id}, alias={self.alias!r}, status={self.status})"


class Product(Base):
    """A hub product: the same SKU on several integrations is one product."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock_on_hand >= 0", name="stock_non_negative"),
        CheckConstraint("rrp IS NULL OR rrp >= 0", name="rrp_non_negative"),
        CheckConstraint("cost IS NULL OR cost >= 0", name="cost_non_negative"),
        CheckConstraint(
            "stock_source IS NULL OR stock_source IN ('channel', 'hub')", name="stock_source_known"
        ),
        # console search by title prefix, in page order; migration 0010 builds it on
        # lower(title) COLLATE "C", the collation a btree needs for LIKE 'prefix%' (Alembic
        # reflects index expressions without it, so it is not repeated here). SQLite scans.
        Index("ix_products_title_search", text("lower(title)")).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql"), unique=True
    )
    """Collated "C" on PostgreSQL so its unique index also serves SKU prefix search (0010)."""
    title: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(String(200), index=True)
    category: Mapped[str | None] = mapped_column(String(200), index=True)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    rrp: Mapped[Money | None]
    cost: Mapped[Money | None]
    currency: Mapped[Currency | None]
    ean: Mapped[str | None] = mapped_column(String(32))
    stock_on_hand: Mapped[int | None] = mapped_column(Integer)
    """Units on hand; None while the hub has never learned them (unknown is not zero)."""
    stock_source: Mapped[StockSource | None] = mapped_column(String(16))
    """Who the on-hand value came from: adopted from a channel listing, or set in the hub."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    listings: Mapped[list[Listing]] = relationship(back_populates="product")


class Listing(Base):
    """A product offered on one integration, with what the channel last told us."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("integration_id", "channel_sku"),
        CheckConstraint("channel_quantity IS NULL OR channel_quantity >= 0", name="qty_non_negative"),
        CheckConstraint("channel_price IS NULL OR channel_price >= 0", name="price_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    channel_sku: Mapped[str] = mapped_column(String(200))
    asin: Mapped[str | None] = mapped_column(String(20))
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment), default=Fulfilment.MFN)
    channel_price: Mapped[Money | None]
    currency: Mapped[Currency | None]
    channel_quantity: Mapped[int | None]
    last_seen_at: Mapped[datetime | None]
    excluded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Excluded by the integration's product filters (a plugin decides, core stores): pushes 0."""

    product: Mapped[Product] = relationship(back_populates="listings")


class Order(Base):
    """A channel order. ``(integration_id, channel_order_id)`` is unique: imports upsert."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("integration_id", "channel_order_id"),
        CheckConstraint("total IS NULL OR total >= 0", name="total_non_negative"),
        Index("ix_orders_status_ship_by", "status", "ship_by"),
        Index("ix_orders_ship_by_id", "ship_by", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="RESTRICT"))
    channel_order_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    channel_status: Mapped[str | None] = mapped_column(String(64))
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment))
    purchase_date: Mapped[datetime]
    channel_updated_at: Mapped[datetime | None]
    ship_by: Mapped[datetime | None]
    currency: Mapped[Currency]
    total: Mapped[Money | None]
    shipping_total: Mapped[Money | None]
    tax_total: Mapped[Money | None]
    is_gift: Mapped[bool] = mapped_column(Boolean, default=False)
    buyer_data_available: Mapped[bool] = mapped_column(Boolean, default=True)
    buyer_name: Mapped[str | None] = mapped_column(channel_text(300))
    buyer_email: Mapped[str | None] = mapped_column(channel_text(300))
    buyer_phone: Mapped[str | None] = mapped_column(channel_text(64))
    ship_name: Mapped[str | None] = mapped_column(channel_text(300))
    ship_line1: Mapped[str | None] = mapped_column(channel_text(300))
    ship_line2: Mapped[str | None] = mapped_column(channel_text(300))
    ship_line3: Mapped[str | None] = mapped_column(channel_text(300))
    ship_city: Mapped[str | None] = mapped_column(channel_text(200))
    ship_state: Mapped[str | None] = mapped_column(channel_text(200))
    ship_postal_code: Mapped[str | None] = mapped_column(channel_text(32))
    ship_country: Mapped[str | None] = mapped_column(String(2))
    ship_phone: Mapped[str | None] = mapped_column(channel_text(64))
    review_reason: Mapped[str | None] = mapped_column(Text)
    carrier_code: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    redacted_at: Mapped[datetime | None]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "channel_item_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # no index of its own: the unique key (order_id, channel_item_id) starts with it and serves
    # every lookup by order, and each index is one more write per imported item
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    channel_item_id: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(200), index=True)
    asin: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int]
    unit_price: Mapped[Money]
    tax: Mapped[Money | None]
    is_custom: Mapped[bool] = mapped_column(Boolean, default=False)
    gift_message: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="items")


shipment_orders = Table(
    "shipment_orders",
    Base.metadata,
    Column("shipment_id", ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
)
"""Many-to-many: a split order has several shipments, a combined shipment several orders."""


class Shipment(Base):
    """A parcel (label) for one or more orders, and whether the channel was told."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_code: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    label_created_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notify_state: Mapped[NotifyState] = mapped_column(enum_column(NotifyState), default=NotifyState.PENDING)
    notify_attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify_error: Mapped[str | None] = mapped_column(Text)
    notified_at: Mapped[datetime | None]
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)

    orders: Mapped[list[Order]] = relationship(secondary=shipment_orders)


class ShipmentItem(Base):
    """Units of one order item in one shipment: how a split order's parcels divide it, and what
    tells the hub an order is wholly shipped."""

    __tablename__ = "shipment_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True)
    order_item_id: Mapped[int] = mapped_column(
        ForeignKey("order_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    quantity: Mapped[int]


class CarrierSetting(Base):
    """A host's override for one carrier in one area of one integration (default: enabled)."""

    __tablename__ = "carrier_settings"
    __table_args__ = (UniqueConstraint("integration_id", "area_code", "carrier_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(64))
    carrier_code: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PriceRule(Base):
    """An admin's price rule; params validated by its type's model (from a plugin), conditions by core."""

    __tablename__ = "price_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    rule_type: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    conditions: Mapped[JSONDict]
    params: Mapped[JSONDict]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


DEFAULT_COMMISSION_PERCENT = Decimal("15")
"""Amazon's most common referral fee; set the integration's own with ``rules floor``."""


class PricingSettings(Base):
    """Per integration: price rules on or off, and the price floor's inputs.

    No row means the defaults: rules off (prices = RRP), 15 % commission, no shipping.
    """

    __tablename__ = "pricing_settings"
    __table_args__ = (
        CheckConstraint("commission_percent >= 0 AND commission_percent < 100", name="commission_range"),
        CheckConstraint("floor_shipping >= 0", name="shipping_non_negative"),
    )

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    rules_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    commission_percent: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=DEFAULT_COMMISSION_PERCENT)
    floor_shipping: Mapped[Decimal] = mapped_column(Numeric(18, 4), default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncCursor(Base):
    """Where one stream of one integration stands, and who holds it (a lock that expires)."""

    __tablename__ = "sync_cursors"

    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    """When the scheduler sent the job now waiting in the queue (cleared when a runner claims it)."""
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxEntry(Base):
    """A pending channel update, written in the same transaction as the hub change."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "integration_id", "kind", "state", "id"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    kind: Mapped[OutboxKind] = mapped_column(enum_column(OutboxKind))
    sku: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int | None]
    price: Mapped[Money | None]
    currency: Mapped[Currency | None]
    state: Mapped[OutboxState] = mapped_column(enum_column(OutboxState), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    submission_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class JobRun(Base):
    """One run of a job, for the job log and for noticing runs whose worker died."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    stream: Mapped[str | None] = mapped_column(String(32))
    worker: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    counts: Mapped[JSONDict]
    error: Mapped[str | None] = mapped_column(Text)


class SyncError(Base):
    """The quarantine: one record a stream could not take, retried until it imports.

    Open while ``resolved_at`` and ``dismissed_at`` are both empty. ``reason`` names fields,
    never values; ``payload`` is the record as the channel sent it, encrypted with the
    credentials cipher, and is dropped when the entry closes or falls due for redaction.
    ``cursor`` is where the stream stood when the record was first seen.
    """

    __tablename__ = "sync_errors"
    __table_args__ = (Index("ix_sync_errors_open", "integration_id", "stream", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    cursor: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]


class ScheduledJob(Base):
    """When a periodic job (an actor with ``every``) is next due; booked like a stream slot."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime | None]
    last_enqueued_at: Mapped[datetime | None]


class UserRole(enum.StrEnum):
    """Who may change what in the console and the API (everyone logged in may read)."""

    HOST = "host"
    """Carriers and fees."""
    ADMIN = "admin"
    """Prices and rules."""
    OPERATOR = "operator"
    """Orders and shipments."""
    OWNER = "owner"
    """Everything, users and integrations too."""


class User(Base):
    """A person who logs in to the console; the password is stored as an argon2 hash only."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A token a script sends as ``Authorization: Bearer``; only its SHA-256 is stored.

    It acts with its user's role. ``prefix`` (the first characters) lets people tell tokens
    apart in ``tokens list`` without the token itself being kept anywhere.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
