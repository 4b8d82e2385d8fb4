"""The whole system at Amazon's ratios, sped up by one factor, with faults and kill -9.

PostgreSQL, Redis, three ``channelhub worker`` processes, two ``channelhub scheduler``
processes and the sandbox with its usage plans on, in a process of its own (in a thread of the
test process it would share the test's GIL and answer late for reasons Amazon would not have).
Every time constant (lease, heartbeat, stream intervals, retry backoff, plugin job periods, the
sandbox's clock) is divided by the same ``SCALE`` (``core.timing``), so a page still takes
longer than a lease, as at Amazon. searchOrders and confirmShipment answer late; some
confirmShipment answers are lost after Amazon processed them; workers are killed at random and
replaced.

Witnesses: the database (every seeded order once), the sandbox's log of confirmShipment calls
(every shipment confirmed exactly once) and its listings (the latest stock and price), and the
job log and stream locks (nothing left running).

``-m soak_ci`` is the CI variant (under five minutes, ``.ci/run`` runs it after the suites);
``-m soak`` the long one (twenty minutes, twenty kills).
"""

from __future__ import annotations

import itertools
import math
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import (
    JobRun,
    JobStatus,
    Listing,
    Order,
    OrderStatus,
    OutboxEntry,
    OutboxState,
    Product,
    SyncCursor,
)
from core.db.session import session_factory
from core.dto import Fulfilment
from core.plugins import PluginManager
from core.services import catalog
from core.services.fulfilment import create_shipment
from core.settings import Settings, get_settings
from core.timing import Timing
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.operations import operation
from plugins.amazon.sandbox import SandboxConfig, SandboxProcess, sandbox_process
from plugins.shipstation_like.tables import Notice, NoticeState
from tests.amazon.test_connector import connect
from tests.reliability.workers import WorkerFleet, worker_fleet

SCALE = 60.0
"""Amazon seconds per test second: lease 2 s, heartbeat 0.67 s, orders every 10 s."""
MARKETS = ("UK", "DE", "FR")


@dataclass(frozen=True)
class Plan:
    """How hard one soak run pushes: kills (and how far apart), rounds of new orders, shipments
    and catalogue changes (until the kills are done, at most ``rounds``), how long it may take."""

    kills: int
    kill_every: tuple[float, float]
    rounds: int
    new_orders: int
    shipments: int
    stock_rounds: int
    timeout: float


CI = Plan(kills=5, kill_every=(4.0, 9.0), rounds=1, new_orders=0, shipments=200, stock_rounds=3, timeout=270)
LONG = Plan(
    kills=20, kill_every=(45.0, 65.0), rounds=30, new_orders=150, shipments=40, stock_rounds=2, timeout=1400
)
"""Twenty minutes: a kill about every 55 s, orders placed, shipped and restocked meanwhile."""


def fresh_budget(seller_id: str) -> None:
    """Forget what earlier tests on this Redis left in the seller's usage-plan buckets (a debt,
    a rate observed at another time scale): the soak starts with full buckets, as a new seller."""
    url = get_settings().redis_url
    assert url, "the soak needs CHANNELHUB_REDIS_URL"
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"channelhub:amazon:bucket:{seller_id}:*"):
        client.delete(key)
    client.close()


def faults(sb: SandboxProcess) -> None:
    """Latency on the calls that wait on Amazon, lost answers after a confirmation took effect."""
    for body in (
        {"operation": "orders.searchOrders", "mode": "latency", "seconds": 0.3, "jitter": 0.4, "count": None},
        {
            "operation": "ordersV0.confirmShipment",
            "mode": "latency",
            "seconds": 0.02,
            "jitter": 0.05,
            "count": None,
        },
        {"operation": "ordersV0.confirmShipment", "mode": "lost_response", "probability": 0.05},
        {"operation": "feeds.createFeed", "mode": "lost_response", "probability": 0.2},
    ):
        sb.arm(body)


