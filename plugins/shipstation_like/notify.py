"""Telling channels about shipments, exactly once, through throttles, failures and crashes.

The queue is the ``notify`` rows of :class:`Notice`. One call of :func:`notify_pending`:

1. **claims** due rows in its own transaction: ``queued`` rows whose ``next_attempt_at`` has
   come, and ``sending`` rows whose lease expired (their worker died mid-call). The claim is a
   compare-and-set UPDATE (after ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two
   workers never hold one row. Rows go to ``sending`` with a fresh token and lease, and that
   is **committed before the channel is called**;
2. **sends** each claimed row in its own ``confirm_shipments`` call, fenced: the pass renews
   its claim on a clock while it works (every lease/3), and the transaction that records a
   send also checks that the next row is still ours, extending its lease over the call. The
   moment a row is not ours any more the pass stops sending. A row recovered from an expired
   lease goes out with ``possibly_sent=True``: the connector then checks with the channel
   first, and answers ``already_confirmed`` instead of sending again;
3. **records** each answer, only on rows still carrying its token. Throttles and temporary
   failures put rows back to ``queued`` with a backoff (a throttle also stops the pass: the
   rows not yet sent go back untouched); a permanent refusal is recorded as failed and never
   retried.

Nothing lives in memory between calls: any process may run the next one, and killing a worker
at any point leaves either an untouched ``queued`` row or a ``sending`` row whose lease runs out.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, and_, case, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from core.api import (
    ChannelConnector,
    ChannelhubError,
    ConfirmationResult,
    Integration,
    NotifyState,
    Order,
    PluginManager,
    Shipment,
    ShipmentConfirmation,
    ThrottledError,
    TransientChannelError,
    build_connector,
    get_logger,
    get_timing,
    record_notification,
    utcnow,
)
from core.api import ShipmentLine as ConfirmedLine
from plugins.shipstation_like.tables import Notice, NoticeAction, NoticeState

log = get_logger(__name__)

DEFAULT_LIMIT = 100
"""Notices one run claims: at Amazon's 2 confirmations/s a claim finishes well inside its lease,
and a worker that dies leaves at most this many to re-check before resending."""
LEASE = timedelta(minutes=5)
"""How long a claim holds; longer than a confirm call with the connector's own retries."""


@dataclass(slots=True)
class NotifySummary:
    """What one pass did; ``calls`` counts connector calls (one per integration)."""

    claimed: int = 0
    recovered: int = 0
    calls: int = 0
    sent: int = 0
    already_confirmed: int = 0
    retry_later: int = 0
    failed: int = 0


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Doubling delay from 30 s up to an hour (scaled by the time scale); never sooner than
    the channel asked."""
    timing = get_timing()
    delay: timedelta = min(timing.notify_backoff * 2 ** max(attempts - 1, 0), timing.notify_backoff_max)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Notice.action == NoticeAction.NOTIFY,
        or_(
            and_(Notice.state == NoticeState.QUEUED, Notice.next_attempt_at <= now),
            and_(Notice.state == NoticeState.SENDING, Notice.lease_until < now),
        ),
    )


def _claim(session: Session, limit: int, now: datetime, lease: timedelta, token: str) -> list[int]:
    """Take up to ``limit`` due rows for this pass; a row is never held by two passes.

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so parallel workers take different rows
    instead of queueing on the same ones. SQLite (one writer at a time): a single UPDATE over a
    subquery, so the read never has to upgrade to a write lock. In both, the UPDATE repeats the
    due condition: a compare-and-set that only succeeds on rows nobody claimed meanwhile.
    """
    due = select(Notice.id).where(_due(now)).order_by(Notice.next_attempt_at, Notice.id).limit(limit)
    target: Sequence[int] | Select[Any]
    if session.get_bind().dialect.name == "postgresql":
        target = list(session.scalars(due.with_for_update(skip_locked=True)))
        if not target:
            return []
    else:
        target = due
    claimed = session.execute(
        update(Notice)
        .where(Notice.id.in_(target), _due(now))
        .values(
            possibly_sent=case((Notice.state == NoticeState.SENDING, True), else_=Notice.possibly_sent),
            state=NoticeState.SENDING,
            claim_token=token,
            lease_until=now + lease,
            attempts=Notice.attempts + 1,
        )
        .returning(Notice.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


def _confirmation(
    notice: Notice, shipment: Shipment, order: Order, carrier_name: str | None
) -> ShipmentConfirmation:
    """The order's only confirmation: every item of the order, whatever this parcel holds."""
    return ShipmentConfirmation(
        channel_order_id=order.channel_order_id,
        idempotency_key=shipment.idempotency_key,
        carrier_code=shipment.carrier_code,
        carrier_name=carrier_name,
        service=shipment.service_code,
        tracking_number=shipment.tracking_number,
        ship_date=shipment.shipped_at or shipment.created_at,
        lines=tuple(ConfirmedLine(i.channel_item_id, i.quantity) for i in order.items),
        possibly_sent=notice.possibly_sent,
    )


