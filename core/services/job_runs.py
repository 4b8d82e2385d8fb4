"""The job log's honesty and size: a run whose worker died is marked failed, never left
``running``, and finished runs older than ``CHANNELHUB_JOB_LOG_DAYS`` are deleted.

A live run's heartbeat (``job_runs.heartbeat_at``) is renewed with its stream's lease by
``stream_lock.LeaseKeeper``, every lease/3. A run silent for a whole lease and a half is a
dead worker's (kill -9, a lost machine): :func:`reap_lost` marks it failed with the reason,
once, from every scheduler tick. Every stream of every integration logs a run per interval
(five streams, each minute or so: ~7,000 rows a day per integration), so the log is pruned
daily, in batches, oldest first; a run still ``running`` is never pruned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import JobRun, JobStatus
from core.timing import get_timing

LOST = "lost: its worker stopped heartbeating (killed or crashed)"


def reap_lost(session: Session) -> int:
    """Mark ``running`` runs without a heartbeat for 1.5 leases as failed. Does not commit."""
    now = utcnow()
    stale = now - get_timing().lease * 1.5
    result = session.execute(
        update(JobRun)
        .where(
            JobRun.status == JobStatus.RUNNING,
            or_(
                JobRun.heartbeat_at < stale,
                JobRun.heartbeat_at.is_(None) & (JobRun.started_at < stale),
            ),
        )
        .values(status=JobStatus.FAILED, finished_at=now, error=LOST)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def running(session: Session) -> int:
    """How many runs are ``running`` now (tests and status output)."""
    return int(session.scalar(func.count().select().where(JobRun.status == JobStatus.RUNNING)) or 0)


PRUNE_BATCH = 10_000
"""Rows one DELETE removes: short transactions, so workers logging runs never wait long."""


def prune(session: Session, older_than: datetime) -> int:
    """Delete finished runs that started before ``older_than``, in committed batches; returns how many."""
    total = 0
    while True:
        batch = (
            select(JobRun.id)
            .where(JobRun.started_at < older_than, JobRun.status != JobStatus.RUNNING)
            .order_by(JobRun.id)
            .limit(PRUNE_BATCH)
        )
        deleted = session.execute(
            delete(JobRun)
            .where(JobRun.id.in_(batch.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        session.commit()
        total += int(deleted.rowcount)  # type: ignore[attr-defined]
        if deleted.rowcount < PRUNE_BATCH:  # type: ignore[attr-defined]
            return total
