"""The built-in Amazon plugin passes the channel conformance suite against its own sandbox."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal

import httpx

from core.testing import ChannelHarness, channel_conformance
from plugins.amazon import plugin
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.operations import OPERATIONS
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from tests.amazon.test_connector import seeded

UK = BY_CODE["UK"]


class AmazonSandboxHarness(ChannelHarness):
    plugin = plugin
    channel_key = "amazon"
    currency = "GBP"
    marketplace_code = "UK"

    def start(self) -> None:
        self._running = running_sandbox(SandboxConfig(seed=11, orders=900, time_scale=600))
        self.sandbox: RunningSandbox = self._running.__enter__()

    def stop(self) -> None:
        self._running.__exit__(None, None, None)

    def reset(self) -> None:
        httpx.post(f"{self.sandbox.base_url}/_sandbox/reset").raise_for_status()

    def settings(self) -> Mapping[str, object]:
        return {"seller_id": self.sandbox.credentials.seller_id, "endpoint": self.sandbox.base_url}

    def credentials(self, *, valid: bool) -> Mapping[str, str]:
        c = self.sandbox.credentials
        token = c.refresh_token if valid else "Atzr|not-a-real-token"
        return {"refresh_token": token, "client_id": c.client_id, "client_secret": c.client_secret}

    def seed_orders(self, count: int) -> Sequence[str]:
        orders = seeded(self.sandbox, UK.channel_id)
        assert len(orders) >= count, f"sandbox seeded {len(orders)} UK orders, the suite wants {count}"
        return sorted(orders)

    def accepted_skus(self) -> Sequence[str]:
        return [sku for sku, listing in sorted(self.sandbox.state.listings.items()) if not listing.is_fba][:3]

    def confirmations_recorded(self, channel_order_id: str) -> int:
        return sum(1 for c in self.sandbox.state.confirmations if c.order_id == channel_order_id)

    @contextmanager
    def throttled(self) -> Iterator[None]:
        for key in OPERATIONS:
            body = {"operation": key, "status": 429, "count": 10_000}
            httpx.post(f"{self.sandbox.base_url}/_sandbox/faults", json=body).raise_for_status()
        try:
            yield
        finally:
            self.reset()  # clears the faults

    def recorded_quantity(self, sku: str) -> int | None:
        listing = self.sandbox.state.listings.get(sku)
        return None if listing is None else listing.quantity

    def recorded_price(self, sku: str) -> Decimal | None:
        listing = self.sandbox.state.listings.get(sku)
        return None if listing is None else listing.prices.get(UK.channel_id)


class TestAmazonConformance(channel_conformance(harness=AmazonSandboxHarness)):
    pass
