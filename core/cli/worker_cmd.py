"""``channelhub worker`` and ``channelhub keys``: process-level commands."""

from __future__ import annotations

import typer

from core import crypto
from core.cli.live import report_activity, say
from core.cli.output import console, redact_url
from core.db.session import session_scope
from core.errors import ConfigError
from core.jobs import broker as jobs_broker
from core.jobs.worker import run_until_signalled
from core.plugins import get_plugin_manager
from core.services.key_rotation import rotate_stored_secrets
from core.settings import get_settings

keys_app = typer.Typer(help="Secret keys for credentials at rest.", no_args_is_help=True)


def worker(
    ctx: typer.Context,
    threads: int | None = typer.Option(None, help="Worker threads (default CHANNELHUB_WORKER_THREADS)."),
) -> None:
    """Consume jobs from Redis until Ctrl-C or SIGTERM: one line per job run.

    Start as many as you like, anywhere. On SIGTERM, jobs in progress get up to the stream
    lease to finish; what is left is released for another worker, and it exits 0.
    """
    settings = get_settings()
    if settings.embedded:
        raise ConfigError(
            "`channelhub worker` needs a shared queue: set CHANNELHUB_REDIS_URL "
            "(embedded mode runs its workers inside the process that enqueues jobs)"
        )
    crypto.get_cipher()  # fail now, not on the first job, if the key is missing
    broker = jobs_broker.start(settings, get_plugin_manager())
    count = threads or settings.worker_threads
    report_activity(broker, ctx)
    say(
        f"worker started: {count} threads on {redact_url(settings.redis_url or '')}; "
        "Ctrl-C or SIGTERM stops it"
    )
    run_until_signalled(broker, count, settings.stream_lease_seconds, say)


@keys_app.command("generate")
def generate() -> None:
    """Print a new key for CHANNELHUB_SECRET_KEY."""
    typer.echo(crypto.generate_key())


@keys_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored credential and quarantine payload with the first key of
    CHANNELHUB_SECRET_KEY (one transaction); then the older keys can be removed."""
    with session_scope() as session:
        done = rotate_stored_secrets(session)
    console.print(
        f"re-encrypted {done.credentials} credential set(s) and {done.payloads} quarantine payload(s) "
        "with the newest key; older keys can now be removed from CHANNELHUB_SECRET_KEY",
        highlight=False,
    )
