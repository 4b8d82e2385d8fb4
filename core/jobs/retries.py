"""Dramatiq's retry middleware, without buyer data in the messages it writes back.

Dramatiq's ``Retries`` stores ``traceback.format_exc()`` in the message options before it
re-enqueues the message (retry) or fails it (dead-letter queue). With Redis that text is kept
in the broker for days, and a raw traceback carries exception messages verbatim: a database
error quotes the failing row (buyer names and addresses), an HTTP error may quote a payload.
:class:`SafeRetries` keeps Dramatiq's retry logic and replaces that text with
:func:`core.logs.safe_traceback` before the message leaves the worker.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Retries

from core.logs import safe_traceback


class _ScrubbingBroker:
    """The broker as ``Retries`` sees it: every re-enqueued message is scrubbed first."""

    def __init__(self, broker: dramatiq.Broker, traceback_text: str) -> None:
        self._broker = broker
        self._traceback = traceback_text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    def enqueue(self, message: dramatiq.Message[Any], *, delay: int | None = None) -> dramatiq.Message[Any]:
        message.options["traceback"] = self._traceback
        return self._broker.enqueue(message, delay=delay)


class SafeRetries(Retries):
    """``Retries`` whose stored tracebacks name exception types and frames, never values."""

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None:
            return
        text = safe_traceback(exception)
        super().after_process_message(  # type: ignore[no-untyped-call]
            _ScrubbingBroker(broker, text), message, result=result, exception=exception
        )
        if "traceback" in message.options:  # failed: nacked to the dead-letter queue as it is
            message.options["traceback"] = text


def use_safe_retries(broker: dramatiq.Broker) -> SafeRetries:
    """Swap the broker's ``Retries`` for :class:`SafeRetries`, keeping its place and settings."""
    for index, middleware in enumerate(broker.middleware):
        if isinstance(middleware, Retries) and not isinstance(middleware, SafeRetries):
            safe = SafeRetries(
                max_retries=middleware.max_retries,
                min_backoff=middleware.min_backoff,
                max_backoff=middleware.max_backoff,
                retry_when=middleware.retry_when,
            )
            broker.middleware[index] = safe
            return safe
    raise RuntimeError("the broker has no Retries middleware to replace")
