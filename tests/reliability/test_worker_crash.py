"""kill -9 a real worker mid-import and mid-push: nothing lost, nothing duplicated, nothing late.

These run against PostgreSQL and Redis with ``channelhub worker`` processes, the Amazon
sandbox answering over loopback, exactly as a deployment would run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Listing, Order, OutboxEntry, OutboxState, Product, SyncCursor
from core.db.session import session_factory
from core.dto import Fulfilment
from core.plugins import PluginManager
from core.services import catalog, sync
from core.services.streams import orders as orders_stream
from core.settings import Settings
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.sandbox import SandboxConfig, running_sandbox
from tests.amazon.test_connector import connect, seeded
from tests.reliability.workers import WorkerFleet, wait_for, worker_fleet

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

UK = BY_CODE["UK"]
LEASE = 3.0
"""Seconds a dead worker's stream stays locked (120 in production; short to keep tests short)."""


@pytest.fixture
def fleet(migrated: Settings) -> Iterator[WorkerFleet]:
    with worker_fleet(lease_seconds=LEASE) as workers:
        yield workers


def order_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Order)) or 0


def stream_done(session: Session, integration_id: int, stream: str, after: float) -> bool:
    session.expire_all()
    cursor = session.scalar(
        select(SyncCursor).where(SyncCursor.integration_id == integration_id, SyncCursor.stream == stream)
    )
    return bool(cursor and cursor.last_success_at and cursor.last_success_at.timestamp() > after)


def test_kill9_mid_import_loses_and_duplicates_no_order(
    session: Session, plugins: PluginManager, fleet: WorkerFleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sandbox(SandboxConfig(seed=21, orders=36_000, time_scale=600, throttle=False)) as sandbox:
        integration_id = connect(session, plugins, sandbox, pace_requests=False)
        expected = seeded(sandbox, UK.channel_id)
        assert len(expected) > 2 * orders_stream.ORDER_BATCH  # several committed batches to die between

        worker = fleet.start()
        fleet.enqueue("sync_stream", integration_id, "orders")
        wait_for(lambda: 0 < order_count(session) < len(expected))
        fleet.kill9(worker)
        survived = order_count(session)
        assert 0 < survived < len(expected), "the crash must land mid-import for this test to mean anything"

        time.sleep(LEASE + 0.5)  # the dead worker's lease runs out
        started = time.time()
        fleet.start()
        fleet.enqueue("sync_stream", integration_id, "orders")  # what the scheduler does next
        wait_for(lambda: stream_done(session, integration_id, "orders", started), timeout=120)

    ids = session.scalars(select(Order.channel_order_id)).all()
    assert len(ids) == len(set(ids)), "an order was imported twice"
    assert set(ids) == expected, f"{len(expected - set(ids))} orders lost"


def test_kill9_mid_push_loses_no_stock_change_and_sends_none_out_of_order(
    session: Session, plugins: PluginManager, fleet: WorkerFleet
) -> None:
    # time scale 10: a feed takes 3 s to process, a window to die in
    with running_sandbox(SandboxConfig(seed=22, orders=50, time_scale=10)) as sandbox:
        integration_id = connect(session, plugins, sandbox)
        sync.run_stream(session_factory(), plugins, integration_id, "products")
        session.expire_all()
        skus = session.scalars(
            select(Listing.channel_sku)
            .where(Listing.fulfilment == Fulfilment.MFN)
            .order_by(Listing.channel_sku)
        ).all()[:40]
        for n, sku in enumerate(skus):
            catalog.set_stock(session, sku, 100 + n)
        session.commit()

        worker = fleet.start()
        fleet.enqueue("sync_stream", integration_id, "outbound")
        wait_for(lambda: len(sandbox.state.feeds) > 0, timeout=60)
        time.sleep(0.5)  # inside the feed: uploaded, not yet processed
        fleet.kill9(worker)
        assert _unanswered(session) > 0, "the crash must land mid-push for this test to mean anything"

        # newer changes arrive while rows of the dead push are still waiting for their verdict
        for sku in skus[:10]:
            catalog.set_stock(session, sku, 7)
        session.commit()

        time.sleep(LEASE + 0.5)  # the dead worker's lease runs out
        started = time.time()
        fleet.start()
        fleet.enqueue("sync_stream", integration_id, "outbound")
        wait_for(lambda: stream_done(session, integration_id, "outbound", started), timeout=120)

        session.expire_all()
        wanted = {sku: (7 if n < 10 else 100 + n) for n, sku in enumerate(skus)}
        products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))}
        units = catalog.committed_units(session, [p.id for p in products.values()])
        for sku, quantity in wanted.items():
            expected = max(quantity - units.get(products[sku].id, 0), 0)
            assert sandbox.state.listings[sku].quantity == expected, f"{sku}: stale or lost stock change"
    assert {r.state for r in session.scalars(select(OutboxEntry))} == {OutboxState.DONE}


def _unanswered(session: Session) -> int:
    """Queued rows without a verdict: the dead push's, since rows are marked only by their verdict."""
    session.expire_all()
    return session.scalar(select(func.count()).where(OutboxEntry.state == OutboxState.PENDING)) or 0
