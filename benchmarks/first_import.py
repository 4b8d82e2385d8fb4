"""First import of ~6,000 orders of one marketplace at Amazon's real searchOrders usage plan.

The sandbox enforces the plan (rate 0.0056/s, burst 20, 100 orders a page), sped up by
``--time-scale``; the workers and the scheduler run with the same ``CHANNELHUB_TIME_SCALE``,
so lease, heartbeat and stream interval keep Amazon's ratios (a page takes longer than a
lease). With 1 and with 4 ``channelhub worker`` processes (PostgreSQL + Redis, one scheduler),
it prints how long the first import took against the time the plan allows
((pages - burst) / rate), and how many runners the stream had. Target: within 10% of the
plan, one runner, no takeover, with 1 and with 4 workers.

At time scale 300 the lease is 0.4 s and a heartbeat every 0.13 s: on a loaded 2-core machine
(load 5-6) the 4-worker run then lost leases it was renewing (ratio 1.44, 3 takeovers), so the
default is 60 (lease 2 s), the soak's scale.

    python benchmarks/first_import.py [--workers 1 4] [--time-scale 60]
        [--database postgresql://postgres@127.0.0.1:5432/test] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import create_engine, func, select, text

from core import crypto
from core.db import migrate
from core.db.models import JobRun, JobStatus, Order
from core.db.session import session_factory
from core.logs import configure_logging
from core.plugins import get_plugin_manager
from core.services import integrations
from core.settings import get_settings
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.operations import operation
from plugins.amazon.sandbox import SandboxConfig, sandbox_process

UK = BY_CODE["UK"]
SEED_ORDERS = 18_000  # about a third of the sandbox's orders are UK ones: ~6,000 in 30 days


def fresh_budget(redis_url: str, seller_id: str) -> None:
    """Full usage-plan buckets for the sandbox seller, as for a new seller: what an earlier run
    left in Redis (a debt, a burst spent, a rate observed at another time scale) would skew
    the comparison with the plan, which assumes the burst is there."""
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"channelhub:amazon:bucket:{seller_id}:*"):
        client.delete(key)
    client.close()


def run(workers: int, scale: float, database: str, redis_url: str) -> dict[str, float]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{database}?options=-csearch_path%3D{schema}"
    env = {
        **os.environ,
        "CHANNELHUB_DATABASE_URL": url,
        "CHANNELHUB_REDIS_URL": redis_url,
        "CHANNELHUB_QUEUE_NAMESPACE": schema,
        "CHANNELHUB_TIME_SCALE": str(scale),
        "CHANNELHUB_LOG_LEVEL": "WARNING",
    }
    env.setdefault("CHANNELHUB_SECRET_KEY", crypto.generate_key())
    os.environ.update(env)  # this process adds and verifies the integration like the CLI would
    get_settings.cache_clear()
    crypto.get_cipher.cache_clear()
    plugins = get_plugin_manager()
    migrate.upgrade(plugins, url)
    sessions = session_factory(url)
    procs: list[subprocess.Popen[bytes]] = []
    config = SandboxConfig(
        seed=61, orders=SEED_ORDERS, time_scale=scale, rdt_refused_marketplaces=frozenset()
    )
    try:
        with sandbox_process(config) as sandbox:  # its own process: the benchmark's polling is not its GIL
            expected = len(sandbox.order_ids(UK.channel_id, datetime.now(UTC) - timedelta(days=30)))
            with sessions() as session:
                c = sandbox.credentials
                integration = integrations.add(
                    session,
                    plugins,
                    channel="amazon",
                    verify=False,
                    marketplace="UK",
                    alias="amazon-uk",
                    settings={
                        "seller_id": c.seller_id,
                        "endpoint": sandbox.base_url,
                        "orders": ["mfn", "fba"],
                    },
                    credentials={
                        "refresh_token": c.refresh_token,
                        "client_id": c.client_id,
                        "client_secret": c.client_secret,
                    },
                )
                session.commit()
                integrations.verify(session, integration.id, plugins)
                session.commit()
            fresh_budget(redis_url, c.seller_id)
            command = [sys.executable, "-m", "core"]

            def spawn(*args: str) -> subprocess.Popen[bytes]:
                return subprocess.Popen(
                    [*command, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
                )

            procs += [spawn("worker", "--threads", "2") for _ in range(workers)]
            procs.append(spawn("scheduler", "--every", str(30 / scale)))
            deadline = time.monotonic() + 3600
            while True:
                with sessions() as session:
                    first = session.scalar(
                        select(JobRun)
                        .where(JobRun.stream == "orders", JobRun.status == JobStatus.SUCCEEDED)
                        .order_by(JobRun.id)
                        .limit(1)
                    )
                    imported = session.scalar(select(func.count()).select_from(Order)) or 0
                    if first is not None and imported >= expected:
                        runs = session.scalar(
                            select(func.count()).where(
                                JobRun.stream == "orders", JobRun.started_at <= first.finished_at
                            )
                        )
                        lost = session.scalar(
                            select(func.count()).where(
                                JobRun.stream == "orders", JobRun.status == JobStatus.FAILED
                            )
                        )
                        began = session.scalar(
                            select(func.min(JobRun.started_at)).where(JobRun.stream == "orders")
                        )
                        seconds = (first.finished_at - began).total_seconds()  # type: ignore[operator]
                        break
                if time.monotonic() > deadline:
                    raise SystemExit(f"first import not done in an hour: {imported} of {expected}")
                time.sleep(0.2)
            pages = sandbox.stats()["requests"]["orders.searchOrders"]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    plan = operation("orders.searchOrders").plan
    needed = math.ceil(expected / 100)
    allowed = max(needed - plan.burst, 0) / (plan.rate * scale)
    return {
        "orders": imported,
        "pages": pages,
        "seconds": seconds,
        "allowed": allowed,
        "runners": runs or 0,
        "failed": lost or 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    configure_logging("WARNING")
    print(f"time scale {args.time_scale:g}: every time constant and the sandbox's clock divided by it")
    header = ("workers", "orders", "pages", "seconds", "plan s", "ratio", "runners", "failed")
    print(" ".join(f"{h:>8}" for h in header))
    for workers in args.workers:
        r = run(workers, args.time_scale, args.database, args.redis)
        ratio = r["seconds"] / r["allowed"] if r["allowed"] else float("nan")
        row = (workers, r["orders"], r["pages"], f"{r['seconds']:.1f}", f"{r['allowed']:.1f}", f"{ratio:.2f}")
        print(" ".join(f"{v:>8}" for v in (*row, r["runners"], r["failed"])))


if __name__ == "__main__":
    main()
