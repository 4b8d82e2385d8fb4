"""Plain domain values that connectors, carriers and price rules exchange with core.

They are frozen dataclasses so a plugin cannot mutate what core passed it, and they carry no
ORM state, so a connector never needs a database session. Money is always a
:class:`Money`: a ``Decimal`` with its ISO currency, never a float, never converted.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.errors import InputError


class Fulfilment(enum.StrEnum):
    """Who ships the order: the merchant (MFN) or the channel (FBA / AFN)."""

    MFN = "mfn"
    FBA = "fba"


class ChannelOrderStatus(enum.StrEnum):
    """A channel order's state as the hub understands it (connectors map their own)."""

    PENDING = "pending"  # not yet payable/confirmed on the channel
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    UNFULFILLABLE = "unfulfillable"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic across currencies is refused, not converted."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise InputError("amount", f"must be a Decimal, got {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise InputError("amount", "must be a finite number")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise InputError("currency", f"must be an ISO 4217 code like EUR, got {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise InputError("currency", f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address. Any field may be None when the channel withholds buyer data."""

    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    line3: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelOrderItem:
    """One line of a channel order."""

    channel_item_id: str
    sku: str
    quantity: int
    unit_price: Money
    title: str | None = None
    asin: str | None = None
    tax: Money | None = None
    is_custom: bool = False
    gift_message: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    """An order as a connector hands it to core; core upserts it by ``channel_order_id``."""

    channel_order_id: str
    status: ChannelOrderStatus
    fulfilment: Fulfilment
    purchase_date: datetime
    currency: str
    items: tuple[ChannelOrderItem, ...]
    last_updated: datetime | None = None
    ship_by: datetime | None = None
    total: Money | None = None
    shipping_total: Money | None = None
    tax_total: Money | None = None
    marketplace_id: str | None = None
    buyer_name: str | None = None
    buyer_email: str | None = None
    shipping_address: Address | None = None
    buyer_data_available: bool = True
    is_gift: bool = False
    channel_status: str | None = None


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """A record the connector could not map; core quarantines it and goes on.

    ``reason`` names the offending fields, never their values (it is shown to people and
    may be logged). ``payload`` is the record as the channel sent it: core stores it
    encrypted in the quarantine so the failure can be diagnosed, and drops it once the
    record imports, is dismissed or falls due for redaction.
    """

    reference: str
    reason: str
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class OrdersPage:
    """One page of orders and the cursor to store once the page is committed.

    Core commits ``orders`` (and records ``failures``) then saves ``cursor``; if the worker
    dies before that, the next run asks again from the previous cursor, and the upsert makes
    the repeat harmless.
    """

    orders: Sequence[ChannelOrder]
    cursor: str | None
    failures: Sequence[RecordFailure] = ()


@dataclass(frozen=True, slots=True)
class ChannelProduct:
    """A listing as the channel reports it (product import)."""

    sku: str
    fulfilment: Fulfilment
    title: str | None = None
    asin: str | None = None
    price: Money | None = None
    quantity: int | None = None
    brand: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class InventoryLevel:
    """Channel-held stock (e.g. FBA): read-only for the hub."""

    sku: str
    quantity: int
    fulfilment: Fulfilment = Fulfilment.FBA
    asin: str | None = None


@dataclass(frozen=True, slots=True)
class QuantityUpdate:
    """Set the quantity offered for ``sku`` on the channel."""

    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 0:
            raise InputError("quantity", f"must not be negative (sku {self.sku})")


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    """Set the offer price for ``sku`` on the channel."""

    sku: str
    price: Money


@dataclass(frozen=True, slots=True)
class SkuResult:
    """The channel's verdict on one SKU of a bulk push."""

    sku: str
    ok: bool
    message: str | None = None


@dataclass(frozen=True, slots=True)
class PushResult:
    """Outcome of a bulk quantity or price push: one result per SKU sent."""

    results: tuple[SkuResult, ...]
    submission_id: str | None = None

    @property
    def rejected(self) -> tuple[SkuResult, ...]:
        return tuple(r for r in self.results if not r.ok)


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    channel_item_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class NewShipment:
    """A shipment core has just stored (in the caller's transaction), for fulfilment plugins.

    ``order_ids`` are in id order; a combined shipment has several, a split one shares its
    order with earlier shipments of that order.
    """

    shipment_id: int
    integration_id: int
    order_ids: tuple[int, ...]
    carrier_code: str
    service_code: str | None
    tracking_number: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ShipmentConfirmation:
    """Tell the channel an order shipped. ``idempotency_key`` is stable across retries.

    ``possibly_sent`` is True when an earlier attempt may have reached the channel (its worker
    died between sending and recording the answer). The connector must then ask the channel
    whether the order is already confirmed before sending again, so a retry never notifies
    twice, even on channels without idempotency keys.
    """

    channel_order_id: str
    idempotency_key: str
    carrier_code: str
    ship_date: datetime
    lines: tuple[ShipmentLine, ...]
    carrier_name: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    possibly_sent: bool = False


@dataclass(frozen=True, slots=True)
class ConfirmationResult:
    """Per-order outcome. ``permanent`` failures are recorded and never retried."""

    channel_order_id: str
    ok: bool
    error: str | None = None
    permanent: bool = False
    already_confirmed: bool = False


@dataclass(frozen=True, slots=True)
class FulfilmentUpdate:
    """Tracking news for an order the channel fulfils for us (Amazon MCF and the like)."""

    fulfilment_order_id: str
    status: str
    carrier: str | None = None
    tracking_numbers: tuple[str, ...] = ()
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FulfilmentPage:
    updates: Sequence[FulfilmentUpdate]
    cursor: str | None


@dataclass(frozen=True, slots=True)
class Destination:
    """Where an order goes; what carrier areas are matched against."""

    country_code: str
    postal_code: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class RateRequest:
    """What a carrier needs to quote or to be chosen for one order."""

    order_id: int
    integration_id: int
    destination: Destination
    weight_kg: Decimal
    order_total: Money | None = None
    ship_by: datetime | None = None


@dataclass(frozen=True, slots=True)
class CarrierContext:
    """What carrier hooks may know about the integrations of one selection batch.

    Core loads it ONCE per batch of orders (a few queries whatever the batch size) and hands
    the same object to every ``channelhub_quote_rates`` / ``channelhub_select_carrier`` call
    of the batch, so hooks never query the database per order.

    ``disabled``: (integration id, area code, carrier code) the host switched off; core
    already drops those quotes before ``select_carrier``, hooks may use it to skip work.
    ``options``: per integration id, the options plugins returned from
    ``channelhub_carrier_options``, under keys prefixed with the plugin's name
    (``"bigbuy_mip.carrier_strategy"``).
    """

    disabled: frozenset[tuple[int, str, str]] = frozenset()
    options: dict[int, dict[str, object]] = field(default_factory=dict)

    def option(self, integration_id: int, key: str, default: object = None) -> object:
        """One plugin option of an integration, or ``default`` when the plugin stored none."""
        return self.options.get(integration_id, {}).get(key, default)

    def enabled(self, integration_id: int, area_code: str, carrier_code: str) -> bool:
        return (integration_id, area_code, carrier_code) not in self.disabled


@dataclass(frozen=True, slots=True)
class RateQuote:
    """A carrier's offer to ship one order. A quote means the carrier serves the destination."""

    carrier_code: str
    service_code: str
    area_code: str
    price: Money
    transit_days: int
    max_price: Money | None = None


@dataclass(frozen=True, slots=True)
class CarrierDecision:
    """The chosen carrier and service, with a reason a person can read."""

    carrier_code: str
    service_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class PricingInput:
    """A product as pricing rules see it, for one integration."""

    sku: str
    integration_id: int
    currency: str
    rrp: Decimal | None
    cost: Decimal | None
    current_price: Decimal | None = None
    category: str | None = None
    brand: str | None = None
    weight_kg: Decimal | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PriceRuleSpec:
    """A stored price rule as handed to pricing plugins."""

    rule_id: int
    rule_type: str
    priority: int
    conditions: dict[str, object]
    params: dict[str, object]


@dataclass(frozen=True, slots=True)
class PriceDecision:
    """The listing price and why (the rule id, or None for the RRP default)."""

    price: Money
    rule_id: int | None
    explanation: str
