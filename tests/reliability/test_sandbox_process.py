"""The sandbox in a process of its own (the soak's and benchmarks' runner): it serves, its
state is readable through the admin endpoints, and it is gone once the block exits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.sandbox import SandboxConfig, sandbox_process


def test_a_sandbox_process_serves_its_state_and_stops_with_the_block() -> None:
    config = SandboxConfig(seed=7, orders=300, listings=30, time_scale=60.0)
    with sandbox_process(config) as sandbox:
        uk, de = BY_CODE["UK"].channel_id, BY_CODE["DE"].channel_id
        long_ago = datetime.now(UTC) - timedelta(days=365)
        uk_ids = sandbox.order_ids(uk, long_ago)
        de_ids = sandbox.order_ids(de, long_ago)
        assert uk_ids and de_ids and not uk_ids & de_ids
        assert sandbox.order_ids(uk, datetime.now(UTC) + timedelta(days=1)) == set()

        listings = sandbox.listings()
        assert len(listings) == 30
        assert all(isinstance(entry["quantity"], int) for entry in listings.values())
        assert all(uk in entry["prices"] for entry in listings.values())

        sandbox.arm({"operation": "ordersV0.confirmShipment", "mode": "lost_response", "probability": 0.5})
        armed = httpx.get(f"{sandbox.base_url}/_sandbox/faults").json()["faults"]
        assert [f["operation"] for f in armed] == ["ordersV0.confirmShipment"]
        assert sandbox.confirmations() == []
        assert sandbox.stats()["requests"] == {}
        base_url = sandbox.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/_sandbox/stats", timeout=5)


def test_the_orders_listing_refuses_a_timestamp_without_an_offset() -> None:
    with sandbox_process(SandboxConfig(seed=7, orders=10, listings=5)) as sandbox:
        response = httpx.get(
            f"{sandbox.base_url}/_sandbox/orders", params={"lastUpdatedAfter": "2026-01-01T00:00"}
        )
        assert response.status_code == 400
        assert "lastUpdatedAfter" in response.text
