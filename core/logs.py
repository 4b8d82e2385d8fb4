"""Structured logging that cannot leak secrets or buyer data.

Guards that run on every event, for structlog and for stdlib loggers (httpx, alembic, dramatiq):
values under sensitive keys are masked, any known secret value is blanked wherever it
appears in the rendered text, and tracebacks (a Dramatiq worker's included) are rendered by
:func:`safe_traceback`: frames plus :func:`describe_error` per exception, so a database error
never carries its parameters (the rows of a batch, with buyer names) into a log.

:func:`describe_error` is also what job records and stream cursors store about a failure.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError, StatementError

from core.crypto import known_secret_values
from core.errors import ChannelhubError

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


PERSONAL_KEYS = re.compile(
    r"(name|email|phone|line|address|city|state|region|postal|zip|gift|buyer|recipient)", re.IGNORECASE
)
"""Payload keys (hub or channel spelling) whose values are buyer data."""


def _personal_strings(value: object, personal: bool = False) -> list[str]:
    if isinstance(value, str):
        return [value] if personal else []
    if isinstance(value, Mapping):
        return [
            s
            for k, v in value.items()
            for s in _personal_strings(v, personal or bool(PERSONAL_KEYS.search(str(k))))
        ]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _personal_strings(v, personal)]
    return []


def scrub_values(text: str, record: Mapping[str, Any] | None) -> str:
    """Blank every buyer value of ``record`` (a channel payload) that appears in ``text``.

    Reasons are meant to name fields only; this is the guard for a connector that quotes a
    value anyway (``"bad postcode 'LS1 1AA'"``).
    """
    for value in sorted(set(_personal_strings(record)), key=len, reverse=True):
        if len(value) >= 4 and value in text:  # shorter: country codes, initials
            text = text.replace(value, MASK)
    return text


def describe_error(exc: BaseException) -> str:
    """One line about ``exc`` that is safe to store and log: no parameters, no rows.

    A database error is its driver's class and the first line of the driver's message
    (PostgreSQL's detail line, which quotes the failing row, is left out). Channelhub's own
    errors keep their message, which is written to name fields, not values.
    """
    if isinstance(exc, DBAPIError | StatementError):
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        first = lines[0] if lines else ""
        if "[SQL:" in first or "[parameters:" in first:
            first = first.split("[SQL:")[0].split("[parameters:")[0].strip()
        return scrub_text(f"{type(orig).__name__}: {first[:300]}".rstrip(": "))
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if isinstance(exc, ChannelhubError):
        return scrub_text(message[:500]) or name
    return scrub_text(f"{name}: {message[:300]}" if message else name)


def safe_traceback(exc: BaseException) -> str:
    """A traceback with every exception message replaced by :func:`describe_error`."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    chain: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in reversed(chain):
        if parts:
            parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(error.__traceback__))
        parts.append(describe_error(error) + "\n")
    return "".join(parts).rstrip("\n")


def _scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the message and traceback once, scrubbed, before any handler sees them."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed format: logging reports it when emitting
        message = None
    if message is not None:
        cleaned = scrub_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = safe_traceback(record.exc_info[1])
    return record


_BASE_FACTORY = logging.getLogRecordFactory()


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    return _scrub_record(_BASE_FACTORY(*args, **kwargs))


def _safe_exception(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog: an ``exc_info`` becomes a scrubbed ``exception`` text."""
    exc_info = event.pop("exc_info", None)
    if exc_info:
        error = exc_info if isinstance(exc_info, BaseException) else None
        if error is None and isinstance(exc_info, tuple):
            error = exc_info[1]
        if error is None and exc_info is True:
            error = sys.exc_info()[1]
        if error is not None:
            event["exception"] = safe_traceback(error)
    return event


def _mask_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key != "event" and SENSITIVE_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = scrub_text(value)
    return event


class ScrubFilter(logging.Filter):
    """stdlib filter: renders the message once and blanks known secrets in it.

    Records made before :func:`configure_logging` installed the scrubbing record factory
    (or by a library with its own factory) are scrubbed here, at the handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub_record(record)
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
            _safe_exception,
            _mask_event,
            renderer,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
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
