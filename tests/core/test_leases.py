"""Leases measured in time, with ratios as at Amazon: a page takes longer than the lease.

At searchOrders' real plan a page comes about every 178 s and the lease is 120 s; here a page
comes every ``PAGE`` seconds and the lease is shorter than that, the same ratio, scaled down.
A runner keeps its stream through pages slower than its lease, commits each page as it comes,
and one whose stream was taken over stops before its next write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import Integration, IntegrationStatus, JobRun, JobStatus, Order, SyncCursor
from core.dto import ChannelOrderStatus
from core.plugins import PluginManager
from core.services import job_runs, scheduler, stream_lock, sync
from core.services.streams import orders as orders_stream
from core.settings import get_settings
from tests.core.test_sync import channel_order, count, run, world
from tests.fakes.channel import CHANNEL

__all__ = ["world"]  # the fake-channel integration fixture, shared with test_sync

LEASE = 1.2
PAGE = 1.8  # 178 s / 120 s of Amazon's, times the lease: a page outlasts the lease


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CHANNELHUB_STREAM_LEASE_SECONDS", str(LEASE))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class Background:
    """Runs one stream in a thread, so the test can watch and interfere meanwhile."""

    def __init__(self, world: tuple[sessionmaker[Session], PluginManager, int], stream: str) -> None:
        self.result: sync.StreamRun | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(world, stream))
        self.thread.start()

    def _run(self, world: tuple[sessionmaker[Session], PluginManager, int], stream: str) -> None:
        try:
            self.result = run(world, stream)
        except BaseException as exc:
            self.error = exc

    def join(self) -> sync.StreamRun:
        self.thread.join(timeout=60)
        assert self.error is None, self.error
        assert self.result is not None
        return self.result


def wait_until(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_stream_slower_than_its_lease_keeps_it_and_commits_every_page(
    session: Session, world: tuple, short_lease: None
) -> None:
    CHANNEL.orders = [channel_order(n) for n in range(400)]
    CHANNEL.page_delay = PAGE
    runner = Background(world, "orders")
    wait_until(lambda: count(session, Order) == 100)  # the first page committed on its own
    main_job = session.scalars(select(JobRun)).one()
    first_beat = main_job.heartbeat_at
    seen = []
    while runner.thread.is_alive():
        seen.append(count(session, Order))
        rival = run(world, "orders")  # what a second worker would do once the lease ran out
        if rival.ran:  # only allowed once the first runner finished and released the stream
            session.refresh(main_job)
            assert main_job.finished_at is not None, "a second runner started on a running stream"
        time.sleep(0.1)
    result = runner.join()
    assert result.error is None and result.counts["created"] == 400
    assert {100, 200, 300} <= set(seen), f"pages were not committed as they came: {sorted(set(seen))}"
    session.refresh(main_job)
    assert main_job.status is JobStatus.SUCCEEDED and main_job.heartbeat_at > first_beat  # type: ignore[operator]


def test_unthrottled_pages_are_still_written_in_big_batches(session: Session, world: tuple) -> None:
    total = 3 * orders_stream.ORDER_BATCH
    CHANNEL.orders = [channel_order(n) for n in range(total)]
    sessions, plugins, integration_id = world
    batches: list[int] = []
    result = sync.run_stream(
        sessions, plugins, integration_id, "orders", progress=lambda _what, n: batches.append(n)
    )
    assert result.counts["created"] == total
    pages = total // CHANNEL.page_size
    assert max(batches) >= orders_stream.ORDER_BATCH and len(batches) < pages // 2, batches


def test_pages_a_moment_apart_are_batched_not_committed_one_by_one(
    session: Session, world: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill's reader needs a few milliseconds per page (fetch, decode, validate): that is
    not a paced channel, so the batch waits for the next page instead of committing each."""
    monkeypatch.setattr(orders_stream, "ORDER_BATCH", 1_000)
    CHANNEL.orders = [channel_order(n) for n in range(3_000)]
    CHANNEL.page_delay = orders_stream.PAGE_GRACE / 5
    sessions, plugins, integration_id = world
    batches: list[int] = []
    result = sync.run_stream(
        sessions, plugins, integration_id, "orders", progress=lambda _what, n: batches.append(n)
    )
    assert result.counts["created"] == 3_000
    assert batches == [1_000, 1_000, 1_000], batches