class Chaos:
    """Kills a worker now and then (kill -9) and starts a replacement at once.

    The victim is one holding a stream's lease when there is one (a kill in the middle of a
    run, the case that matters), else any worker: a random victim was often idle.
    """

    def __init__(
        self,
        fleet: WorkerFleet,
        workers: list[subprocess.Popen[bytes]],
        kills: int,
        every: tuple[float, float],
        busy: Callable[[], set[int]],
    ) -> None:
        self.fleet, self.workers, self.kills, self.every, self.busy = fleet, workers, kills, every, busy
        self.done = 0
        self.mid_run = 0
        self.rng = random.Random(15)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.done < self.kills and not self._stop.wait(self.rng.uniform(*self.every)):
            busy = self.busy()
            holders = [n for n, worker in enumerate(self.workers) if worker.pid in busy]
            victim = self.workers.pop(
                self.rng.choice(holders) if holders else self.rng.randrange(len(self.workers))
            )
            self.fleet.kill9(victim)
            self.done += 1
            self.mid_run += bool(holders)
            self.workers.append(self.fleet.start(threads=3))

    def __enter__(self) -> Chaos:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=30)


def lease_holders(sessions: sessionmaker[Session]) -> Callable[[], set[int]]:
    """Pids of the workers holding a live stream lease now (owner ids are ``host:pid:run``)."""

    def holders() -> set[int]:
        with sessions() as session:
            owners = session.scalars(
                select(SyncCursor.locked_by).where(SyncCursor.locked_until > utcnow())
            ).all()
        return {int(owner.split(":")[1]) for owner in owners if owner}

    return holders


START = [time.monotonic()]
"""When the running soak started (``settle`` prints times from there)."""


def settle(condition: Callable[[], bool], deadline: float, what: str, session: Session) -> float:
    """Wait for ``condition`` (or fail with where the system stands); when it was reached."""
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in time: {what}; {state_of(session)}")
        time.sleep(0.5)
    reached = time.monotonic()
    print(f"{reached - START[0]:6.1f} s  {what}", flush=True)
    return reached


def state_of(session: Session) -> str:
    """Where the system stands, for a failure message (ids and counts only, no buyer data)."""
    session.expire_all()
    orders = session.scalar(select(func.count()).select_from(Order))
    runs = dict(Counter(session.scalars(select(JobRun.status)).all()))
    errors = Counter(e[:80] for e in session.scalars(select(JobRun.error).where(JobRun.error.is_not(None))))
    cursors = [
        (c.integration_id, c.stream, c.cursor, bool(c.locked_by), c.consecutive_failures)
        for c in session.scalars(select(SyncCursor).where(SyncCursor.stream == "orders"))
    ]
    return f"orders {orders}, runs {runs}, errors {errors.most_common(4)}, order cursors {cursors}"


def scalar(session: Session, query: object) -> int:
    session.expire_all()
    return int(session.scalar(query) or 0)  # type: ignore[call-overload]


def wanted_orders(sandbox: SandboxProcess, since: datetime) -> set[str]:
    """The ids an import of every marketplace of the soak must end up with (the witness)."""
    return set().union(*(sandbox.order_ids(BY_CODE[m].channel_id, since) for m in MARKETS))


def imported_ids(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Order.channel_order_id)))


def notices_open(session: Session) -> int:
    return scalar(
        session, select(func.count()).where(Notice.state.in_((NoticeState.QUEUED, NoticeState.SENDING)))
    )


def outbox_open(session: Session) -> int:
    return scalar(
        session, select(func.count()).where(OutboxEntry.state.in_((OutboxState.PENDING, OutboxState.SENDING)))
    )


@pytest.fixture
def soak_fleet(migrated: Settings) -> Iterator[WorkerFleet]:
    with worker_fleet(lease_seconds=Timing().lease_seconds, time_scale=SCALE) as fleet:
        yield fleet


