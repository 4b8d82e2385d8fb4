"""``channelhub sync run``, ``channelhub scheduler`` and ``channelhub run``."""

from __future__ import annotations

import time

import typer
from rich.markup import escape

from core.cli.live import report_activity, say
from core.cli.output import advancer, console, err_console, print_table, progress_bar
from core.db.session import session_factory, session_scope
from core.errors import ChannelAuthError, ConfigError, InputError
from core.jobs import broker as jobs_broker
from core.jobs.actors import CORE_ACTORS
from core.jobs.worker import serving, stop_signals
from core.logs import describe_error
from core.plugins import get_plugin_manager
from core.services import scheduler as scheduler_service
from core.services import sync
from core.settings import get_settings
from core.timing import timing_from

app = typer.Typer(no_args_is_help=True)
STREAM_HELP = f"Stream(s) to run: {', '.join(sync.STREAMS)} (default: all)."


@app.command("run")
def sync_run(
    integration: str | None = typer.Option(
        None, "--integration", "-i", help="Alias (default: every syncing one)."
    ),
    stream: list[str] = typer.Option([], "--stream", "-s", help=STREAM_HELP),
) -> None:
    """Run streams now, in the foreground, with progress.

    Every integration is run even when another fails; the failures are named at the end and
    the exit code is 1. An integration whose credentials are refused skips its other streams.
    """
    plugins = get_plugin_manager()
    streams = stream or list(sync.STREAMS)
    unknown = [name for name in streams if name not in sync.STREAMS]
    if unknown:
        raise InputError("--stream", f"unknown stream {unknown[0]!r} (choose from {', '.join(sync.STREAMS)})")
    with session_scope() as session:
        targets = [(i.id, i.alias) for i in sync.syncable(session, integration)]
    if not targets:
        raise ConfigError("no Live integration to sync; add one with `channelhub integrations add ...`")
    rows: list[tuple[str, str, str]] = []
    failed: list[str] = []
    with progress_bar(transient=True) as bar:
        for integration_id, alias in targets:
            for name in streams:
                task = bar.add_task(f"{alias} {name}", total=None)
                try:
                    run = sync.run_stream(
                        session_factory(),
                        plugins,
                        integration_id,
                        name,
                        progress=advancer(bar, task),
                    )
                except Exception as exc:  # the others still run; this one is named below
                    reason = describe_error(exc)
                    rows.append((alias, name, f"failed: {reason}"))
                    failed.append(f"{alias} {name} ({reason})")
                    if isinstance(exc, ChannelAuthError):
                        break
                    continue
                finally:
                    bar.remove_task(task)
                result = run.summary() if run.ran else f"skipped: {run.error}"
                rows.append((run.integration, run.stream, result))
    print_table("Sync", ["integration", "stream", "result"], rows)
    if failed:
        err_console.print(
            f"[red]error:[/red] sync failed for {escape('; '.join(failed))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(1)


def _tick(broker: object) -> scheduler_service.TickResult:
    actors = [*CORE_ACTORS, *get_plugin_manager().actors()]
    return scheduler_service.tick(
        session_factory(),
        actors,
        lambda *args: jobs_broker.enqueue(broker, *args),  # type: ignore[arg-type]
    )


def scheduler(
    every: float = typer.Option(30.0, help="Seconds between checks for due work."),
    once: bool = typer.Option(False, "--once", help="Enqueue what is due now and exit."),
) -> None:
    """Enqueue due streams and periodic jobs for the workers. Safe to run more than one."""
    settings = get_settings()
    if settings.embedded:
        raise ConfigError(
            "`channelhub scheduler` feeds workers through Redis: set CHANNELHUB_REDIS_URL, "
            "or use `channelhub run` to schedule and work in one process"
        )
    broker = jobs_broker.start(settings, get_plugin_manager())
    while True:
        result = _tick(broker)
        for alias, name in result.streams:
            console.print(f"enqueued {alias} {name}", highlight=False)
        for job in result.jobs:
            console.print(f"enqueued {job}", highlight=False)
        if once:
            return
        time.sleep(every)


def run(
    ctx: typer.Context,
    every: float = typer.Option(30.0, help="Seconds between checks for due work."),
    duration: float | None = typer.Option(
        None, help="Stop after this many seconds (default: run until Ctrl-C or SIGTERM)."
    ),
) -> None:
    """Scheduler and workers in one process (the embedded default): one line per job run.

    Ctrl-C or SIGTERM stops it cleanly: jobs in progress get up to the stream lease
    (CHANNELHUB_STREAM_LEASE_SECONDS divided by CHANNELHUB_TIME_SCALE) to finish, what is left
    is released, and it exits 0.
    """
    settings = get_settings()
    broker = jobs_broker.start(settings, get_plugin_manager())
    report_activity(broker, ctx)
    deadline = None if duration is None else time.monotonic() + duration
    say(
        f"channelhub running: {settings.worker_threads} worker threads, checking for due work every "
        f"{every:g}s; Ctrl-C or SIGTERM stops it"
    )
    grace = timing_from(settings).lease.total_seconds()  # the lease as CHANNELHUB_TIME_SCALE makes it
    with stop_signals() as stop, serving(broker, settings.worker_threads, grace, say):
        while deadline is None or time.monotonic() < deadline:
            _tick(broker)
            left = every if deadline is None else min(every, max(0.0, deadline - time.monotonic()))
            if stop.wait(left):
                break
