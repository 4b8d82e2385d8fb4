"""Carriers for just-imported orders, from the rows the import wrote (no read-back).

``select_for_new`` must decide exactly what ``select_carriers`` decides reading the same orders
back: the same weights (product weights, the default for unknown ones, several items and
units), the same areas and review reasons. And it must not overwrite an order that changed
between the import and the choice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Integration, Order, OrderStatus, Product
from core.dto import Address, ChannelOrder, ChannelOrderItem, ChannelOrderStatus, Fulfilment, Money
from core.plugins import PluginManager
from core.services import order_import
from core.services.carrier_selection import select_carriers, select_for_new

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


def _import(session: Session, alias: str) -> order_import.ImportResult:
    integration = Integration(channel_key="fake", marketplace="XX", alias=alias, settings={})
    session.add(integration)
    session.flush()
    return order_import.upsert_orders(session, integration.id, ORDERS)


def _outcome(session: Session, integration_id: int) -> dict[str, tuple[Any, ...]]:
    rows = session.execute(
        select(
            Order.channel_order_id, Order.status, Order.carrier_code, Order.service_code, Order.review_reason
        ).where(Order.integration_id == integration_id)
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def test_the_same_decisions_as_reading_the_orders_back(session: Session, plugins: PluginManager) -> None:
    session.add_all(Product(sku=sku, weight_kg=kg, currency="EUR") for sku, kg in WEIGHTS.items())
    session.flush()
    fed = _import(session, "fed")
    read = _import(session, "read")
    assert len(fed.new_unshipped) == 9  # FBA ships itself; awaiting payment is still unshipped

    from_rows = select_for_new(session, plugins, fed.new_unshipped)
    read_back = select_carriers(session, plugins, [o.id for o in read.new_unshipped])

    fed_id, read_id = fed.new_unshipped[0].row["integration_id"], read.new_unshipped[0].row["integration_id"]
    decided = _outcome(session, fed_id)
    assert decided == _outcome(session, read_id)
    assert len(from_rows.assigned) == len(read_back.assigned) >= 4
    assert len(from_rows.pending) == len(read_back.pending) >= 3
    assert from_rows.skipped == [
        o.id for o in fed.new_unshipped if o.row["status"] is OrderStatus.AWAITING_PAYMENT
    ]
    assert decided["407-0004"][1] == "gls"  # 31 default kilos: the weights were added up
    assert "invalid address" in decided["407-0007"][3]
    assert decided["407-0009"][1:] == (None, None, None)


def test_an_order_changed_after_the_import_is_left_as_it_is(session: Session, plugins: PluginManager) -> None:
    imported = _import(session, "shop")
    by_ref = {o.row["channel_order_id"]: o.id for o in imported.new_unshipped}
    held, assigned = session.get(Order, by_ref["407-0001"]), session.get(Order, by_ref["407-0006"])
    assert held is not None and assigned is not None
    held.status = OrderStatus.ON_HOLD
    assigned.carrier_code, assigned.service_code = "correos", "manual"
    session.flush()

    summary = select_for_new(session, plugins, imported.new_unshipped)  # rows as the import wrote them

    session.expire_all()
    assert (held.status, held.carrier_code) == (OrderStatus.ON_HOLD, None)
    assert (assigned.carrier_code, assigned.service_code, assigned.status) == (
        "correos",
        "manual",
        OrderStatus.AWAITING_SHIPMENT,
    )
    assert assigned.review_reason is None  # Japan is unserved: the stale row would have sent it to review
    assert len(summary.assigned) + len(summary.pending) >= 6
