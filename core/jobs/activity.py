"""One line per job for the people watching ``channelhub run`` or ``channelhub worker``.

A Dramatiq middleware, so it sees every job whichever broker runs it: a stream run is told
with its integration, stream, counts and next run; any failure with its reason on the same
one line (the traceback stays for ``--debug``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import dramatiq
from sqlalchemy import select

from core.db.base import utcnow
from core.db.models import Integration, JobRun, SyncCursor
from core.db.session import session_scope
from core.logs import scrub_text
from core.services.sync import describe_counts

Report = Callable[[str], None]


def _reason(exc: BaseException) -> str:
    text = scrub_text(" ".join(str(exc).split()))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M:%S}"


def _until(moment: datetime | None) -> str:
    """``next run 14:05:00 (in 4m30s)``: when the schedule will look at the stream again."""
    if moment is None:
        return "no next run booked"
    seconds = max(0, round((moment - utcnow()).total_seconds()))
    if seconds >= 3600:
        delay = f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    elif seconds >= 60:
        delay = f"{seconds // 60}m{seconds % 60:02d}s"
    else:
        delay = f"{seconds}s"
    return f"next run {_clock(moment)} UTC (in {delay})"


def stream_line(integration_id: int, stream: str, started: datetime, exc: BaseException | None) -> str:
    """What the run of ``stream`` that began at ``started`` did, from the job log it wrote."""
    with session_scope() as session:
        alias = session.scalar(select(Integration.alias).where(Integration.id == integration_id))
        job = session.scalars(
            select(JobRun)
            .where(
                JobRun.integration_id == integration_id,
                JobRun.stream == stream,
                JobRun.started_at >= started,
            )
            .order_by(JobRun.id.desc())
            .limit(1)
        ).first()
        next_run = session.scalar(
            select(SyncCursor.next_run_at).where(
                SyncCursor.integration_id == integration_id, SyncCursor.stream == stream
            )
        )
        counts = dict(job.counts or {}) if job is not None else {}
        error = job.error if job is not None else None
    name = f"{alias or f'integration {integration_id}'} {stream}"
    if exc is not None or error:
        return f"{name} FAILED: {_reason(exc) if exc is not None else error}; {_until(next_run)}"
    if job is None:
        return f"{name}: skipped, another runner holds it"
    return f"{name}: {describe_counts(counts)}; {_until(next_run)}"


class ActivityLog(dramatiq.Middleware):
    """Reports one line per finished job through ``report``."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self._started: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.MessageProxy) -> None:
        with self._lock:
            # the job log's clock has whole-microsecond precision: start a hair early
            self._started[message.message_id] = utcnow().replace(microsecond=0)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        with self._lock:
            started = self._started.pop(message.message_id, utcnow())
        try:
            if message.actor_name == "sync_stream" and len(message.args) == 2:
                integration_id, stream = message.args
                line = stream_line(int(integration_id), str(stream), started, exception)
            elif exception is not None:
                line = f"{message.actor_name} FAILED: {_reason(exception)}"
            else:
                line = f"{message.actor_name}: done"
        except Exception as exc:  # reporting must never fail the job it reports on
            line = f"{message.actor_name}: finished (could not read its job log: {_reason(exc)})"
        self.report(f"{_clock(utcnow())} {line}")

    after_skip_message = after_process_message
