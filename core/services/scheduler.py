"""Enqueue what is due: every stream of every syncing integration, and periodic plugin jobs.

Safe to run twice at once (two ``channelhub scheduler`` processes, or one restarted): a slot
is booked with a conditional UPDATE whose row lock is held until the job is enqueued, so only
one scheduler wins each slot; and even a duplicate message is harmless, because a stream runs
under its lock. A slot is committed only once its enqueue succeeded: a broker blip leaves the
stream due for the next tick instead of skipping a whole interval.

Each tick also reaps the job runs of dead workers (:mod:`core.services.job_runs`), prunes the
job log once a day, and re-verifies Incomplete integrations on a slow schedule, so nothing
stops silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import Integration, IntegrationStatus, ScheduledJob
from core.db.session import dialect_insert
from core.logs import get_logger
from core.services import job_runs, stream_lock, sync
from core.settings import get_settings
from core.timing import get_timing
from core.types import ActorSpec

log = get_logger(__name__)

PRUNE_SLOT = "prune_job_runs"
PRUNE_EVERY = timedelta(days=1)

Enqueue = Callable[..., object]
"""``enqueue(actor_name, *args)``: sends a message (core.jobs.broker.enqueue bound to a broker)."""


@dataclass
class TickResult:
    streams: list[tuple[str, str]] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    verifications: list[str] = field(default_factory=list)
    reaped: int = 0
    pruned: int = 0
    failed_enqueues: int = 0


def tick(sessions: sessionmaker[Session], actors: Sequence[ActorSpec], enqueue: Enqueue) -> TickResult:
    """One pass: reap lost runs, then book and enqueue every due stream slot and periodic job."""
    result = TickResult()
    with sessions() as session:
        result.reaped = job_runs.reap_lost(session)
        session.commit()
        if _take_slot(session, PRUNE_SLOT, get_timing().scaled(PRUNE_EVERY)):
            session.commit()
            keep = timedelta(days=get_settings().job_log_days)
            result.pruned = job_runs.prune(session, utcnow() - keep)
        due = [
            (i.id, i.alias, {s: sync.interval(i, s) for s in sync.STREAMS}) for i in sync.syncable(session)
        ]
        session.commit()
        for integration_id, alias, intervals in due:
            for stream, every in intervals.items():
                booked = stream_lock.take_due(session, integration_id, stream, every)
                if booked and _enqueue(session, result, enqueue, "sync_stream", integration_id, stream):
                    result.streams.append((alias, stream))
                elif not booked:
                    session.commit()
        incomplete = list(
            session.execute(
                select(Integration.id, Integration.alias).where(
                    Integration.status == IntegrationStatus.INCOMPLETE,
                    Integration.disabled_at.is_(None),
                    Integration.removed_at.is_(None),
                )
            )
        )
        session.commit()
        timing = get_timing()
        slow = timing.verify_incomplete_every
        for integration_id, alias in incomplete:
            if _take_slot(session, f"verify_integration:{integration_id}", slow) and _enqueue(
                session, result, enqueue, "verify_integration", integration_id
            ):
                result.verifications.append(alias)
        for spec in actors:
            if (
                spec.every is not None
                and _take_slot(session, spec.name, timing.scaled(spec.every))
                and _enqueue(session, result, enqueue, spec.name)
            ):
                result.jobs.append(spec.name)
    return result


def _enqueue(session: Session, result: TickResult, enqueue: Enqueue, actor: str, *args: object) -> bool:
    """Send the message, then commit the booked slot; on failure roll the booking back."""
    try:
        enqueue(actor, *args)
    except Exception as exc:  # the broker is down: the slot stays due, the next tick tries again
        session.rollback()
        result.failed_enqueues += 1
        log.warning("enqueue failed; slot left due", actor=actor, error=type(exc).__name__)
        return False
    session.commit()
    return True


def _take_slot(session: Session, name: str, every: timedelta) -> bool:
    """Book a periodic job's next slot if due (not committed: :func:`_enqueue` commits)."""
    session.execute(dialect_insert(session, ScheduledJob).values(name=name).on_conflict_do_nothing())
    now = utcnow()
    booked = session.execute(
        update(ScheduledJob)
        .where(
            ScheduledJob.name == name,
            or_(ScheduledJob.next_run_at.is_(None), ScheduledJob.next_run_at <= now),
        )
        .values(next_run_at=now + every, last_enqueued_at=now)
    )
    if not booked.rowcount:  # type: ignore[attr-defined]
        session.commit()
        return False
    return True
