"""A tiny in-memory channel plugin for core's tests (not shipped)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from pydantic import BaseModel

from core.dto import (
    ChannelProduct,
    ConfirmationResult,
    FulfilmentPage,
    InventoryLevel,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    ShipmentConfirmation,
    SkuResult,
)
from core.errors import ChannelAuthError
from core.hookspecs import hookimpl
from core.types import ChannelType, ConnectorContext, Marketplace


class FakeSettings(BaseModel):
    history_days: int = 30


class FakeConnector:
    def __init__(self, context: ConnectorContext) -> None:
        self.context = context

    def verify_credentials(self) -> None:
        if self.context.credentials.get("api_key") != "good-key-123":
            raise ChannelAuthError("api key refused by the fake channel", code="Unauthorized")

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[OrdersPage]:
        yield from ()

    def fetch_products(self) -> Iterator[Sequence[ChannelProduct]]:
        yield from ()

    def fetch_inventory(self) -> Iterator[Sequence[InventoryLevel]]:
        yield from ()

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        return PushResult(tuple(SkuResult(u.sku, True) for u in updates))

    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        return PushResult(tuple(SkuResult(u.sku, True) for u in updates))

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        return [ConfirmationResult(c.channel_order_id, True) for c in confirmations]

    def fetch_fulfilment_updates(self, cursor: str | None) -> Iterator[FulfilmentPage]:
        yield from ()

    def close(self) -> None:
        pass


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
