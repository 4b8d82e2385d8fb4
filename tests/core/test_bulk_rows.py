"""``core.db.bulk``: rows in by COPY (binary on PostgreSQL) and updated by key in one statement.

Both run on SQLite and on PostgreSQL (``.ci/run`` runs each test file on both), so the binary
COPY's column types and the ``unnest`` update are checked against the real database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Engine, Table, event, select
from sqlalchemy.orm import Session

from core.db import bulk
from core.db.models import Order, OrderStatus
from core.dto import Fulfilment
from tests.core import factories

ORDERS = cast(Table, Order.__table__)


def test_insert_rows_stores_every_kind_of_value_as_given(session: Session) -> None:
    integration = factories.integration(session)
    moment = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
    common = {"integration_id": integration.id, "imported_at": moment, "updated_at": moment}
    given: list[dict[str, Any]] = [
        {
            **common,
            "channel_order_id": "A-1",
            "status": OrderStatus.AWAITING_SHIPMENT,
            "fulfilment": Fulfilment.MFN,
            "purchase_date": moment,
            "ship_by": None,
            "currency": "EUR",
            "total": Decimal("1234.5678"),
            "is_gift": True,
            "buyer_name": "Zoë Ñúñez",
            "buyer_data_available": True,
        },
        {
            **common,
            "channel_order_id": "A-2",
            "status": OrderStatus.SHIPPED,
            "fulfilment": Fulfilment.FBA,
            "purchase_date": moment + timedelta(days=1),
            "ship_by": moment,
            "currency": "JPY",
            "total": None,
            "is_gift": False,
            "buyer_name": None,
            "buyer_data_available": False,
        },
    ]
    columns = list(given[0])
    rows = [[row[c] for c in columns] for row in given]
    bulk.insert_rows(session, ORDERS, columns, rows)
    session.commit()

    stored = {o.channel_order_id: o for o in session.scalars(select(Order))}
    first, second = stored["A-1"], stored["A-2"]
    assert (first.status, first.fulfilment, first.purchase_date) == (
        OrderStatus.AWAITING_SHIPMENT,
        Fulfilment.MFN,
        moment,
    )
    assert (first.total, first.is_gift, first.buyer_name, first.ship_by) == (
        Decimal("1234.5678"),
        True,
        "Zoë Ñúñez",
        None,
    )
    assert (second.status, second.total, second.ship_by, second.buyer_data_available) == (
        OrderStatus.SHIPPED,
        None,
        moment,
        False,
    )


def test_update_rows_changes_the_named_rows_only_in_one_statement(session: Session) -> None:
    integration = factories.integration(session)
    orders = [
        factories.order(session, integration, f"B-{n}", status=OrderStatus.PENDING_REVIEW) for n in range(3)
    ]
    session.commit()
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        bulk.update_rows(
            session,
            ORDERS,
            "id",
            ["carrier_code", "service_code"],
            [(orders[0].id, "gls", "std"), (orders[2].id, "ups", "express")],
            fixed={"status": OrderStatus.AWAITING_SHIPMENT, "review_reason": None},
        )
        bulk.update_rows(session, ORDERS, "id", ["carrier_code"], [])  # nothing to do: no statement
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    session.commit()

    assert len([s for s in statements if s.startswith("UPDATE")]) == 1
    found = {
        o.channel_order_id: (o.carrier_code, o.service_code, o.status)
        for o in session.scalars(select(Order).execution_options(populate_existing=True))
    }
    assert found == {
        "B-0": ("gls", "std", OrderStatus.AWAITING_SHIPMENT),
        "B-1": (None, None, OrderStatus.PENDING_REVIEW),
        "B-2": ("ups", "express", OrderStatus.AWAITING_SHIPMENT),
    }