def soak(session: Session, plugins: PluginManager, fleet: WorkerFleet, plan: Plan) -> None:
    timing = Timing(time_scale=SCALE)
    config = SandboxConfig(
        seed=51, orders=9000, time_scale=timing.sandbox_time_scale, rdt_refused_marketplaces=frozenset()
    )
    started = START[0] = time.monotonic()
    deadline = started + plan.timeout
    with sandbox_process(config) as sandbox:
        integrations = {m: connect(session, plugins, sandbox, m) for m in MARKETS}  # type: ignore[arg-type]
        # The import's 30-day horizon is fixed when its first run starts, a few seconds from
        # now: orders within minutes of it may or may not belong, every later one must.
        since = datetime.now(UTC) - timedelta(days=30)
        horizon = since + timedelta(minutes=5)
        expected = wanted_orders(sandbox, since)
        certain = wanted_orders(sandbox, horizon)
        assert len(expected) >= 5000, f"the sandbox seeded only {len(expected)} orders in {MARKETS}"
        faults(sandbox)
        fresh_budget(sandbox.credentials.seller_id)

        pages = sum(math.ceil(len(sandbox.order_ids(BY_CODE[m].channel_id, since)) / 100) for m in MARKETS)
        search = operation("orders.searchOrders").plan
        allowed = max(pages - search.burst, 0) / (search.rate * SCALE)
        began = time.monotonic()
        workers = [fleet.start(threads=3) for _ in range(3)]
        schedulers = [fleet.start_scheduler(every=30 / SCALE) for _ in range(2)]
        busy = lease_holders(session_factory(get_settings().database_url))
        with Chaos(fleet, workers, plan.kills, plan.kill_every, busy) as chaos:
            imported = settle(
                lambda: certain <= imported_ids(session), deadline, "every seeded order imported", session
            )
            wanted_stock: dict[str, int] = {}
            wanted_price: dict[str, Decimal] = {}
            shipped: set[str] = set()
            after_stock: set[str] = set()
            for round_ in itertools.count():
                if round_:  # later rounds: new orders come in while workers die
                    placed = sandbox.place_orders(plan.new_orders)
                    expected |= wanted_orders(sandbox, since)
                    certain |= wanted_orders(sandbox, horizon)
                    settle(
                        lambda: certain <= imported_ids(session),  # noqa: B023 - called at once
                        deadline,
                        f"round {round_}: {len(placed)} new orders placed, those of {MARKETS} imported",
                        session,
                    )
                stock, price = change_catalogue(session, integrations["UK"], plan, deadline, round_)
                wanted_stock |= stock
                wanted_price |= price
                after_stock = ship(session, plugins, plan.shipments)  # after this round's stock set
                shipped |= after_stock
                settle(lambda: notices_open(session) == 0, deadline, "every shipment notified", session)
                settle(
                    lambda: outbox_open(session) == 0,
                    deadline,
                    "every stock and price change pushed",
                    session,
                )
                if round_ + 1 >= plan.rounds or chaos.done >= plan.kills:
                    break
            while chaos.done < plan.kills and time.monotonic() < deadline:
                time.sleep(0.5)
        assert chaos.done == plan.kills, f"only {chaos.done} of {plan.kills} kills happened in time"
        time.sleep(timing.lease.total_seconds() * 2)  # the schedulers reap the last victim's run
        for scheduler in schedulers:
            fleet.stop(scheduler)
        settle(
            lambda: scalar(session, select(func.count()).where(SyncCursor.locked_by.is_not(None))) == 0,
            deadline + 30,
            "every stream released",
            session,
        )
        for worker in workers:
            fleet.stop(worker)

        ids = session.scalars(select(Order.channel_order_id)).all()
        assert len(ids) == len(set(ids)), "an order was imported twice"
        assert certain <= set(ids), f"{len(certain - set(ids))} orders lost"
        assert set(ids) <= expected, f"{len(set(ids) - expected)} orders imported that Amazon never had"

        witness = Counter(c["order_id"] for c in sandbox.confirmations())
        assert set(witness) == shipped, f"{len(shipped - set(witness))} shipments never confirmed"
        twice = {order_id: n for order_id, n in witness.items() if n > 1}
        assert not twice, f"confirmed more than once: {twice}"
        assert scalar(session, select(func.count()).where(Notice.state == NoticeState.FAILED)) == 0

        session.expire_all()
        products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(wanted_stock)))}
        units = catalog.committed_units(session, [p.id for p in products.values()])
        shipped_units: Counter[int | None] = Counter()
        for order in session.scalars(select(Order).where(Order.channel_order_id.in_(after_stock))):
            for item in order.items:
                shipped_units[item.product_id] += item.quantity
        at_amazon = sandbox.listings()
        for sku, quantity in wanted_stock.items():
            # Shipping lowers stock on hand by the units shipped (they were committed until then)
            # since the last stock set.
            on_hand = products[sku].stock_on_hand
            assert on_hand == max(quantity - shipped_units[products[sku].id], 0), f"{sku}: on hand {on_hand}"
            available = max(on_hand - units.get(products[sku].id, 0), 0)
            assert at_amazon[sku]["quantity"] == available, f"{sku}: stale stock pushed"
        for sku, price in wanted_price.items():
            assert Decimal(at_amazon[sku]["prices"][BY_CODE["UK"].channel_id]) == price, f"{sku}: stale price"

        running = scalar(session, select(func.count()).where(JobRun.status == JobStatus.RUNNING))
        assert running == 0, f"{running} job runs left running"
        lost = scalar(session, select(func.count()).where(JobRun.error.like("lost:%")))
        stats = sandbox.stats()
        print(
            f"soak: {len(expected)} orders, {len(shipped)} shipments, {chaos.done} kills "
            f"({chaos.mid_run} of a lease holder), "
            f"{lost} runs reaped, {time.monotonic() - started:.0f} s; first import "
            f"{imported - began:.0f} s, the plan allows {allowed:.0f} s for {pages} pages "
            f"(searchOrders: {stats['requests'].get('orders.searchOrders', 0)} calls, "
            f"{stats['throttled'].get('orders.searchOrders', 0)} throttled)"
        )


