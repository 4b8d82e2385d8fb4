"""Broker selection from settings, and an actor run end to end on each broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from sqlalchemy.orm import Session

from core.db.models import Integration, IntegrationStatus
from core.errors import ChannelAuthError, ThrottledError, TransientChannelError
from core.jobs import broker as jobs_broker
from core.jobs.worker import worker_pool
from core.plugins import get_plugin_manager
from core.settings import Settings
from tests.conftest import REDIS_URL
from tests.core import factories
from tests.fakes.channel import FakeChannelPlugin


def test_embedded_mode_uses_an_in_process_broker() -> None:
    assert isinstance(jobs_broker.create_broker(Settings(redis_url=None)), StubBroker)


def test_a_redis_url_selects_the_redis_broker() -> None:
    broker = jobs_broker.create_broker(Settings(redis_url="redis://127.0.0.1:6379/15"))
    assert isinstance(broker, RedisBroker)
    broker.close()


@pytest.mark.parametrize(
    ("exc", "retried"),
    [
        (ThrottledError("slow down", retry_after=2.0), True),
        (TransientChannelError("503"), True),
        (ChannelAuthError("refused"), False),
        (ValueError("bug"), False),
    ],
)
def test_only_transient_failures_are_retried(exc: Exception, retried: bool) -> None:
    assert jobs_broker.retry_transient(0, exc) is retried
    assert jobs_broker.retry_transient(jobs_broker.MAX_RETRIES, exc) is False


@pytest.fixture
def started(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[dramatiq.Broker]:
    get_plugin_manager().register(FakeChannelPlugin(), "fake")
    # a namespace of its own isolates this test's queues from other runs sharing the Redis server
    broker = jobs_broker.start(Settings(queue_namespace=f"test-{uuid.uuid4().hex[:8]}"), get_plugin_manager())
    yield broker
    if isinstance(broker, RedisBroker):
        broker.flush_all()
    broker.close()


def _run(broker: dramatiq.Broker, integration_id: int) -> None:
    jobs_broker.enqueue(broker, "verify_integration", integration_id)
    with worker_pool(broker, threads=2):
        broker.join("integrations", timeout=20_000)  # type: ignore[attr-defined]


def test_an_actor_runs_on_the_configured_broker(session: Session, started: dramatiq.Broker) -> None:
    good = factories.integration(session, "good")
    session.commit()
    _run(started, good.id)
    session.expire_all()
    assert session.get(Integration, good.id).status is IntegrationStatus.LIVE  # type: ignore[union-attr]
    assert isinstance(started, RedisBroker) == bool(REDIS_URL)


def test_refused_credentials_put_the_integration_in_error(session: Session, started: dramatiq.Broker) -> None:
    bad = factories.integration(session, "bad")
    bad.set_credentials({"api_key": "wrong-key-999"})
    session.commit()
    _run(started, bad.id)
    session.expire_all()
    refreshed = session.get(Integration, bad.id)
    assert refreshed is not None and refreshed.status is IntegrationStatus.ERROR
    assert refreshed.status_reason == "api key refused by the fake channel"
