"""Carriers for the orders an import writes, decided inside the import's transaction.

``choose_for_import`` works from the rows the import is about to write (no read-back) and
must decide exactly what ``select_carriers`` decides reading the same orders back: the same
weights (product weights, the default for unknown ones, several items and units), the same
areas and review reasons. The order is committed with its decision, on SQLite (decided after
the insert) as on PostgreSQL (decided before it, written once). A failing carrier plugin
costs no order; a decision written by ``select_carriers`` never overwrites an order someone
changed after it was read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from core.db.models import Integration, Order, OrderStatus, Product
from core.dto import (
    Address,
    CarrierDecision,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    Fulfilment,
    Money,
)
from core.plugins import PluginManager
from core.services import carrier_selection, order_import
from core.services.carrier_selection import choose_for_import, select_carriers

WHEN = datetime(2026, 11, 30, tzinfo=UTC)
WEIGHTS = {"LIGHT": Decimal("0.4"), "HEAVY": Decimal("12.5")}  # "NEW" has no weight: 1 kg a unit


def _order(
    n: int, country: str, postcode: str | None, lines: list[tuple[str, int]], **extra: Any
) -> ChannelOrder:
    return ChannelOrder(
        channel_order_id=f"407-{n:04d}",
        status=extra.pop("status", ChannelOrderStatus.UNSHIPPED),
        fulfilment=extra.pop("fulfilment", Fulfilment.MFN),
        purchase_date=WHEN,
        currency="EUR",
        items=tuple(
            ChannelOrderItem(f"i-{n}-{k}", sku, qty, Money(Decimal("10.00"), "EUR"))
            for k, (sku, qty) in enumerate(lines)
        ),
        total=Money(Decimal("10.00") * sum(q for _, q in lines), "EUR"),
        shipping_address=Address("A Buyer", "Calle 1", postal_code=postcode, country_code=country),
        **extra,
    )


ORDERS = [
    _order(1, "ES", "28001", [("LIGHT", 1)]),
    _order(2, "ES", "07001", [("HEAVY", 2), ("LIGHT", 3)]),  # Balearics, 26.2 kg
    _order(3, "ES", "38001", [("NEW", 4)]),  # Canaries, default weight
    _order(4, "ES", "28001", [("NEW", 31)]),  # 31 kg: only the heaviest band
    _order(5, "ES", "28001", [("HEAVY", 9)]),  # 112.5 kg: no carrier carries it
    _order(6, "JP", "100-0001", [("LIGHT", 1)]),  # no carrier serves Japan
    _order(7, "", None, [("LIGHT", 1)]),  # no country: invalid address
    _order(8, "PT", "9000-001", [("LIGHT", 2), ("HEAVY", 1)]),
    _order(9, "ES", "28001", [("LIGHT", 1)], status=ChannelOrderStatus.PENDING),  # awaiting payment
    _order(10, "ES", "28001", [("LIGHT", 1)], fulfilment=Fulfilment.FBA),
]


def _import(
    session: Session, alias: str, choose: order_import.CarrierChooser | None = None
) -> order_import.ImportResult:
    integration = Integration(channel_key="fake", marketplace="XX", alias=alias, settings={})
    session.add(integration)
    session.flush()
    return order_import.upsert_orders(session, integration.id, ORDERS, choose)


def _outcome(session: Session, integration_id: int) -> dict[str, tuple[Any, ...]]:
    rows = session.execute(
        select(
            Order.channel_order_id, Order.status, Order.carrier_code, Order.service_code, Order.review_reason
        ).where(Order.integration_id == integration_id)
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def _integration_of(result: order_import.ImportResult) -> int:
    return int(result.new_unshipped[0].row["integration_id"])


def test_the_same_decisions_as_reading_the_orders_back(session: Session, plugins: PluginManager) -> None:
    session.add_all(Product(sku=sku, weight_kg=kg, currency="EUR") for sku, kg in WEIGHTS.items())
    session.flush()
    fed = _import(session, "fed", partial(choose_for_import, plugins=plugins))
    read = _import(session, "read")
    assert len(fed.new_unshipped) == 9  # FBA ships itself; awaiting payment is still unshipped
    assert {r[1] for r in _outcome(session, _integration_of(read)).values()} == {None}

    read_back = select_carriers(session, plugins, [o.id for o in read.new_unshipped])

    decided = _outcome(session, _integration_of(fed))
    assert decided == _outcome(session, _integration_of(read))
    assert len(read_back.assigned) >= 4 and len(read_back.pending) >= 3
    assert decided["407-0004"][1] == "gls"  # 31 default kilos: the weights were added up
    assert "invalid address" in decided["407-0007"][3]
    assert decided["407-0009"] == (OrderStatus.AWAITING_PAYMENT, None, None, None)
    assert decided["407-0010"][:2] == (OrderStatus.SHIPPED, None)


def test_a_failing_carrier_plugin_costs_no_order(
    session: Session,
    plugins: PluginManager,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: Any) -> Any:  # a database error: on PostgreSQL it aborts the transaction
        session.execute(text("SELECT no_such_column FROM orders"))

    monkeypatch.setattr(carrier_selection, "_decide", broken)
    with capture_logs() as logs:
        imported = _import(session, "shop", partial(choose_for_import, plugins=plugins))

    assert imported.created == len(ORDERS)
    assert {r[1] for r in _outcome(session, _integration_of(imported)).values()} == {None}
    assert [e["event"] for e in logs if e["log_level"] == "error"] == [
        "carrier selection failed; the orders are imported without a carrier, the sweep tries again"
    ]
    assert session.scalar(select(Order.id).limit(1))  # the savepoint was rolled back: the transaction lives


def test_a_code_longer_than_the_column_sends_the_order_to_review(
    session: Session, plugins: PluginManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        plugins,
        "select_carrier",
        lambda *_a, **_k: CarrierDecision("c" * 65, "standard", "the test picks it"),
    )
    imported = _import(session, "shop", partial(choose_for_import, plugins=plugins))

    decided = _outcome(session, _integration_of(imported))
    assert decided["407-0001"][:3] == (OrderStatus.PENDING_REVIEW, None, None)
    assert "carrier_code is longer than 64 characters" in decided["407-0001"][3]


def test_select_carriers_leaves_an_order_changed_after_it_was_read(
    session: Session, plugins: PluginManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported = _import(session, "shop")
    by_ref = {o.row["channel_order_id"]: o.id for o in imported.new_unshipped}
    held, assigned = session.get(Order, by_ref["407-0001"]), session.get(Order, by_ref["407-0006"])
    assert held is not None and assigned is not None
    real_decisions = carrier_selection._decisions

    def meanwhile(*args: Any) -> Any:  # someone acts between the read and the write
        held.status = OrderStatus.ON_HOLD
        assigned.carrier_code, assigned.service_code = "correos", "manual"
        session.flush()
        return real_decisions(*args)

    monkeypatch.setattr(carrier_selection, "_decisions", meanwhile)
    summary = select_carriers(session, plugins, list(by_ref.values()))

    session.expire_all()
    assert (held.status, held.carrier_code) == (OrderStatus.ON_HOLD, None)
    assert (assigned.carrier_code, assigned.service_code, assigned.status) == (
        "correos",
        "manual",
        OrderStatus.AWAITING_SHIPMENT,
    )
    assert assigned.review_reason is None  # Japan is unserved: the stale read would have sent it to review
    assert len(summary.assigned) + len(summary.pending) >= 6
