"""How much of Amazon's searchOrders budget channelhub uses, with 1 and with 4 workers.

Starts the SP-API sandbox with throttling ON (time-scaled, so the window is short), then
runs worker processes that page searchOrders as fast as the shared Redis bucket allows for a
fixed window. Prints requests made, the plan's theoretical maximum (burst + scaled rate x
window), their ratio, and the 429s received. Target: ratio >= 0.95 with zero 429s.

    python benchmarks/amazon_budget.py [--window 30] [--time-scale 600] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import uuid

import httpx

from plugins.amazon.auth import LwaCredentials, LwaTokens
from plugins.amazon.client import SpApiClient
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.operations import operation
from plugins.amazon.ratelimit import RedisRateLimiter
from plugins.amazon.sandbox import SandboxConfig, running_sandbox
from plugins.amazon.sandbox.config import SandboxCredentials

OPERATION = "orders.searchOrders"


def worker(
    base_url: str, redis_url: str, prefix: str, start: float, deadline: float, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    creds = SandboxCredentials()
    http = httpx.Client(timeout=30)
    client = SpApiClient(
        endpoint=base_url,
        seller_id=creds.seller_id,
        region="EU",
        tokens=LwaTokens(
            http,
            f"{base_url}/auth/o2/token",
            LwaCredentials(creds.client_id, creds.client_secret, creds.refresh_token),
        ),
        limiter=RedisRateLimiter(redis_url, prefix=prefix),
        http=http,
    )
    client._tokens.access_token()  # LWA is not part of the measured budget
    params = {
        "marketplaceIds": BY_CODE["UK"].channel_id,
        "lastUpdatedAfter": "2020-01-01T00:00:00Z",
        "maxResultsPerPage": 100,
    }
    token: str | None = None
    time.sleep(max(0.0, start - time.time()))
    while time.time() < deadline:
        page = client.search_orders_page(params, token)
        token = (page.get("pagination") or {}).get("nextToken")
    # the last reservation may have matured after the deadline: the window measured is until
    # the last request actually went out, so late requests are not counted for free
    out.put((client.metrics.requests[OPERATION], client.metrics.throttled[OPERATION], time.time()))
    client.close()


def measure(
    base_url: str, redis_url: str, workers: int, window: float, time_scale: float
) -> tuple[int, int, float]:
    plan = operation(OPERATION).plan
    prefix = f"bench:{uuid.uuid4().hex[:8]}"
    out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    start = time.time() + 2.0  # every worker up and authenticated before the window opens
    procs = [
        multiprocessing.Process(target=worker, args=(base_url, redis_url, prefix, start, start + window, out))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=window + 120) for _ in procs]
    for p in procs:
        p.join()
    made = sum(r[0] for r in results)
    throttled = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results) - start
    theoretical = plan.burst + plan.rate * time_scale * elapsed
    return made, throttled, theoretical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=30.0, help="Seconds of paging per run.")
    parser.add_argument("--time-scale", type=float, default=600.0, help="Sandbox time factor.")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--orders", type=int, default=3000)
    args = parser.parse_args()
    print(
        f"searchOrders plan: rate {operation(OPERATION).plan.rate}/s x {args.time_scale:g} time scale, "
        f"burst {operation(OPERATION).plan.burst}; window {args.window:g}s"
    )
    print("theoretical = burst + scaled rate x the time until the last request went out")
    print(f"{'workers':>7} {'requests':>9} {'theoretical':>12} {'ratio':>6} {'429s':>5}")
    for workers in (1, 4):
        config = SandboxConfig(seed=1, orders=args.orders, time_scale=args.time_scale, throttle=True)
        with running_sandbox(config) as sandbox:  # a fresh sandbox: its bucket starts full
            made, throttled, theoretical = measure(
                sandbox.base_url, args.redis, workers, args.window, args.time_scale
            )
            assert sandbox.stats()["throttled"].get(OPERATION, 0) == throttled
        print(f"{workers:>7} {made:>9} {theoretical:>12.1f} {made / theoretical:>6.3f} {throttled:>5}")


if __name__ == "__main__":
    main()
