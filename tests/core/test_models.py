"""The database itself refuses what would make the data wrong, on every backend."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from core.db.models import Order, OrderItem, Product
from tests.core import factories


def test_channel_order_id_is_unique_per_integration(session: Session) -> None:
    uk = factories.integration(session, "fake-uk")
    de = factories.integration(session, "fake-de")
    factories.order(session, uk, "A-1")
    factories.order(session, de, "A-1")  # same id on another integration is another order
    session.commit()
    with pytest.raises(IntegrityError):
        factories.order(session, uk, "A-1")
    session.rollback()
    assert session.scalars(select(Order.channel_order_id)).all() == ["A-1", "A-1"]


def test_stock_cannot_go_negative(session: Session) -> None:
    product = factories.product(session, stock=1)
    session.commit()
    product.stock_on_hand = -1
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert session.get(Product, product.id).stock_on_hand == 1  # type: ignore[union-attr]


def test_order_item_quantity_must_be_positive(session: Session) -> None:
    uk = factories.integration(session)
    product = factories.product(session)
    with pytest.raises(IntegrityError):
        factories.order(session, uk, items=((product, 0),))


def test_money_round_trips_as_exact_decimal(session: Session) -> None:
    product = factories.product(session, rrp=Decimal("19.9900"), cost=Decimal("0.0001"))
    session.commit()
    session.expire_all()
    stored = session.get(Product, product.id)
    assert stored is not None
    assert stored.rrp == Decimal("19.99") and isinstance(stored.rrp, Decimal)
    assert stored.cost == Decimal("0.0001")


def test_naive_datetimes_are_refused(session: Session) -> None:
    uk = factories.integration(session)
    order = factories.order(session, uk)
    order.ship_by = datetime(2026, 11, 2, 12, 0)  # no tz: ambiguous, refused
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_unknown_status_value_is_refused(session: Session) -> None:
    uk = factories.integration(session)
    order = factories.order(session, uk)
    order.status = "lost"  # type: ignore[assignment]
    with pytest.raises(StatementError):
        session.flush()


def test_deleting_an_order_deletes_its_items(session: Session) -> None:
    uk = factories.integration(session)
    order = factories.order(session, uk, items=((factories.product(session), 2),))
    session.commit()
    session.delete(order)
    session.commit()
    assert session.scalars(select(OrderItem)).all() == []
