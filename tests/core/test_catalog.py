"""Stock and price edits reach the outbox in the same transaction, as available quantities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import OrderStatus, OutboxEntry, OutboxKind, Product
from core.dto import Fulfilment
from core.errors import InputError, NotFoundError
from core.services import catalog
from tests.core import factories


def outbox(session: Session) -> list[tuple[int, str, str, int | None, Decimal | None]]:
    rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))
    return [(r.integration_id, r.kind.value, r.sku, r.quantity, r.price) for r in rows]


def test_stock_edit_queues_available_quantity_for_every_mfn_listing(session: Session) -> None:
    uk, de = factories.integration(session, "uk"), factories.integration(session, "de")
    product = factories.product(session, "MUG", stock=5)
    factories.listing(session, product, uk)
    factories.listing(session, product, de)
    fba = factories.integration(session, "fba")
    factories.listing(session, product, fba, Fulfilment.FBA)
    factories.order(session, uk, "O-1", items=((product, 2),))
    factories.order(session, de, "O-2", items=((product, 1),), status=OrderStatus.SHIPPED)

    catalog.set_stock(session, "MUG", 4)
    session.commit()

    # 4 on hand - 2 committed to the unshipped UK order; shipped units are no longer committed
    assert outbox(session) == [(uk.id, "quantity", "MUG", 2, None), (de.id, "quantity", "MUG", 2, None)]


def test_available_never_goes_below_zero(session: Session) -> None:
    uk = factories.integration(session)
    product = factories.product(session, "MUG", stock=3)
    factories.listing(session, product, uk)
    factories.order(session, uk, items=((product, 3),))
    catalog.set_stock(session, "MUG", 1)
    assert outbox(session) == [(uk.id, "quantity", "MUG", 0, None)]


def test_bad_stock_input_names_the_field_and_keeps_the_stored_value(session: Session) -> None:
    factories.product(session, "MUG", stock=3)
    session.commit()
    with pytest.raises(InputError, match="quantity: must be 0 or more, got -1"):
        catalog.set_stock(session, "MUG", -1)
    with pytest.raises(NotFoundError, match="no product with SKU 'NOPE'"):
        catalog.set_stock(session, "NOPE", 1)
    session.rollback()
    assert session.scalar(select(Product.stock_on_hand)) == 3
    assert outbox(session) == []


def test_price_edit_queues_a_price_row_per_listing(session: Session) -> None:
    uk, de = factories.integration(session, "uk"), factories.integration(session, "de")
    product = factories.product(session, "MUG")
    factories.listing(session, product, uk)
    factories.listing(session, product, de)
    catalog.set_price(session, "MUG", Decimal("12.49"), integration_ids=[de.id])
    assert outbox(session) == [(de.id, OutboxKind.PRICE.value, "MUG", None, Decimal("12.49"))]
    with pytest.raises(InputError, match="amount"):
        catalog.set_price(session, "MUG", Decimal("-1"))
