"""The bulk order write path: one INSERT for the new orders, an order stored already is
updated and never copied, statistics refreshed only when stale."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Order, OrderItem, OrderStatus
from core.dto import ChannelOrder, ChannelOrderStatus
from core.services import order_import
from tests.core import factories
from tests.core.test_sync import channel_order


def test_two_batches_in_one_transaction_create_each_order_once(session: Session) -> None:
    integration = factories.integration(session)
    first = order_import.upsert_orders(session, integration.id, [channel_order(n) for n in range(3)])
    second = order_import.upsert_orders(session, integration.id, [channel_order(n) for n in range(1, 5)])
    session.commit()

    assert (first.created, second.created, second.unchanged) == (3, 2, 2)
    assert session.scalar(select(func.count()).select_from(Order)) == 5
    assert session.scalar(select(func.count()).select_from(OrderItem)) == 5
    by_order = dict(session.execute(select(Order.channel_order_id, Order.id)).all())
    assert sorted(o.id for o in first.new_unshipped + second.new_unshipped) == sorted(by_order.values())


@pytest.mark.postgres
def test_statistics_are_refreshed_once_not_once_per_integration(session: Session) -> None:
    integration = factories.integration(session)
    order_import.upsert_orders(session, integration.id, [channel_order(n) for n in range(50)])
    session.commit()
    assert order_import.refresh_statistics(session, 50) is True  # never analysed: the planner is behind
    session.commit()
    assert order_import.refresh_statistics(session, 50) is False  # a second integration's run of 50


def _shipped(n: int) -> ChannelOrder:
    return dataclasses.replace(channel_order(n), status=ChannelOrderStatus.SHIPPED)


@pytest.mark.parametrize("how", ["stored between lookup and write", "lookup skipped"])
def test_an_order_stored_already_is_brought_in_line_never_inserted_twice(
    session: Session, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The write itself refuses an order it did not know was stored (on PostgreSQL the straight
    COPY fails in its savepoint and the rows go through staging); that order is then updated."""
    integration = factories.integration(session)
    order_import.upsert_orders(session, integration.id, [channel_order(n) for n in range(3)])
    session.commit()
    look_up = True
    if how == "stored between lookup and write":
        real = order_import._stored
        lookups: list[list[str]] = []

        def late(session: Session, integration_id: int, keys: list[str]) -> dict[str, object]:
            lookups.append(keys)  # the first lookup misses what another import has just stored
            return {} if len(lookups) == 1 else real(session, integration_id, keys)

        monkeypatch.setattr(order_import, "_stored", late)
    else:
        look_up = False
    batch = [channel_order(1), _shipped(2), channel_order(3), channel_order(4)]
    prepared = [order_import.prepare(integration.id, o) for o in batch]
    result = order_import.upsert_prepared(session, integration.id, prepared, look_up_stored=look_up)
    session.commit()

    assert (result.created, result.updated, result.unchanged) == (2, 1, 1)
    assert sorted(n.row["channel_order_id"] for n in result.new_unshipped) == ["202-0000003", "202-0000004"]
    assert session.scalar(select(func.count()).select_from(Order)) == 5
    assert session.scalar(select(func.count()).select_from(OrderItem)) == 5
    status = session.scalar(select(Order.status).where(Order.channel_order_id == "202-0000002"))
    assert status is OrderStatus.SHIPPED
