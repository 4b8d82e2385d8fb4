"""The sync engine: runs one stream of one integration, channel-agnostic.

Each stream lives in its own module under ``core.services.streams`` (orders, products,
inventory, mcf, outbound) behind the :class:`~core.services.streams.Stream` protocol; this
module gives a run its lease, job log, schedule and error handling.

A runner holds its stream under a lease renewed on a clock (``stream_lock.LeaseKeeper``) and
checks it before every write, so a runner that lost its stream stops before writing again. A
worker that dies mid-stream leaves a lock that expires and a cursor at the last committed
batch; the next run resumes there and the upsert makes the repeat harmless.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import (
    Integration,
    IntegrationStatus,
    JobRun,
    JobStatus,
    SyncCursor,
)
from core.errors import ChannelAuthError, ConfigError, InputError
from core.logs import describe_error, get_logger
from core.plugins import PluginManager
from core.services import (
    carrier_selection,
    carrier_sweep,
    integrations,
    stream_lock,
    streams,
)
from core.services.order_import import CarrierChooser
from core.services.stream_lock import LeaseKeeper, LockLost
from core.services.streams.runner import Progress, Runner, StreamRun
from core.services.streams.runner import describe_counts as describe_counts
from core.timing import STREAM_MINUTES, get_timing

log = get_logger(__name__)

STREAMS: dict[str, timedelta] = {name: timedelta(minutes=m) for name, m in STREAM_MINUTES.items()}
"""Default interval per stream at Amazon's pace (DESIGN.md section 3); :func:`interval` scales it."""


def interval(integration: Integration, stream: str) -> timedelta:
    """The stream's interval for this integration (``settings["intervals"][stream]`` minutes),
    divided by the deployment's time scale like every other time constant."""
    minutes = (integration.settings.get("intervals") or {}).get(stream)
    timing = get_timing()
    return timing.scale_minutes(float(minutes)) if minutes else timing.interval(stream)


def process_prefix() -> str:
    """What every lock owner id of this process starts with (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:"


def worker_id() -> str:
    return f"{process_prefix()}{uuid.uuid4().hex[:6]}"


def run_stream(
    sessions: sessionmaker[Session],
    plugins: PluginManager,
    integration_id: int,
    stream: str,
    *,
    progress: Progress | None = None,
    choose_carriers: CarrierChooser | None = None,
) -> StreamRun:
    """Run one stream of one integration now, unless another runner holds it.

    ``choose_carriers`` decides the carriers of each batch's new unshipped orders before the
    batch commits; by default core's choice (carriers, or Pending review) when a carrier
    plugin is installed. Auth failures
    move the integration to Error with the reason; the stream keeps its schedule, slower, and
    is never switched off.
    """
    if stream not in STREAMS:
        raise InputError("stream", f"unknown stream {stream!r} (choose from {', '.join(STREAMS)})")
    owner = worker_id()
    with sessions() as session:
        integration = integrations.get_integration(session, integration_id)
        session.expunge(integration)
        if not integration.active:  # switched off after this run was queued
            return StreamRun(integration.alias, stream, ran=False, error="integration disabled")
        if not stream_lock.claim(session, integration_id, stream, owner):
            return StreamRun(integration.alias, stream, ran=False, error="already running elsewhere")
        job = JobRun(
            job="sync",
            integration_id=integration_id,
            stream=stream,
            worker=owner,
            counts={},
            heartbeat_at=utcnow(),
        )
        session.add(job)
        session.commit()
        job_id = job.id
    sweep = None
    if choose_carriers is None and plugins.carriers():
        choose_carriers = partial(carrier_selection.choose_for_import, plugins=plugins)
        sweep = plugins
    keeper = LeaseKeeper(sessions, integration_id, stream, owner, job_id=job_id)
    runner = Runner(sessions, integration, stream, owner, progress, keeper, choose_carriers)
    every = interval(integration, stream)
    error: str | None = None
    try:
        connector = integrations.build_connector(integration, plugins)
        try:
            with keeper:
                streams.BY_NAME[stream].run(runner, connector)
                if stream == "orders" and sweep is not None:
                    _sweep_carriers(runner, sweep)
        finally:
            connector.close()
        _back_to_live(sessions, integration)
    except LockLost as exc:
        error = str(exc)
    except ChannelAuthError as exc:
        error = f"channel refused the credentials: {describe_error(exc)}"
        with sessions() as session:
            integrations.mark_auth_failure(session, integration_id, describe_error(exc))
            session.commit()
        raise
    except Exception as exc:
        error = describe_error(exc)  # stored on the job and cursor: no parameters, no rows
        raise
    finally:
        runner.run.error = error
        _finish(sessions, runner, job_id, every)
    return runner.run


def _sweep_carriers(runner: Runner, plugins: PluginManager) -> None:
    """Carriers for every shippable order still without one (status changes, crashes)."""
    runner.keeper.check()
    with runner.sessions() as session:
        swept = carrier_sweep.sweep(session, plugins, runner.integration.id)
    if swept:
        runner.run.add("carriers_swept", swept)


def _back_to_live(sessions: sessionmaker[Session], integration: Integration) -> None:
    """A stream that just talked to the channel proves the credentials: Error becomes Live.

    A single transient refusal (an LWA 401 during an outage) must not leave the integration
    in Error once syncs succeed again.
    """
    with sessions() as session:
        session.execute(
            update(Integration)
            .where(Integration.id == integration.id, Integration.status == IntegrationStatus.ERROR)
            .values(status=IntegrationStatus.LIVE, status_reason=None)
        )
        session.commit()


def _finish(sessions: sessionmaker[Session], runner: Runner, job_id: int, every: timedelta) -> None:
    run = runner.run
    with sessions() as session:
        failures = session.scalar(
            select(SyncCursor.consecutive_failures).where(
                SyncCursor.integration_id == runner.integration.id, SyncCursor.stream == runner.stream
            )
        )
        delay = every if run.error is None else stream_lock.backoff(every, (failures or 0) + 1)
        stream_lock.release(
            session,
            runner.integration.id,
            runner.stream,
            runner.owner,
            next_run_at=utcnow() + delay,
            error=run.error,
        )
        session.execute(
            update(JobRun)
            .where(JobRun.id == job_id)
            .values(
                status=JobStatus.SUCCEEDED if run.error is None else JobStatus.FAILED,
                finished_at=utcnow(),
                counts=run.counts,
                error=run.error,
            )
        )
        session.commit()


def syncable(session: Session, name: str | None = None) -> Iterator[Integration]:
    """Integrations that sync: Live ones, and Error ones (slower, so they recover by themselves);
    never a disabled or removed one (naming one is refused with what to do)."""
    if name is not None:
        integration = integrations.find(session, name)
        if integration.removed_at is not None:
            raise ConfigError(f"{integration.alias} was removed; it is kept for its orders only")
        if integration.disabled_at is not None:
            raise ConfigError(
                f"{integration.alias} is disabled: `channelhub integrations enable {integration.alias}` first"
            )
        yield integration
        return
    yield from session.scalars(
        select(Integration)
        .where(
            Integration.status.in_((IntegrationStatus.LIVE, IntegrationStatus.ERROR)),
            Integration.disabled_at.is_(None),
            Integration.removed_at.is_(None),
        )
        .order_by(Integration.id)
    )
