"""Structured logging that cannot leak secrets or buyer data.

Two guards run on every event, for structlog and for stdlib loggers (httpx, alembic, dramatiq):
values under sensitive keys are masked, and any known secret value is blanked wherever it
appears in the rendered text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

from core.crypto import known_secret_values

MASK = "***"
SENSITIVE_KEYS = re.compile(
    r"(secret|token|password|passwd|authorization|credential|api[_-]?key|"
    r"buyer_(name|email|phone)|ship_(name|address|phone)|email|phone|gift_message)",
    re.IGNORECASE,
)


def scrub_text(text: str) -> str:
    """Replace every known secret value inside ``text``."""
    for value in known_secret_values():
        if value in text:
            text = text.replace(value, MASK)
    return text


def _mask_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key != "event" and SENSITIVE_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = scrub_text(value)
    return event


class ScrubFilter(logging.Filter):
    """stdlib filter: renders the message once and blanks known secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Idempotent set-up for the CLI, workers and tests."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            _mask_event,
            renderer,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    for handler in root.handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
    for noisy in ("httpx", "alembic", "dramatiq"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name``; keyword values are masked by key."""
    return structlog.get_logger(name)
