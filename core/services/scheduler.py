"""Enqueue what is due: every stream of every syncing integration, and periodic plugin jobs.

Safe to run twice at once (two ``channelhub scheduler`` processes, or one restarted): a slot
is booked with a conditional UPDATE before its job is enqueued, so only one scheduler wins
each slot; and even a duplicate message is harmless, because a stream runs under its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import ScheduledJob
from core.db.session import dialect_insert
from core.services import stream_lock, sync
from core.types import ActorSpec

Enqueue = Callable[..., object]
"""``enqueue(actor_name, *args)``: sends a message (core.jobs.broker.enqueue bound to a broker)."""


@dataclass
class TickResult:
    streams: list[tuple[str, str]] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)


def tick(sessions: sessionmaker[Session], actors: Sequence[ActorSpec], enqueue: Enqueue) -> TickResult:
    """One pass: book and enqueue every due stream slot and periodic job."""
    result = TickResult()
    with sessions() as session:
        due = [
            (i.id, i.alias, {s: sync.interval(i, s) for s in sync.STREAMS}) for i in sync.syncable(session)
        ]
        for integration_id, alias, intervals in due:
            for stream, every in intervals.items():
                if stream_lock.take_due(session, integration_id, stream, every):
                    enqueue("sync_stream", integration_id, stream)
                    result.streams.append((alias, stream))
        for spec in actors:
            if spec.every is not None and _take_job_slot(session, spec):
                enqueue(spec.name)
                result.jobs.append(spec.name)
    return result


def _take_job_slot(session: Session, spec: ActorSpec) -> bool:
    assert spec.every is not None
    session.execute(dialect_insert(session, ScheduledJob).values(name=spec.name).on_conflict_do_nothing())
    now = utcnow()
    booked = session.execute(
        update(ScheduledJob)
        .where(
            ScheduledJob.name == spec.name,
            or_(ScheduledJob.next_run_at.is_(None), ScheduledJob.next_run_at <= now),
        )
        .values(next_run_at=now + spec.every, last_enqueued_at=now)
    )
    session.commit()
    return bool(booked.rowcount)  # type: ignore[attr-defined]
