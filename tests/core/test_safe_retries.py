"""Tracebacks that Dramatiq keeps in the broker carry no buyer data.

Dramatiq's own ``Retries`` writes ``traceback.format_exc()`` into the message it re-enqueues and
into the one it dead-letters; with Redis both stay there for days. A database error's text
quotes the failing row, so a raw traceback would put a buyer's name and address in Redis.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware
from sqlalchemy.exc import IntegrityError

from core.errors import TransientChannelError
from core.jobs.retries import SafeRetries, use_safe_retries

BUYER = "Jane Buyer-Doe, 12 Privet Drive"


class _Enqueued(Middleware):
    """Records the traceback text of every message as the broker stores it."""

    def __init__(self) -> None:
        self.tracebacks: list[str] = []

    def after_enqueue(
        self, broker: dramatiq.Broker, message: dramatiq.Message[Any], delay: int | None
    ) -> None:
        if "traceback" in message.options:
            self.tracebacks.append(message.options["traceback"])


def _database_error() -> IntegrityError:
    detail = Exception(f'duplicate key value\nDETAIL:  Key (buyer_name)=("{BUYER}") already exists.')
    return IntegrityError("INSERT INTO orders ...", {"buyer_name": BUYER}, detail)


def test_retried_and_dead_lettered_messages_keep_types_and_frames_but_no_buyer_values() -> None:
    broker = StubBroker()
    broker.emit_after("process_boot")
    retries = use_safe_retries(broker)
    retries.retry_when = lambda attempts, exc: attempts < 1 and isinstance(exc, TransientChannelError)
    retries.min_backoff = retries.max_backoff = 10
    enqueued = _Enqueued()
    broker.add_middleware(enqueued)

    def import_page() -> None:
        try:
            raise _database_error()
        except IntegrityError as exc:
            raise TransientChannelError("the page could not be stored") from exc

    dramatiq.Actor(
        import_page, broker=broker, actor_name="import_page", queue_name="default", priority=0, options={}
    )
    broker.get_actor("import_page").send()
    worker = dramatiq.Worker(broker, worker_timeout=50)
    worker.start()
    try:
        broker.join("default", fail_fast=False)
    finally:
        worker.stop()

    assert sum(isinstance(m, SafeRetries) for m in broker.middleware) == 1
    retried = enqueued.tracebacks
    dead = [m.options["traceback"] for m in broker.dead_letters]
    assert retried and len(dead) == 1, (retried, dead)  # retried: into the delay queue, then back
    for text in (*retried, *dead):
        assert "Traceback (most recent call last)" in text and "import_page" in text
        assert "duplicate key value" in text and "the page could not be stored" in text
        assert "Jane" not in text and "Privet" not in text
