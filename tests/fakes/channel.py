"""A tiny in-memory channel plugin for core's tests (not shipped)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field

from core.dto import (
    ChannelOrder,
    ChannelProduct,
    ConfirmationResult,
    FulfilmentPage,
    FulfilmentUpdate,
    InventoryLevel,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    RecordFailure,
    ShipmentConfirmation,
    SkuResult,
)
from core.errors import ChannelAuthError, ThrottledError, TransientChannelError
from core.hookspecs import hookimpl
from core.types import ChannelType, ConnectorContext, Marketplace


class FakeSettings(BaseModel):
    history_days: int = Field(default=30, ge=1, le=30)


@dataclass
class FakeChannelState:
    """What the fake channel holds and what it was told; tests arrange and inspect it."""

    orders: list[ChannelOrder] = field(default_factory=list)
    page_size: int = 100
    bad_orders: list[RecordFailure] = field(default_factory=list)  # served on the first page
    refetched: list[str] = field(default_factory=list)  # ids asked for by fetch_orders_by_id
    products: list[ChannelProduct] = field(default_factory=list)
    inventory: list[InventoryLevel] = field(default_factory=list)
    fulfilment: list[FulfilmentUpdate] = field(default_factory=list)
    quantity_pushes: list[list[QuantityUpdate]] = field(default_factory=list)
    price_pushes: list[list[PriceUpdate]] = field(default_factory=list)
    rejected_skus: set[str] = field(default_factory=set)
    confirmations: list[ShipmentConfirmation] = field(default_factory=list)
    fail_after_pages: int | None = None
    fail_after_pushes: int | None = None  # pushes answered before the channel goes away
    known_skus: set[str] | None = None  # when set, pushes for other SKUs are rejected as unknown
    throttled: bool = False  # every call raises ThrottledError, as after exhausted retries
    page_delay: float = 0.0  # seconds before each orders page, as at Amazon's searchOrders pace

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


CHANNEL = FakeChannelState()


class FakeConnector:
    """Pages ``CHANNEL.orders`` in list order; the cursor is the index of the next order."""

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context

    def verify_credentials(self) -> None:
        _throttle_check()
        if self.context.credentials.get("api_key") != "good-key-123":
            raise ChannelAuthError("api key refused by the fake channel", code="Unauthorized")

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[OrdersPage]:
        self.verify_credentials()
        position = int(cursor or 0)
        pages = 0
        while position < len(CHANNEL.orders):
            if CHANNEL.fail_after_pages is not None and pages >= CHANNEL.fail_after_pages:
                raise TransientChannelError("fake channel went away mid-import")
            if CHANNEL.page_delay:
                time.sleep(CHANNEL.page_delay)
            batch = CHANNEL.orders[position : position + CHANNEL.page_size]
            position += len(batch)
            failures = tuple(CHANNEL.bad_orders) if pages == 0 else ()
            pages += 1
            yield OrdersPage(batch, str(position), failures)

    def fetch_orders_by_id(self, channel_order_ids: Sequence[str]) -> OrdersPage:
        """The named orders as the channel holds them now; a bad one is still bad."""
        CHANNEL.refetched.extend(channel_order_ids)
        by_id = {o.channel_order_id: o for o in CHANNEL.orders}
        bad = {f.reference: f for f in CHANNEL.bad_orders}
        orders = [by_id[i] for i in channel_order_ids if i in by_id and i not in bad]
        failures = [
            bad.get(i) or RecordFailure(i, "order: not found")
            for i in channel_order_ids
            if i not in by_id or i in bad
        ]
        return OrdersPage(orders, None, failures)

    def fetch_products(self) -> Iterator[Sequence[ChannelProduct]]:
        yield CHANNEL.products

    def fetch_inventory(self) -> Iterator[Sequence[InventoryLevel]]:
        yield CHANNEL.inventory

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        _throttle_check()
        answered = len(CHANNEL.quantity_pushes)
        if CHANNEL.fail_after_pushes is not None and answered >= CHANNEL.fail_after_pushes:
            raise TransientChannelError("fake channel went away mid-push")
        CHANNEL.quantity_pushes.append(list(updates))
        return PushResult(tuple(_verdict(u.sku) for u in updates))

    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        _throttle_check()
        CHANNEL.price_pushes.append(list(updates))
        return PushResult(tuple(_verdict(u.sku) for u in updates))

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        """Record each confirmation; a possibly-sent retry of a confirmed order is not sent again."""
        results = []
        for c in confirmations:
            confirmed = {earlier.channel_order_id for earlier in CHANNEL.confirmations}
            if c.possibly_sent and c.channel_order_id in confirmed:
                results.append(ConfirmationResult(c.channel_order_id, True, already_confirmed=True))
                continue
            CHANNEL.confirmations.append(c)
            results.append(ConfirmationResult(c.channel_order_id, True))
        return results

    def fetch_fulfilment_updates(self, cursor: str | None) -> Iterator[FulfilmentPage]:
        position = int(cursor or 0)
        if position < len(CHANNEL.fulfilment):
            yield FulfilmentPage(CHANNEL.fulfilment[position:], str(len(CHANNEL.fulfilment)))

    def close(self) -> None:
        pass


def _throttle_check() -> None:
    if CHANNEL.throttled:
        raise ThrottledError("the fake channel is throttling", retry_after=1.0, code="QuotaExceeded")


def _verdict(sku: str) -> SkuResult:
    if CHANNEL.known_skus is not None and sku not in CHANNEL.known_skus:
        return SkuResult(sku, False, "unknown SKU")
    return SkuResult(sku, sku not in CHANNEL.rejected_skus, "rejected")


FAKE_MARKETPLACE = Marketplace("XX", "Fake land", "fake-xx", "GB", "GBP", "en", "EU")


class FakeChannelPlugin:
    @hookimpl
    def channelhub_channel_types(self) -> Iterator[ChannelType]:
        yield ChannelType(
            key="fake",
            display_name="Fake channel",
            marketplaces=(FAKE_MARKETPLACE,),
            settings_model=FakeSettings,
            credential_fields=("api_key",),
            connector_factory=FakeConnector,
        )
