"""What a stopping process gives back when its jobs did not finish in the time it had.

A stream's lease would expire by itself; releasing it at once lets the next runner start
now instead of a lease later, and a job log entry left ``running`` would claim work that no
longer happens. The process's own ids share a prefix (:func:`core.services.sync.process_prefix`),
so only what this process holds is touched. A thread still working after this finds its lease
gone at its next commit (:class:`core.services.stream_lock.LockLost`) and stores nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import JobRun, JobStatus, SyncCursor

STOPPED = "stopped: the process shut down before this run finished; the next run resumes it"


@dataclass(frozen=True, slots=True)
class Released:
    streams: int
    jobs: int


def release_process_work(sessions: sessionmaker[Session], prefix: str) -> Released:
    """Free the stream leases and close the job runs whose owner starts with ``prefix``."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with sessions() as session:
        streams = session.execute(
            update(SyncCursor)
            .where(SyncCursor.locked_by.like(like, escape="\\"))
            .values(locked_by=None, locked_until=None)
        )
        jobs = session.execute(
            update(JobRun)
            .where(JobRun.status == JobStatus.RUNNING, JobRun.worker.like(like, escape="\\"))
            .values(status=JobStatus.FAILED, finished_at=utcnow(), error=STOPPED)
        )
        session.commit()
    return Released(int(streams.rowcount), int(jobs.rowcount))  # type: ignore[attr-defined]
