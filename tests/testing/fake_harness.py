"""A harness driving tests/fakes/channel.py, for the kit's self-tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.dto import (
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    Fulfilment,
    Money,
)
from core.testing import ChannelHarness
from tests.fakes import channel as fake

SKUS = ("FAKE-RED", "FAKE-BLUE")


def fake_order(number: int) -> ChannelOrder:
    placed = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=number)
    status = ChannelOrderStatus.SHIPPED if number % 3 == 0 else ChannelOrderStatus.UNSHIPPED
    price = Money(Decimal("9.99"), "GBP")
    return ChannelOrder(
        channel_order_id=f"FAKE-{number:04d}",
        status=status,
        fulfilment=Fulfilment.MFN,
        purchase_date=placed,
        last_updated=placed,
        currency="GBP",
        items=(ChannelOrderItem(f"item-{number}", SKUS[number % 2], 1, price),),
        total=price,
    )


class FakeChannelHarness(ChannelHarness):
    """The in-memory fake channel: pages of 4 orders, two known SKUs, a throttle switch."""

    plugin = fake.FakeChannelPlugin()
    channel_key = "fake"
    currency = "GBP"

    def reset(self) -> None:
        fake.CHANNEL.reset()
        fake.CHANNEL.page_size = 4
        fake.CHANNEL.known_skus = set(SKUS)
        fake.CHANNEL.products = [ChannelProduct(sku, Fulfilment.MFN, title=sku) for sku in SKUS]

    def stop(self) -> None:
        fake.CHANNEL.reset()

    def settings(self) -> Mapping[str, object]:
        return {"history_days": 30}

    def credentials(self, *, valid: bool) -> Mapping[str, str]:
        return {"api_key": "good-key-123" if valid else "wrong-key-456"}

    def seed_orders(self, count: int) -> Sequence[str]:
        fake.CHANNEL.orders = [fake_order(n) for n in range(1, count + 1)]
        return [o.channel_order_id for o in fake.CHANNEL.orders]

    def accepted_skus(self) -> Sequence[str]:
        return SKUS

    def confirmations_recorded(self, channel_order_id: str) -> int:
        return sum(c.channel_order_id == channel_order_id for c in fake.CHANNEL.confirmations)

    @contextmanager
    def throttled(self) -> Iterator[None]:
        fake.CHANNEL.throttled = True
        try:
            yield
        finally:
            fake.CHANNEL.throttled = False

    def recorded_quantity(self, sku: str) -> int | None:
        pushed = [u.quantity for push in fake.CHANNEL.quantity_pushes for u in push if u.sku == sku]
        return pushed[-1] if pushed else None

    def recorded_price(self, sku: str) -> Decimal | None:
        pushed = [u.price.amount for push in fake.CHANNEL.price_pushes for u in push if u.sku == sku]
        return pushed[-1] if pushed else None
