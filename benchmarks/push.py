"""Outbound push throughput: N queued SKUs through the outbound stream, beside feed building alone.

For each size, a fresh PostgreSQL schema gets N products, N MFN listings and N queued
quantities (through ``enqueue_quantities``, timed as "queue"); then the outbound stream runs
against an in-process channel whose push builds the real Amazon JSON_LISTINGS_FEED document of
every chunk (``plugins.amazon.feeds.quantity_feed``) and accepts every SKU, so "push" is
claim + coalescing + feed building + bulk verdicts end to end, with no network. "feeds only"
is the same feed building without the hub: the ratio says how close the push is to it.
Target: >= 20,000 messages/s for 1,000,000 queued SKUs. "setup MB" is the process's peak RSS
before the push (seeding), "push MB" after it: the push holds at most two feeds' worth of rows,
so the two stay close whatever the size. Prints the load average beside each figure (other
work on the machine slows every figure).

    python benchmarks/push.py [--sizes 100000 1000000] [--database postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, cast

from cryptography.fernet import Fernet
from pydantic import BaseModel
from sqlalchemy import Table, create_engine, select, text


def bench(database_url: str, size: int) -> dict[str, float]:
    from core.db import bulk, migrate
    from core.db.base import utcnow
    from core.db.models import Integration, IntegrationStatus, Listing, Product
    from core.db.session import session_factory
    from core.dto import Fulfilment, PushResult, QuantityUpdate, SkuResult
    from core.hookspecs import hookimpl
    from core.plugins import build_plugin_manager
    from core.services import catalog, sync
    from core.types import ChannelType, Marketplace
    from plugins.amazon import feeds

    class FeedBuildingConnector:
        def __init__(self, _context: Any) -> None:
            pass

        def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
            document = feeds.quantity_feed("SELLER", updates, 2)
            return PushResult(tuple(SkuResult(sku, True) for sku in document.skus.values()), "feed-1")

        def close(self) -> None:
            pass

    class NoSettings(BaseModel):
        pass

    class BenchChannel:
        @hookimpl
        def channelhub_channel_types(self) -> Iterator[ChannelType]:
            yield ChannelType(
                key="bench",
                display_name="Bench",
                marketplaces=(Marketplace("XX", "Bench", "xx", "GB", "GBP", "en", "EU"),),
                settings_model=NoSettings,
                credential_fields=(),
                connector_factory=FeedBuildingConnector,  # type: ignore[arg-type]
            )

    plugins = build_plugin_manager()
    plugins.register(BenchChannel(), "bench")
    migrate.upgrade(plugins, database_url)
    sessions = session_factory(database_url)
    with sessions() as session:
        integration = Integration(channel_key="bench", marketplace="XX", alias="bench", settings={})
        integration.set_credentials({})
        integration.status = IntegrationStatus.LIVE
        session.add(integration)
        session.flush()
        now = utcnow()
        bulk.insert_rows(
            session,
            cast(Table, Product.__table__),
            ("sku", "stock_on_hand", "created_at", "updated_at"),
            ((f"SKU-{n:07d}", n % 9, now, now) for n in range(size)),
        )
        ids = dict(session.execute(select(Product.sku, Product.id)).all())
        bulk.insert_rows(
            session,
            cast(Table, Listing.__table__),
            ("product_id", "integration_id", "channel_sku", "fulfilment"),
            ((pid, integration.id, sku, Fulfilment.MFN) for sku, pid in ids.items()),
        )
        session.commit()
        started = time.perf_counter()
        catalog.enqueue_quantities(session, list(ids.values()))
        session.commit()
        queue_seconds = time.perf_counter() - started
        integration_id = integration.id
    del ids
    before_push = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    run = sync.run_stream(sessions, plugins, integration_id, "outbound")
    push_seconds = time.perf_counter() - started
    push_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert run.error is None and run.counts.get("quantity_done") == size, run.counts
    updates = [QuantityUpdate(f"SKU-{n:07d}", n % 9) for n in range(size)]
    started = time.perf_counter()
    for chunk in feeds.chunks(updates):
        feeds.quantity_feed("SELLER", chunk, 2)
    feed_seconds = time.perf_counter() - started
    return {
        "queue": size / queue_seconds,
        "push": size / push_seconds,
        "feeds": size / feed_seconds,
        "setup_mb": before_push / 1024,
        "push_mb": push_peak / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    os.environ.pop("CHANNELHUB_REDIS_URL", None)
    os.environ.setdefault("CHANNELHUB_SECRET_KEY", Fernet.generate_key().decode())
    header = ("queued", "queue/s", "push msg/s", "feeds only/s", "ratio", "setup MB", "push MB")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (9, 9, 11, 13, 6, 8, 8), strict=True)), "load")
    for size in args.sizes:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.database.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{args.database}?options=-csearch_path%3D{schema}"
            os.environ["CHANNELHUB_DATABASE_URL"] = url
            r = bench(url, size)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"{size:>9} {r['queue']:>9.0f} {r['push']:>11.0f} {r['feeds']:>13.0f} "
            f"{r['push'] / r['feeds']:>6.1%} {r['setup_mb']:>8.0f} {r['push_mb']:>8.0f} {load}"
        )


if __name__ == "__main__":
    main()
