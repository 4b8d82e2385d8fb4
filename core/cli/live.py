"""Output of the long-running commands (``run``, ``worker``): one line per job or failure.

Tracebacks are for ``--debug``: without it, any log record carrying one (Dramatiq's
"unhandled exception" among them) is folded into a single line, and Dramatiq's own report of
a failed job is dropped because :class:`core.jobs.activity.ActivityLog` already says it.
"""

from __future__ import annotations

import logging
import os

import dramatiq
import typer

from core.cli.output import console
from core.jobs.activity import ActivityLog


def debug_requested(ctx: typer.Context) -> bool:
    """``channelhub --debug ...`` or ``CHANNELHUB_DEBUG=1``."""
    return bool(ctx.find_root().params.get("debug")) or os.environ.get("CHANNELHUB_DEBUG", "") not in (
        "",
        "0",
    )


def say(line: str) -> None:
    """One line on stdout, whole at any width (a log line is read and grepped, not wrapped)."""
    console.print(line, highlight=False, markup=False, soft_wrap=True)


DRAMATIQ_REPEATS = ("Failed to process message", "Retries exceeded for message")
"""Dramatiq's own lines about a failed job: the traceback, and "no retry" for failures that
are not worth retrying (``core.jobs.broker.retry_transient``)."""


class OneLineErrors(logging.Filter):
    """Keeps each log record to one line: the exception's type and message, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("dramatiq") and str(record.msg).startswith(DRAMATIQ_REPEATS):
            return False  # ActivityLog reported the failure, with the stream and its next run
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__}: {' '.join(str(exc).split())})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def report_activity(broker: dramatiq.Broker, ctx: typer.Context) -> None:
    """Print one line per job of ``broker``; without ``--debug``, no traceback in any log line."""
    broker.add_middleware(ActivityLog(say))
    if debug_requested(ctx):
        return
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OneLineErrors) for f in handler.filters):
            handler.addFilter(OneLineErrors())
