"""Broker selection and actor declaration.

Actors are declared here, on the broker picked from settings, instead of with module-level
``@dramatiq.actor`` decorators: a decorator binds to whatever global broker exists at import
time (RabbitMQ by default), which is exactly the hidden coupling we want to avoid.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from core.errors import ThrottledError, TransientChannelError
from core.jobs.actors import CORE_ACTORS
from core.jobs.retries import use_safe_retries
from core.plugins import PluginManager
from core.settings import Settings
from core.timing import timing_from
from core.types import ActorSpec

MAX_RETRIES = 20


def retry_transient(retries: int, exc: BaseException) -> bool:
    """Retry only what can succeed later: throttles and temporary channel failures.

    Anything else is a bug or bad data; retrying it would only repeat the failure (and for
    Redis, hide it for hours).
    """
    return retries < MAX_RETRIES and isinstance(exc, ThrottledError | TransientChannelError)


def create_broker(settings: Settings) -> dramatiq.Broker:
    """Redis broker for many workers on many machines, or an in-process one (embedded)."""
    broker: dramatiq.Broker
    timing = timing_from(settings)
    if settings.redis_url:
        broker = RedisBroker(url=settings.redis_url, namespace=settings.queue_namespace)  # type: ignore[no-untyped-call]
        # Fail at start-up, in one line (core.cli.main explains a Redis ConnectionError), not in
        # every worker thread forever: a worker or scheduler with a wrong URL must exit non-zero.
        broker.client.ping()
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    retries = use_safe_retries(broker)
    retries.retry_when = retry_transient
    retries.min_backoff = int(timing.retry_min_backoff.total_seconds() * 1000)
    retries.max_backoff = int(timing.retry_max_backoff.total_seconds() * 1000)
    return broker


def declare_actors(broker: dramatiq.Broker, specs: list[ActorSpec]) -> None:
    """Declare each actor on ``broker`` (names are unique; a repeat is a programming error)."""
    for spec in specs:
        dramatiq.Actor(
            spec.fn,
            broker=broker,
            actor_name=spec.name,
            queue_name=spec.queue,
            priority=0,
            options=dict(spec.options),
        )


def start(settings: Settings, plugins: PluginManager) -> dramatiq.Broker:
    """Pick the broker, make it the global one, declare core's and plugins' actors."""
    broker = create_broker(settings)
    dramatiq.set_broker(broker)
    declare_actors(broker, [*CORE_ACTORS, *plugins.actors()])
    return broker


def enqueue(broker: dramatiq.Broker, actor_name: str, *args: object) -> dramatiq.Message[object]:
    """Send a message to a declared actor by name (messages carry ids, never objects)."""
    return broker.get_actor(actor_name).send(*args)
