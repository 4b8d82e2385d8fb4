"""Usage plans: a bucket per (seller, operation), burst then refill at the scaled rate,
429 QuotaExceeded past it, and Amazon's real rate in x-amzn-RateLimit-Limit (left off a
configured share of 429s)."""

from __future__ import annotations

import time

import httpx

from plugins.amazon.operations import UsagePlan
from plugins.amazon.sandbox import SandboxConfig, running_sandbox
from plugins.amazon.sandbox.throttle import Throttle
from tests.amazon.sandbox_support import sp_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_bursts_then_refills_at_the_scaled_rate() -> None:
    clock = FakeClock()
    throttle = Throttle(time_scale=60.0, clock=clock)
    plan = UsagePlan(rate=0.0056, burst=20)
    assert all(throttle.take("S1", "orders.searchOrders", plan) for _ in range(20))
    assert not throttle.take("S1", "orders.searchOrders", plan)
    assert throttle.take("S2", "orders.searchOrders", plan), "another seller has its own bucket"
    assert throttle.take("S1", "orders.getOrder", plan), "another operation has its own bucket"
    clock.now += 0.99 / (0.0056 * 60)
    assert not throttle.take("S1", "orders.searchOrders", plan)
    clock.now += 0.02 / (0.0056 * 60)
    assert throttle.take("S1", "orders.searchOrders", plan)
    clock.now += 1000
    assert sum(throttle.take("S1", "orders.searchOrders", plan) for _ in range(40)) == 20, "capped at burst"


def served_until_throttled(api: httpx.Client, path: str) -> tuple[int, float, httpx.Response]:
    """Requests that succeed before the first 429, the seconds they took, and the 429."""
    served, start = 0, time.monotonic()
    while (response := api.get(path)).status_code == 200:
        served += 1
    return served, time.monotonic() - start, response


def test_http_429_past_the_burst_with_header_and_refill() -> None:
    # getOrder: rate 0.5/s, burst 30; at 40x time the bucket refills 20 tokens a second.
    rate = 0.5 * 40
    with (
        running_sandbox(
            SandboxConfig(orders=20, throttle=True, time_scale=40.0, limit_header_omitted=0.0)
        ) as sb,
        sp_client(sb) as api,
    ):
        path = f"/orders/2026-01-01/orders/{next(iter(sb.state.orders.by_id))}"
        burst, took, throttled = served_until_throttled(api, path)
        assert 30 <= burst <= 30 + took * rate + 1
        assert throttled.status_code == 429
        assert throttled.headers["x-amzn-RateLimit-Limit"] == "0.5", "Amazon's rate, not the scaled one"
        assert throttled.headers["x-amzn-ErrorType"] == "QuotaExceeded"
        assert throttled.headers["x-amzn-RequestId"]
        assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
        assert api.get("/fba/outbound/2020-07-01/fulfillmentOrders").status_code == 200, "own bucket"
        time.sleep(0.5)
        refilled, took, _ = served_until_throttled(api, path)
        assert 0.5 * rate - 1 <= refilled <= (0.5 + took) * rate + 1
        stats = sb.stats()
        assert stats["throttled"]["orders.getOrder"] == 2
        assert stats["requests"]["orders.getOrder"] == burst + refilled + 2


def test_no_throttle_serves_past_the_burst() -> None:
    with running_sandbox(SandboxConfig(orders=5, throttle=False)) as sb, sp_client(sb) as api:
        path = "/fba/inventory/v1/summaries"
        params = {
            "granularityType": "Marketplace",
            "granularityId": "A1F83G8C2ARO7P",
            "marketplaceIds": "A1F83G8C2ARO7P",
        }
        responses = [api.get(path, params=params) for _ in range(10)]  # burst is 2
        assert {r.status_code for r in responses} == {200}
        assert responses[0].headers["x-amzn-RateLimit-Limit"] == "2"
        assert httpx.get(f"{sb.base_url}/_sandbox/stats").json()["throttled"] == {}


def test_a_configured_share_of_429s_lack_the_rate_header() -> None:
    config = SandboxConfig(orders=5, throttle=True, time_scale=1.0, limit_header_omitted=0.5, seed=3)
    with running_sandbox(config) as sb, sp_client(sb) as api:
        path = "/fba/inventory/v1/summaries"
        params = {"granularityType": "Marketplace", "granularityId": "A1F83G8C2ARO7P"}
        params["marketplaceIds"] = params["granularityId"]
        refused = [r for r in (api.get(path, params=params) for _ in range(60)) if r.status_code == 429]
        assert len(refused) >= 50  # burst 2, refilling 2/s on a real-time clock
        bare = sum("x-amzn-RateLimit-Limit" not in r.headers for r in refused)
        assert 0.25 * len(refused) < bare < 0.75 * len(refused)
        assert all(r.headers.get("x-amzn-RateLimit-Limit", "2") == "2" for r in refused)
