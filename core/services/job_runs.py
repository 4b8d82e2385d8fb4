"""The job log's honesty: a run whose worker died is marked failed, never left ``running``.

A live run's heartbeat (``job_runs.heartbeat_at``) is renewed with its stream's lease by
``stream_lock.LeaseKeeper``, every lease/3. A run silent for a whole lease and a half is a
dead worker's (kill -9, a lost machine): :func:`reap_lost` marks it failed with the reason,
once, from every scheduler tick.
"""

from __future__ import annotations

from sqlalchemy import func, or_, update
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
