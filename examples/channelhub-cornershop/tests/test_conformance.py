"""Cornershop passes channelhub's channel conformance suite against its fake shop."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal

from cornershop_channelhub import plugin
from cornershop_channelhub.fake_channel import API_KEY, FakeShop, ShopState

from core.testing import ChannelHarness, channel_conformance

SKUS = ("cornershop-mug", "cornershop-tee")


class CornershopHarness(ChannelHarness):
    plugin = plugin
    channel_key = "cornershop"
    currency = "GBP"

    def start(self) -> None:
        self.shop = FakeShop()
        self.shop.start()

    def stop(self) -> None:
        self.shop.stop()

    def reset(self) -> None:
        self.shop.state = ShopState(stock=dict.fromkeys(SKUS, 0))

    def settings(self) -> Mapping[str, object]:
        return {"base_url": self.shop.url, "timeout_seconds": 5}

    def credentials(self, *, valid: bool) -> Mapping[str, str]:
        return {"api_key": API_KEY if valid else "not-the-key"}

    def seed_orders(self, count: int) -> Sequence[str]:
        self.shop.state.orders = [
            {
                "id": f"cornershop-{n}",
                "status": "shipped" if n % 3 == 0 else "paid",
                "placed_at": f"2024-05-{n:02d}T10:00:00+00:00",
                "currency": "GBP",
                "total": "12.50",
                "lines": [{"id": f"line-{n}", "sku": SKUS[n % 2], "qty": 1, "price": "12.50"}],
            }
            for n in range(1, count + 1)
        ]
        return [o["id"] for o in self.shop.state.orders]

    def accepted_skus(self) -> Sequence[str]:
        return SKUS

    def confirmations_recorded(self, channel_order_id: str) -> int:
        return self.shop.state.shipments.get(channel_order_id, 0)

    @contextmanager
    def throttled(self) -> Iterator[None]:
        self.shop.state.throttled = True
        try:
            yield
        finally:
            self.shop.state.throttled = False

    def recorded_quantity(self, sku: str) -> int | None:
        return self.shop.state.stock.get(sku)

    def recorded_price(self, sku: str) -> Decimal | None:
        price = self.shop.state.prices.get(sku)
        return Decimal(price) if price is not None else None


TestCornershop = channel_conformance(harness=CornershopHarness)