def change_catalogue(
    session: Session, uk: int, plan: Plan, deadline: float, round_: int
) -> tuple[dict[str, int], dict[str, Decimal]]:
    """Once the products stream listed the MFN SKUs: several stock and price changes each."""
    settle(
        lambda: (
            scalar(
                session,
                select(func.count()).where(
                    Listing.integration_id == uk, Listing.fulfilment == Fulfilment.MFN
                ),
            )
            >= 40
        ),
        deadline,
        "UK listings imported",
        session,
    )
    skus = session.scalars(
        select(Listing.channel_sku)
        .where(Listing.integration_id == uk, Listing.fulfilment == Fulfilment.MFN)
        .order_by(Listing.channel_sku)
        .limit(40)
    ).all()
    stock: dict[str, int] = {}
    price: dict[str, Decimal] = {}
    for change in range(round_ * plan.stock_rounds, (round_ + 1) * plan.stock_rounds):
        for n, sku in enumerate(skus):
            stock[sku] = 50 + 7 * (change % 20) + n
            catalog.set_stock(session, sku, stock[sku])
            if n % 2 == 0:
                price[sku] = Decimal("10.00") + Decimal(change % 50) + Decimal(n) / 100
                catalog.set_price(session, sku, price[sku], integration_ids=[uk])
        session.commit()
        time.sleep(1.5)  # a push may be in flight with the previous round's values
    return stock, price


def ship(session: Session, plugins: PluginManager, count: int) -> set[str]:
    session.expire_all()
    orders = session.scalars(
        select(Order)
        .where(Order.fulfilment == Fulfilment.MFN, Order.status == OrderStatus.AWAITING_SHIPMENT)
        .order_by(Order.id)
        .limit(count)
    ).all()
    assert len(orders) == count, f"only {len(orders)} orders to ship"
    for n, order in enumerate(orders):
        create_shipment(session, plugins, [order], tracking=f"SOAK{n:06d}", batch_id="soak")
    session.commit()
    return {o.channel_order_id for o in orders}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.soak_ci
def test_soak_under_five_minutes(session: Session, plugins: PluginManager, soak_fleet: WorkerFleet) -> None:
    soak(session, plugins, soak_fleet, CI)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.soak
@pytest.mark.timeout(1500)
def test_soak_twenty_minutes_twenty_kills(
    session: Session, plugins: PluginManager, soak_fleet: WorkerFleet
) -> None:
    soak(session, plugins, soak_fleet, LONG)
