"""The actors the scheduler enqueues: declared through the hook, and doing the service's work."""

from __future__ import annotations

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select

from core.db.models import NotifyState, Shipment
from core.jobs.broker import declare_actors
from plugins.shipstation_like import actors
from tests.shipstation_like.conftest import Shop
from tests.shipstation_like.test_notify import ship_orders


def test_actors_are_declared_on_the_broker(shop: Shop) -> None:
    broker = StubBroker()
    declare_actors(broker, shop.plugins.actors())
    assert {"shipstation_notify_shipments", "shipstation_redact_personal_data"} <= set(
        broker.get_declared_actors()
    )


def test_notify_actor_sends_what_is_due(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = ship_orders(shop, 3)
    monkeypatch.setattr(actors, "get_plugin_manager", lambda: shop.plugins)
    actors.notify_shipments()
    actors.notify_shipments()  # a repeated delivery changes nothing
    assert shop.channel.confirmed == {i: 1 for i in ids}
    with shop.factory() as session:
        assert set(session.scalars(select(Shipment.notify_state))) == {NotifyState.SENT}


def test_redact_actor_redacts_orders_due_now(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.db.models import Order

    with shop.factory() as session, session.begin():
        shop.order(session, "OLD-1")  # imported at T0, long past 14 days
    monkeypatch.setattr(actors, "get_plugin_manager", lambda: shop.plugins)
    actors.redact_personal_data()
    with shop.factory() as session:
        assert session.scalars(select(Order.ship_name)).one() == "REDACTED (Fake channel)"
