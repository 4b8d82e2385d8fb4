"""``channelhub sync run``, ``channelhub scheduler`` and ``channelhub run``."""

from __future__ import annotations

import time

import typer

from core.cli.live import report_activity, say
from core.cli.output import advancer, console, print_table, progress_bar
from core.db.session import session_factory, session_scope
from core.errors import ConfigError
from core.jobs import broker as jobs_broker
from core.jobs.actors import CORE_ACTORS
from core.jobs.worker import serving, stop_signals
from core.plugins import get_plugin_manager
from core.services import scheduler as scheduler_service
from core.services import sync
from core.settings import get_settings

app = typer.Typer(no_args_is_help=True)
STREAM_HELP = f"Stream(s) to run: {', '.join(sync.STREAMS)} (default: all)."


@app.command("run")
def sync_run(
    integration: str | None = typer.Option(
        None, "--integration", "-i", help="Alias (default: every syncing one)."
    ),
    stream: list[str] = typer.Option([], "--stream", "-s", help=STREAM_HELP),
) -> None:
    """Run streams now, in the foreground, with progress."""
    plugins = get_plugin_manager()
    streams = stream or list(sync.STREAMS)
    with session_scope() as session:
        targets = [(i.id, i.alias) for i in sync.syncable(session, integration)]
    if not targets:
        raise ConfigError("no Live integration to sync; add one with `channelhub integrations add ...`")
    results = []
    with progress_bar(transient=True) as bar:
        for integration_id, alias in targets:
            for name in streams:
                task = bar.add_task(f"{alias} {name}", total=None)
                run = sync.run_stream(
                    session_factory(),
                    plugins,
                    integration_id,
                    name,
                    progress=advancer(bar, task),
                )
                bar.remove_task(task)
                results.append(run)
    print_table(
        "Sync",
        ["integration", "stream", "result"],
        [(r.integration, r.stream, r.summary() if r.ran else f"skipped: {r.error}") for r in results],
    )


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
    (CHANNELHUB_STREAM_LEASE_SECONDS) to finish, what is left is released, and it exits 0.
    """
    settings = get_settings()
    broker = jobs_broker.start(settings, get_plugin_manager())
    report_activity(broker, ctx)
    deadline = None if duration is None else time.monotonic() + duration
    say(
        f"channelhub running: {settings.worker_threads} worker threads, checking for due work every "
        f"{every:g}s; Ctrl-C or SIGTERM stops it"
    )
    grace = settings.stream_lease_seconds
    with stop_signals() as stop, serving(broker, settings.worker_threads, grace, say):
        while deadline is None or time.monotonic() < deadline:
            _tick(broker)
            left = every if deadline is None else min(every, max(0.0, deadline - time.monotonic()))
            if stop.wait(left):
                break
