"""The bulk order write path: one INSERT for the new orders, statistics refreshed only when stale."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Order, OrderItem
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