def test_a_runner_whose_stream_was_taken_over_stops_before_its_next_write(
    session: Session, world: tuple, short_lease: None
) -> None:
    CHANNEL.orders = [channel_order(n) for n in range(500)]
    CHANNEL.page_delay = PAGE
    runner = Background(world, "orders")
    wait_until(lambda: count(session, Order) >= 100)
    session.execute(  # another runner owns the stream now (as after a network partition)
        update(SyncCursor)
        .where(SyncCursor.stream == "orders")
        .values(locked_by="thief", locked_until=utcnow() + timedelta(hours=1))
    )
    session.commit()
    at_takeover = count(session, Order)
    result = runner.join()
    assert result.error is not None and "taken over" in result.error
    assert count(session, Order) == at_takeover, "the old runner wrote after losing its stream"
    session.expire_all()
    assert session.scalar(select(SyncCursor.locked_by).where(SyncCursor.stream == "orders")) == "thief"


def test_a_queued_stream_is_not_enqueued_again_until_a_runner_claims_it(
    session: Session, world: tuple
) -> None:
    sessions, _, _ = world
    sent: list[tuple[object, ...]] = []
    assert len(scheduler.tick(sessions, [], lambda *a: sent.append(a)).streams) == len(sync.STREAMS)
    session.execute(update(SyncCursor).values(next_run_at=utcnow() - timedelta(seconds=1)))
    session.commit()  # due again, but its first message still waits in the queue
    assert scheduler.tick(sessions, [], lambda *a: sent.append(a)).streams == []
    run(world, "orders")  # a worker takes the message: the claim clears the mark
    session.execute(update(SyncCursor).values(next_run_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert scheduler.tick(sessions, [], lambda *a: sent.append(a)).streams == [("fake-uk", "orders")]


def test_a_failed_enqueue_leaves_the_slot_due_for_the_next_tick(session: Session, world: tuple) -> None:
    sessions, _, _ = world

    def broker_down(*_args: object) -> None:
        raise ConnectionError("redis blip")

    failed = scheduler.tick(sessions, [], broker_down)
    assert failed.streams == [] and failed.failed_enqueues == len(sync.STREAMS)
    sent: list[tuple[object, ...]] = []
    retried = scheduler.tick(sessions, [], lambda *a: sent.append(a))
    assert len(retried.streams) == len(sync.STREAMS) == len(sent)


def test_runs_of_dead_workers_are_reaped_and_live_ones_kept(session: Session, world: tuple) -> None:
    sessions, _, integration_id = world
    lease = sync.get_timing().lease
    dead = JobRun(job="sync", integration_id=integration_id, stream="orders", counts={})
    dead.heartbeat_at = utcnow() - lease * 2
    alive = JobRun(job="sync", integration_id=integration_id, stream="mcf", counts={})
    alive.heartbeat_at = utcnow()
    session.add_all([dead, alive])
    session.commit()
    assert scheduler.tick(sessions, [], lambda *a: None).reaped == 1
    session.expire_all()
    assert dead.status is JobStatus.FAILED and dead.error == job_runs.LOST
    assert alive.status is JobStatus.RUNNING and job_runs.running(session) == 1


def test_the_job_log_is_pruned_daily_keeping_recent_and_running_runs(
    session: Session, world: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions, _, integration_id = world
    monkeypatch.setattr(job_runs, "PRUNE_BATCH", 3)  # several batches
    now = utcnow()

    def logged(age: timedelta, status: JobStatus) -> JobRun:
        return JobRun(
            job="sync",
            integration_id=integration_id,
            stream="orders",
            counts={},
            status=status,
            started_at=now - age,
            heartbeat_at=now,
        )

    old = [logged(timedelta(days=31 + n), JobStatus.SUCCEEDED) for n in range(7)]
    kept = [logged(timedelta(days=29), JobStatus.FAILED), logged(timedelta(days=40), JobStatus.RUNNING)]
    session.add_all([*old, *kept])
    session.commit()
    first = scheduler.tick(sessions, [], lambda *a: None)
    assert first.pruned == 7
    assert sorted(session.scalars(select(JobRun.id))) == sorted(r.id for r in kept)
    session.add(logged(timedelta(days=60), JobStatus.SUCCEEDED))
    session.commit()
    assert scheduler.tick(sessions, [], lambda *a: None).pruned == 0  # once a day, not every tick


def test_an_incomplete_integration_is_verified_again_on_a_slow_schedule(
    session: Session, world: tuple
) -> None:
    sessions, _, integration_id = world
    session.execute(
        update(Integration)
        .where(Integration.id == integration_id)
        .values(status=IntegrationStatus.INCOMPLETE, status_reason="verification interrupted: 503")
    )
    session.commit()
    sent: list[tuple[object, ...]] = []
    first = scheduler.tick(sessions, [], lambda *a: sent.append(a))
    assert first.verifications == ["fake-uk"] and ("verify_integration", integration_id) in sent
    assert first.streams == []  # an Incomplete integration does not sync
    assert scheduler.tick(sessions, [], lambda *a: sent.append(a)).verifications == []  # slow schedule


def test_a_successful_sync_brings_an_errored_integration_back_to_live(session: Session, world: tuple) -> None:
    _, _, integration_id = world
    session.execute(
        update(Integration)
        .where(Integration.id == integration_id)
        .values(status=IntegrationStatus.ERROR, status_reason="LWA answered 401 once")
    )
    session.commit()
    assert run(world, "orders").error is None
    session.expire_all()
    integration = session.get_one(Integration, integration_id)
    assert (integration.status, integration.status_reason) == (IntegrationStatus.LIVE, None)


def test_orders_that_become_shippable_later_get_a_carrier(session: Session, world: tuple) -> None:
    CHANNEL.orders = [channel_order(n, status=ChannelOrderStatus.PENDING) for n in range(3)]
    run(world, "orders")
    CHANNEL.orders = [channel_order(n) for n in range(3)]  # paid: now awaiting shipment
    session.execute(update(SyncCursor).where(SyncCursor.stream == "orders").values(cursor=None))
    session.commit()
    run(world, "orders")
    session.expire_all()
    unassigned = session.scalar(
        select(func.count()).where(Order.carrier_code.is_(None), Order.review_reason.is_(None))
    )
    assert unassigned == 0


def test_a_runner_renews_between_pages_only_when_the_clock_is_due(
    session: Session, world: tuple[sessionmaker[Session], PluginManager, int]
) -> None:
    """``beat_if_due`` after every page: no transaction while renewals are on time (at full
    speed that was ten commits per thousand orders), a renewal as soon as one is due."""
    sessions, _, integration_id = world
    lease = timedelta(seconds=0.6)  # the clock's renewal is due every lease/3
    assert stream_lock.claim(session, integration_id, "orders", "me", lease)

    def locked_until() -> object:
        with sessions() as fresh:
            return fresh.scalar(
                select(SyncCursor.locked_until).where(SyncCursor.integration_id == integration_id)
            )

    keeper = stream_lock.LeaseKeeper(
        sessions, integration_id, "orders", "me", lease=lease
    )  # clock not started
    claimed = locked_until()
    for _ in range(20):
        keeper.beat_if_due()  # pages far faster than the heartbeat
    assert locked_until() == claimed
    time.sleep(lease.total_seconds() / 3 + 0.05)
    keeper.beat_if_due()
    renewed = locked_until()
    assert renewed > claimed  # type: ignore[operator]
    keeper.beat_if_due()
    assert locked_until() == renewed