@dataclass(frozen=True, slots=True)
class _Outcome:
    state: NoticeState
    error: str | None = None
    retry_after: float | None = None
    possibly_sent: bool = False
    already_confirmed: bool = False
    stop: bool = False
    """The channel asked us to stop (throttled): the pass sends nothing more."""


def _outcomes(results: Sequence[ConfirmationResult]) -> dict[str, _Outcome]:
    outcomes: dict[str, _Outcome] = {}
    for result in results:
        if result.ok or result.already_confirmed:
            outcomes[result.channel_order_id] = _Outcome(
                NoticeState.DONE, already_confirmed=result.already_confirmed
            )
        elif result.permanent:
            outcomes[result.channel_order_id] = _Outcome(NoticeState.FAILED, result.error or "refused")
        else:
            outcomes[result.channel_order_id] = _Outcome(
                NoticeState.QUEUED, result.error or "not accepted yet", possibly_sent=True
            )
    return outcomes


def _send(connector: ChannelConnector, confirmation: ShipmentConfirmation) -> _Outcome:
    """One confirmation, one connector call; the outcome, or why the pass should stop."""
    try:
        results: Sequence[ConfirmationResult] = connector.confirm_shipments([confirmation])
    except ThrottledError as exc:
        return _Outcome(NoticeState.QUEUED, f"throttled: {exc}", retry_after=exc.retry_after, stop=True)
    except TransientChannelError as exc:  # a timeout may hide a confirmation that went through
        return _Outcome(NoticeState.QUEUED, f"temporary failure: {exc}", possibly_sent=True)
    except ChannelhubError as exc:
        return _Outcome(NoticeState.QUEUED, f"channel error: {exc}", possibly_sent=True)
    return _outcomes(results).get(
        confirmation.channel_order_id,
        _Outcome(NoticeState.QUEUED, "the channel gave no answer for this order", possibly_sent=True),
    )


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What recording needs of a claimed row, read before the call (no ORM state across it)."""

    notice_id: int
    shipment_id: int
    attempts: int
    channel_order_id: str


def _record(session: Session, notice: _Claimed, outcome: _Outcome, token: str, now: datetime) -> bool:
    values: dict[str, object] = {"claim_token": None, "lease_until": None, "state": outcome.state}
    if outcome.state is NoticeState.QUEUED:
        values["next_attempt_at"] = now + backoff(notice.attempts, outcome.retry_after)
        values["last_error"] = outcome.error
        if outcome.possibly_sent:
            values["possibly_sent"] = True
    else:
        values["done_at"] = now
        values["last_error"] = outcome.error if outcome.state is NoticeState.FAILED else None
    kept = cast(
        CursorResult[Any],
        session.execute(
            update(Notice)
            .where(Notice.id == notice.notice_id, Notice.claim_token == token)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    if kept.rowcount != 1:  # our lease ran out and another worker holds the row now
        return False
    shipment_state = {NoticeState.DONE: NotifyState.SENT, NoticeState.FAILED: NotifyState.FAILED}
    record_notification(
        session,
        notice.shipment_id,
        state=shipment_state.get(outcome.state),
        attempts=notice.attempts,
        error=outcome.error,
        now=now,
    )
    return True


def _hold(session: Session, notice_id: int, token: str, until: datetime) -> bool:
    """The fence: is this row still ours? If so, extend its lease over the coming send."""
    held = cast(
        CursorResult[Any],
        session.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.claim_token == token, Notice.state == NoticeState.SENDING)
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        ),
    )
    return held.rowcount == 1


class _ClaimKeeper:
    """Renews the lease of every row a pass still holds, every lease/3, on its own session.

    A pass may take longer than its lease (a hundred confirmations at Amazon's latency), so
    the claim is kept on a clock while the pass lives; a pass that dies stops renewing and its
    rows are reclaimed (as possibly sent) once the lease runs out.
    """

    def __init__(
        self, factory: sessionmaker[Session], token: str, lease: timedelta, clock: Callable[[], datetime]
    ) -> None:
        self.factory, self.token, self.lease, self.clock = factory, token, lease, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify-lease", daemon=True)

    def __enter__(self) -> _ClaimKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.lease.total_seconds())

    def _run(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() * get_timing().heartbeat_fraction):
            try:
                with self.factory() as session, session.begin():
                    session.execute(
                        update(Notice)
                        .where(Notice.claim_token == self.token, Notice.state == NoticeState.SENDING)
                        .values(lease_until=self.clock() + self.lease)
                        .execution_options(synchronize_session=False)
                    )
            except Exception as exc:  # a database blip: the per-send fence still protects every send
                log.warning("notify lease renewal failed", error=type(exc).__name__)


def _tally(summary: NotifySummary, outcome: _Outcome) -> None:
    if outcome.state is NoticeState.DONE:
        summary.sent += 1
        summary.already_confirmed += outcome.already_confirmed
    elif outcome.state is NoticeState.FAILED:
        summary.failed += 1
    else:
        summary.retry_later += 1


def _send_integration(
    session_factory: sessionmaker[Session],
    plugins: PluginManager,
    integration_id: int,
    notice_ids: list[int],
    token: str,
    clock: Callable[[], datetime],
    lease: timedelta,
    summary: NotifySummary,
) -> None:
    """Send this integration's claimed rows one by one, each fenced by its claim.

    The transaction that records a send also checks (and extends) the claim on the next row:
    the moment a row is no longer ours, the pass stops sending. A throttle stops the pass too,
    putting the rows not yet sent back in the queue untouched.
    """
    carriers = plugins.carriers()
    with session_factory() as session:
        rows = session.execute(
            select(Notice, Shipment, Order)
            .join(Shipment, Shipment.id == Notice.shipment_id)
            .join(Order, Order.id == Notice.order_id)
            .where(Notice.id.in_(notice_ids), Notice.claim_token == token)
            .options(selectinload(Order.items))
            .order_by(Notice.id)
        ).all()
        if not rows:
            return
        work = []
        for notice, shipment, order in rows:
            carrier = carriers.get(shipment.carrier_code)
            work.append(
                (
                    _Claimed(notice.id, notice.shipment_id, notice.attempts, order.channel_order_id),
                    _confirmation(notice, shipment, order, carrier.name if carrier else None),
                )
            )
        session.rollback()  # end the read transaction: no lock is held during a channel call
        try:
            connector = build_connector(session.get_one(Integration, integration_id), plugins)
        except ChannelhubError as exc:  # channel plugin missing or misconfigured: nothing was sent
            session.rollback()
            with session.begin():
                for entry, _confirm in work:
                    outcome = _Outcome(NoticeState.QUEUED, f"cannot reach the channel: {exc}")
                    if _record(session, entry, outcome, token, clock()):
                        _tally(summary, outcome)
            return
        session.rollback()
        stopped: _Outcome | None = None
        try:
            with session.begin():
                held = _hold(session, work[0][0].notice_id, token, clock() + lease)
            for n, (entry, confirmation) in enumerate(work):
                if not held:
                    log.warning("notify claim lost; pass stops", integration_id=integration_id)
                    return
                if stopped is not None:  # throttled: the rest waits, never sent, as it was
                    outcome = replace(stopped, possibly_sent=False)
                else:
                    summary.calls += 1
                    outcome = _send(connector, confirmation)
                    if outcome.stop:
                        stopped = outcome
                with session.begin():
                    now = clock()
                    if not _record(session, entry, outcome, token, now):
                        log.warning("notify claim lost; pass stops", integration_id=integration_id)
                        return
                    _tally(summary, outcome)
                    if n + 1 < len(work):
                        held = _hold(session, work[n + 1][0].notice_id, token, now + lease)
        finally:
            connector.close()
    log.info(
        "shipment notifications sent",
        integration_id=integration_id,
        notices=len(work),
        error=stopped.error if stopped else None,
    )


def notify_pending(
    session_factory: sessionmaker[Session],
    plugins: PluginManager,
    *,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> NotifySummary:
    """Send due notifications: claim (commit), then each send fenced by the claim, recorded.

    Safe to run from many workers at once and to kill at any instant (see the module doc).
    ``now`` is for tests and replays (the clock then stands still); by default the current time.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    token = uuid.uuid4().hex
    summary = NotifySummary()
    with session_factory() as session, session.begin():
        ids = _claim(session, limit, clock(), lease, token)
        if not ids:
            return summary
        claimed = session.execute(
            select(Notice.id, Notice.integration_id, Notice.possibly_sent).where(Notice.id.in_(ids))
        ).all()
    by_integration: dict[int, list[int]] = defaultdict(list)
    for notice_id, integration_id, possibly_sent in claimed:
        by_integration[integration_id].append(notice_id)
        summary.recovered += bool(possibly_sent)
    summary.claimed = len(claimed)
    with _ClaimKeeper(session_factory, token, lease, clock):
        for integration_id, notice_ids in sorted(by_integration.items()):
            _send_integration(
                session_factory, plugins, integration_id, notice_ids, token, clock, lease, summary
            )
    return summary


@dataclass(frozen=True, slots=True)
class QueuedNotice:
    """A row of ``shipments pending-notify``."""

    notice_id: int
    shipment_id: int
    channel_order_id: str
    integration_id: int
    state: str
    attempts: int
    next_attempt_at: datetime | None
    possibly_sent: bool
    last_error: str | None


def pending_notices(session: Session) -> list[QueuedNotice]:
    """Notifications not yet through: queued (waiting for their time) or being sent."""
    rows = session.execute(
        select(Notice, Order.channel_order_id)
        .join(Order, Order.id == Notice.order_id)
        .where(
            Notice.action == NoticeAction.NOTIFY,
            Notice.state.in_([NoticeState.QUEUED, NoticeState.SENDING]),
        )
        .order_by(Notice.next_attempt_at, Notice.id)
    )
    return [
        QueuedNotice(
            n.id,
            n.shipment_id,
            channel_order_id,
            n.integration_id,
            n.state.value if n.state else "",
            n.attempts,
            n.next_attempt_at,
            n.possibly_sent,
            n.last_error,
        )
        for n, channel_order_id in rows
    ]


def manual_updates(session: Session) -> list[tuple[int, str, int]]:
    """(shipment id, channel order id, integration id) of combined orders to update by hand."""
    rows = session.execute(
        select(Notice.shipment_id, Order.channel_order_id, Notice.integration_id)
        .join(Order, Order.id == Notice.order_id)
        .where(Notice.action == NoticeAction.MANUAL)
        .order_by(Notice.shipment_id, Order.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]
