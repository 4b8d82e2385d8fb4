"""Each shipped MFN order is confirmed to Amazon exactly once, through throttling and kill -9.

The sandbox's record of confirmShipment calls (duplicates included) is the witness.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Order, OrderStatus
from core.db.session import session_factory
from core.dto import Fulfilment
from core.plugins import PluginManager
from core.services import sync
from core.services.fulfilment import create_shipment
from core.settings import Settings
from plugins.amazon.sandbox import SandboxConfig, running_sandbox
from plugins.shipstation_like.tables import Notice, NoticeState
from tests.amazon.test_connector import connect
from tests.reliability.workers import WorkerFleet, wait_for, worker_fleet

# Minutes, not seconds, on a loaded CI machine (two suites run side by side): the import of
# 5,000 orders and ten worker restarts dominate, not the notify passes under test.
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(900)]

SHIPMENTS = 500
KILLS = 10
LEASE = 3.0


@pytest.fixture
def fleet(migrated: Settings) -> Iterator[WorkerFleet]:
    with worker_fleet(lease_seconds=LEASE) as workers:
        yield workers


def notices(session: Session, *states: NoticeState) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Notice).where(Notice.state.in_(states))) or 0


def open_notices(session: Session) -> int:
    return notices(session, NoticeState.QUEUED, NoticeState.SENDING)


def test_500_shipments_notify_exactly_once_through_throttling_and_10_kills(
    session: Session, plugins: PluginManager, fleet: WorkerFleet
) -> None:
    # time scale 50: confirmShipment at 100/s after its burst of 10, so the plan bites and the
    # test takes seconds; the sandbox also throws extra 429s at the first calls (the client
    # backs off and retries them; past its retries a notice waits 30 s, which tests/shipstation_like cover)
    config = SandboxConfig(seed=31, orders=5000, time_scale=50, rdt_refused_marketplaces=frozenset())
    with running_sandbox(config) as sandbox:
        integrations = [
            connect(session, plugins, sandbox, market) for market in ("UK", "DE", "FR", "IT", "ES")
        ]
        for integration_id in integrations:
            sync.run_stream(session_factory(), plugins, integration_id, "orders")
        session.expire_all()
        orders = session.scalars(
            select(Order)
            .where(Order.fulfilment == Fulfilment.MFN, Order.status == OrderStatus.AWAITING_SHIPMENT)
            .order_by(Order.id)
            .limit(SHIPMENTS)
        ).all()
        assert len(orders) == SHIPMENTS, f"the sandbox seeded only {len(orders)} unshipped MFN orders"
        for n, order in enumerate(orders):
            create_shipment(session, plugins, [order], tracking=f"TRK{n:06d}", batch_id="crash-test")
        session.commit()
        httpx.post(
            f"{sandbox.base_url}/_sandbox/faults",
            json={"operation": "ordersV0.confirmShipment", "status": 429, "count": 3},
        ).raise_for_status()

        rng = random.Random(7)
        worker = fleet.start(threads=1)
        for _ in range(KILLS):
            fleet.enqueue("shipstation_notify_shipments")
            before = len(sandbox.state.confirmations)
            wait_for(lambda before=before: len(sandbox.state.confirmations) > before, timeout=60)
            time.sleep(rng.uniform(0.0, 0.5))  # somewhere inside the batch
            fleet.kill9(worker)
            time.sleep(LEASE + 0.2)  # the dead worker's claims expire
            worker = fleet.start(threads=1)
        deadline = time.monotonic() + 240
        while open_notices(session) and time.monotonic() < deadline:
            fleet.enqueue("shipstation_notify_shipments")  # the scheduler's job, every minute in production
            time.sleep(1.0)

        witness = Counter(c.order_id for c in sandbox.state.confirmations)
        shipped = {o.channel_order_id for o in orders}
        assert open_notices(session) == 0 and notices(session, NoticeState.FAILED) == 0
        assert set(witness) == shipped, f"{len(shipped - set(witness))} orders never confirmed"
        twice = {order_id: n for order_id, n in witness.items() if n > 1}
        assert not twice, f"confirmed more than once: {twice}"
