"""``channelhub serve``: the web console and HTTP API in one process (``--with-workers``: jobs too).

Not to be confused with ``channelhub sandbox serve`` (the Amazon plugin's SP-API sandbox).
"""

from __future__ import annotations

import threading

import typer
import uvicorn

from core import crypto
from core.cli.live import say
from core.cli.output import redact_url
from core.cli.sync_cmd import _tick
from core.db.session import session_factory
from core.jobs import broker as jobs_broker
from core.jobs.worker import serving
from core.plugins import get_plugin_manager
from core.settings import get_settings
from core.timing import timing_from


def _work(stop: threading.Event, every: float) -> None:
    """``channelhub run`` inside the console: schedule due work and run it until ``stop``."""
    settings = get_settings()
    broker = jobs_broker.start(settings, get_plugin_manager())
    grace = timing_from(settings).lease.total_seconds()
    with serving(broker, settings.worker_threads, grace, say):
        while True:
            _tick(broker)
            if stop.wait(every):
                return


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    with_workers: bool = typer.Option(
        False, "--with-workers", help="Also schedule and run sync jobs in this process (as `channelhub run`)."
    ),
    every: float = typer.Option(
        30.0, min=0.1, help="With --with-workers: seconds between checks for due work."
    ),
) -> None:
    """Start the web console and the HTTP API (OpenAPI at /api/docs); log in with `channelhub users add`."""
    from core.web.app import create_app

    settings = get_settings()
    session_factory()  # refuse a database nobody created, before listening
    crypto.get_cipher()  # and a missing key
    app = create_app()
    stop = threading.Event()
    worker = None
    if with_workers:
        worker = threading.Thread(target=_work, args=(stop, every), name="channelhub-run", daemon=True)
        worker.start()
    say(
        f"console on http://{host}:{port}/ (API docs /api/docs), database {redact_url(settings.database_url)}"
        + ("; scheduler and workers running here" if with_workers else "")
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        if worker is not None:
            worker.join()
