"""Channel orders into hub orders: mapping rules and an idempotent bulk upsert.

Rules (DESIGN.md section 3): MFN orders import for fulfilment; FBA orders import as Shipped
and without buyer data; the ship-by date is the channel's latest ship date; no currency is
ever converted. A channel cancel cancels in the hub (the units become available again); a
channel "shipped" ships an unshipped hub order. Hub decisions (on hold, pending review, a
carrier) are never overwritten by a re-import.

The write runs in bulk and the unique key (integration, channel order id) decides what is
new: an order the write finds stored already (two imports racing each other, one import
repeated after a crash) is brought in line, never inserted a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import bulk
from core.db.base import utcnow
from core.db.members import member_of
from core.db.models import Order, OrderItem, OrderStatus
from core.db.session import dialect_insert
from core.dto import ChannelOrder, ChannelOrderStatus, Fulfilment, Money, RecordFailure
from core.errors import InputError
from core.services.catalog import UNSHIPPED, enqueue_quantities, product_ids_for, ship_units

ORDERS = cast(Table, Order.__table__)
ORDER_ITEMS = cast(Table, OrderItem.__table__)
"""Core (not ORM) inserts: the bulk path without per-row ORM bookkeeping."""

STAGING = "orders_staging"
"""PostgreSQL temporary table (per connection, emptied at commit) the orders are COPYed into
when a straight COPY met an order stored meanwhile."""

_NEW_STATUS = {
    ChannelOrderStatus.PENDING: OrderStatus.AWAITING_PAYMENT,
    ChannelOrderStatus.UNSHIPPED: OrderStatus.AWAITING_SHIPMENT,
    ChannelOrderStatus.PARTIALLY_SHIPPED: OrderStatus.AWAITING_SHIPMENT,
    ChannelOrderStatus.SHIPPED: OrderStatus.SHIPPED,
    ChannelOrderStatus.CANCELLED: OrderStatus.CANCELLED,
    ChannelOrderStatus.UNFULFILLABLE: OrderStatus.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An MFN order this batch created, still to ship: its id, its row as written and its
    lines as (product id, quantity).

    Carrier selection works from these (it does not read back what the import just wrote).
    """

    id: int
    row: dict[str, Any]
    lines: list[tuple[int | None, int]]


CarrierChooser = Callable[[Session, list[NewOrder]], Mapping[int, Mapping[str, Any]]]
"""Decides carriers for new orders before their batch commits: per order id, the ``orders``
columns to set (``status``, ``carrier_code``, ``service_code``, ``review_reason``); orders it
leaves out stay as imported. Core's is :func:`core.services.carrier_selection.choose_for_import`."""


@dataclass
class ImportResult:
    """What one batch did; ``new_unshipped`` are the orders waiting for carrier selection."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[RecordFailure] = field(default_factory=list)
    new_unshipped: list[NewOrder] = field(default_factory=list)


def hub_status(order: ChannelOrder) -> OrderStatus:
    if order.fulfilment is Fulfilment.FBA:
        # Amazon ships FBA orders itself: they are history for the hub, never work to do.
        cancelled = order.status in (ChannelOrderStatus.CANCELLED, ChannelOrderStatus.UNFULFILLABLE)
        return OrderStatus.CANCELLED if cancelled else OrderStatus.SHIPPED
    return _NEW_STATUS[order.status]


def _amount(money: Money | None, currency: str, field_name: str) -> Any:
    if money is None:
        return None
    if money.currency != currency:
        raise InputError(field_name, f"is in {money.currency} but the order is in {currency}")
    return money.amount


def order_row(integration_id: int, order: ChannelOrder) -> dict[str, Any]:
    """The ``orders`` row for a channel order; raises InputError naming a bad field."""
    if not order.channel_order_id:
        raise InputError("channel_order_id", "is empty")
    if not order.items:
        raise InputError("items", "the order has no items")
    buyer = order.fulfilment is Fulfilment.MFN and order.buyer_data_available
    address = order.shipping_address if order.fulfilment is Fulfilment.MFN else None
    private = address if buyer else None  # the address lines that identify the buyer
    return {
        "integration_id": integration_id,
        "channel_order_id": order.channel_order_id,
        "status": hub_status(order),
        "channel_status": order.channel_status,
        "fulfilment": order.fulfilment,
        "purchase_date": order.purchase_date,
        "channel_updated_at": order.last_updated,
        "ship_by": order.ship_by,
        "currency": order.currency,
        "total": _amount(order.total, order.currency, "total"),
        "shipping_total": _amount(order.shipping_total, order.currency, "shipping_total"),
        "tax_total": _amount(order.tax_total, order.currency, "tax_total"),
        "is_gift": order.is_gift,
        "buyer_data_available": buyer,
        "buyer_name": order.buyer_name if buyer else None,
        "buyer_email": order.buyer_email if buyer else None,
        "buyer_phone": private.phone if private else None,
        "ship_name": private.name if private else None,
        "ship_line1": private.line1 if private else None,
        "ship_line2": private.line2 if private else None,
        "ship_line3": private.line3 if private else None,
        "ship_city": address.city if address else None,
        "ship_state": address.state if address else None,
        "ship_postal_code": address.postal_code if address else None,
        "ship_country": address.country_code if address else None,
        "ship_phone": private.phone if private else None,
        "carrier_code": None,  # a carrier decision made before the write fills these
        "service_code": None,
        "review_reason": None,
    }


def item_rows(order: ChannelOrder) -> list[dict[str, Any]]:
    rows = []
    for item in order.items:
        if item.quantity <= 0:
            raise InputError(
                f"items[{item.channel_item_id}].quantity", f"must be positive, got {item.quantity}"
            )
        if item.unit_price.amount < 0:
            raise InputError(f"items[{item.channel_item_id}].unit_price", "must not be negative")
        rows.append(
            {
                "channel_item_id": item.channel_item_id,
                "sku": item.sku,
                "asin": item.asin,
                "title": item.title,
                "quantity": item.quantity,
                "unit_price": _amount(item.unit_price, order.currency, "unit_price"),
                "tax": _amount(item.tax, order.currency, "tax"),
                "is_custom": item.is_custom,
                "gift_message": item.gift_message if order.fulfilment is Fulfilment.MFN else None,
            }
        )
    return rows


ANALYZE_AFTER = 10_000
"""Orders a run must have created before it checks whether the planner's statistics are stale."""


def refresh_statistics(session: Session, created: int) -> bool:
    """Let PostgreSQL's planner see how big the order tables have grown, if it does not yet.

    During a first import the tables grow from empty faster than autovacuum re-analyses
    them, and with stale statistics the planner picks scans that slow the import down
    quadratically. The check is the planner's own row estimate (``pg_class.reltuples``): if
    it counts fewer orders than this run alone created, one ANALYZE; otherwise nothing, so
    ten integrations imported one after another analyse once, not once each. SQLite needs
    nothing. Returns whether it analysed.
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    estimate = session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": ORDERS.name}
    )
    if estimate is not None and estimate >= created:
        return False
    session.execute(text("ANALYZE orders, order_items"))
    return True


@dataclass(frozen=True, slots=True)
class PreparedOrder:
    """A channel order with its ``orders`` row and item rows, mapped once (validation reads them too)."""

    order: ChannelOrder
    row: dict[str, Any]
    items: list[dict[str, Any]]


def prepare(integration_id: int, order: ChannelOrder) -> PreparedOrder:
    """Map an order to its rows; raises InputError naming a bad field."""
    return PreparedOrder(order, order_row(integration_id, order), item_rows(order))


def upsert_orders(
    session: Session,
    integration_id: int,
    orders: Sequence[ChannelOrder],
    choose: CarrierChooser | None = None,
) -> ImportResult:
    """Insert new orders (with items) and apply channel status changes to known ones.

    Runs inside the caller's transaction; the caller commits the batch and its cursor
    together. A malformed order becomes a failure in the result and the rest go through.
    """
    prepared: list[PreparedOrder] = []
    failures: list[RecordFailure] = []
    for order in orders:
        try:
            prepared.append(prepare(integration_id, order))
        except InputError as exc:
            failures.append(RecordFailure(order.channel_order_id or "<no id>", str(exc)))
    result = upsert_prepared(session, integration_id, prepared, choose)
    result.failures[:0] = failures
    return result


def upsert_prepared(
    session: Session,
    integration_id: int,
    orders: Sequence[PreparedOrder],
    choose: CarrierChooser | None = None,
    *,
    look_up_stored: bool = True,
) -> ImportResult:
    """:func:`upsert_orders` for orders already mapped (and validated) by :func:`prepare`.

    ``choose`` decides the carriers of the new unshipped MFN orders inside this transaction,
    so an order is never committed without its decision (on PostgreSQL before the rows are
    written, so they are written once, decision included). A repeated channel order id keeps
    the last copy (the channel's newest).

    The stored orders among the batch are looked up before the write, unless
    ``look_up_stored`` is False (a batch expected to be all new, as in a first import): then
    the write itself finds the ones already stored (the unique key refuses them) and only
    those are looked up, after. Either way each is brought in line, never inserted twice.
    """
    result = ImportResult()
    valid = {p.order.channel_order_id: p for p in orders}
    if not valid:
        return result
    touched: set[int] = set()
    known = _stored(session, integration_id, list(valid)) if look_up_stored else {}
    fresh = [p for key, p in valid.items() if key not in known]
    if fresh:
        inserted = _create(session, fresh, choose, result, touched)
        refused = [p.order.channel_order_id for p in fresh if p.order.channel_order_id not in inserted]
        if refused:  # stored already (by another import since we looked, or not looked up): bring in line
            known.update(_stored(session, integration_id, refused))
            result.unchanged += len(refused) - len(set(refused) & known.keys())  # deleted meanwhile
    for key, row in known.items():
        if _apply_channel_change(session, row, valid[key].row, touched):
            result.updated += 1
        else:
            result.unchanged += 1
    enqueue_quantities(session, touched)
    return result


def has_orders(session: Session, integration_id: int) -> bool:
    """Whether the integration has any order stored (a first import has none to look up)."""
    found = session.scalar(select(Order.id).where(Order.integration_id == integration_id).limit(1))
    return found is not None


def _stored(session: Session, integration_id: int, keys: list[str]) -> dict[str, Any]:
    """The stored orders among these channel order ids, with what a channel change compares."""
    rows = session.execute(
        select(
            Order.id,
            Order.channel_order_id,
            Order.status,
            Order.channel_status,
            Order.channel_updated_at,
            Order.ship_by,
        ).where(Order.integration_id == integration_id, member_of(Order.channel_order_id, keys))
    )
    return {row.channel_order_id: row for row in rows}


def _create(
    session: Session,
    fresh: list[PreparedOrder],
    choose: CarrierChooser | None,
    result: ImportResult,
    touched: set[int],
) -> dict[str, int]:
    """Write orders not stored yet, with their items and carrier decisions; ids of the created.

    PostgreSQL: the ids come from the table's sequence first (one query), so the carriers are
    chosen before the write and each row goes in once, by COPY. Elsewhere the ids come back
    from the INSERT and the decisions follow in one UPDATE.
    """
    skus = {item["sku"] for p in fresh for item in p.items}
    product_ids = product_ids_for(
        session, skus, {item["sku"]: item["title"] for p in fresh for item in p.items}
    )
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        order_ids = _next_ids(session, len(fresh))
        ids = dict(zip((p.order.channel_order_id for p in fresh), order_ids, strict=True))
        new = _unshipped(fresh, ids, product_ids)
        decided = choose(session, new) if choose and new else {}
        inserted = _copy_orders(session, [p.row for p in fresh], order_ids, decided, now)
    else:
        inserted = _insert_orders(session, [p.row for p in fresh], now)
        new = _unshipped([p for p in fresh if p.order.channel_order_id in inserted], inserted, product_ids)
        decided = choose(session, new) if choose and new else {}
        bulk.update_each(session, ORDERS, "id", decided)
    created = [(p, inserted[p.order.channel_order_id]) for p in fresh if p.order.channel_order_id in inserted]
    _insert_items(session, created, product_ids)
    result.created = len(created)
    result.new_unshipped = [n for n in new if n.row["channel_order_id"] in inserted]
    touched.update(pid for n in result.new_unshipped for pid, _ in n.lines if pid is not None)
    return inserted


def _unshipped(
    orders: list[PreparedOrder], ids: Mapping[str, int], product_ids: Mapping[str, int]
) -> list[NewOrder]:
    """The orders among these that still have to ship from the seller (MFN), as NewOrders."""
    return [
        NewOrder(
            ids[p.order.channel_order_id],
            p.row,
            [(product_ids.get(item["sku"]), item["quantity"]) for item in p.items],
        )
        for p in orders
        if p.row["status"] in UNSHIPPED and p.order.fulfilment is Fulfilment.MFN
    ]


def _next_ids(session: Session, count: int) -> list[int]:
    """``count`` new order ids from the table's own sequence (unused ones are gaps, as after a rollback).

    The sequence is looked up once, in a scalar subquery: called per row,
    ``pg_get_serial_sequence`` cost ~2 us an id (7 ms a batch, of 8)."""
    ids: list[int] = session.scalar(
        text(
            "SELECT array_agg(nextval((SELECT pg_get_serial_sequence(:table, 'id')::regclass))) "
            "FROM generate_series(1, :count)"
        ),
        {"table": ORDERS.name, "count": count},
    )
    return ids  # one array, not one row per id: the driver decodes it in C


def _insert_items(
    session: Session, created: list[tuple[PreparedOrder, int]], product_ids: Mapping[str, int]
) -> None:
    """The item rows of the orders just created, with their order and product ids, in one COPY."""
    first = next((p.items[0] for p, _ in created if p.items), None)
    if first is None:
        return
    columns = [*first, "order_id", "product_id"]  # every item row comes from item_rows: same keys, same order
    values = (
        (*item.values(), order_id, product_ids.get(item["sku"]))
        for p, order_id in created
        for item in p.items
    )
    bulk.insert_rows(session, ORDER_ITEMS, columns, values)


def _insert_orders(session: Session, rows: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    """Insert orders (not PostgreSQL); ids of the ones this call created, by channel order id.

    One executemany of ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: the unique key
    (integration, channel order id) decides, so an order another import stored meanwhile is
    left out of the answer, never inserted twice.
    """
    statement = (
        dialect_insert(session, ORDERS)
        .on_conflict_do_nothing(index_elements=["integration_id", "channel_order_id"])
        .returning(ORDERS.c.channel_order_id, ORDERS.c.id)
    )
    stamped = [{**row, "imported_at": now, "updated_at": now} for row in rows]
    created: dict[str, int] = dict(session.execute(statement, stamped).all())
    return created


UNIQUE_VIOLATION = "23505"
"""PostgreSQL's SQLSTATE for a duplicate key."""


def _copy_orders(
    session: Session,
    rows: list[dict[str, Any]],
    ids: list[int],
    decided: Mapping[int, Mapping[str, Any]],
    now: datetime,
) -> dict[str, int]:
    """Insert orders (PostgreSQL) with the given ids and carrier decisions (columns by order
    id, over the row's own); ids of the ones this call created.

    Straight into the table by COPY, the database's fastest way in, inside a savepoint. A
    conflict on the unique key (integration, channel order id) is rare: the stream's lease
    keeps other runs of this integration's import out, and the stored orders were looked up
    first. It happens when ``channelhub errors retry`` races the stream, or when the lookup
    was skipped. Then the savepoint goes and the rows take the safe way, :func:`_stage_orders`.
    The columns are whatever :func:`order_row` produced, so the write path follows the model.
    """
    # every row comes from order_row: same keys, same order
    columns = [*rows[0], "imported_at", "updated_at", "id"]
    position = {name: index for index, name in enumerate(columns)}
    values: list[Sequence[Any]] = []
    for row, order_id in zip(rows, ids, strict=True):
        decision = decided.get(order_id)
        if not decision:
            values.append((*row.values(), now, now, order_id))
            continue
        value = [*row.values(), now, now, order_id]
        for name, column_value in decision.items():
            value[position[name]] = column_value
        values.append(value)
    try:
        with session.begin_nested():
            bulk.insert_rows(session, ORDERS, columns, values)
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return _stage_orders(session, columns, values)
    return {row["channel_order_id"]: order_id for row, order_id in zip(rows, ids, strict=True)}


def _stage_orders(session: Session, columns: list[str], values: list[Sequence[Any]]) -> dict[str, int]:
    """The conflict-proof way in: the rows are COPYed into a temporary staging table and moved
    with one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``, so an order stored
    meanwhile is left out of the answer, never inserted twice."""
    names = ", ".join(ORDERS.c[c].name for c in columns)
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS "  # noqa: S608 (metadata names)
            f"AS SELECT * FROM {ORDERS.name} WITH NO DATA"
        )
    )
    bulk.insert_rows(session, ORDERS, columns, values, into=STAGING)
    moved = session.execute(
        text(
            f"INSERT INTO {ORDERS.name} ({names}) SELECT {names} FROM {STAGING} "  # noqa: S608
            "ON CONFLICT (integration_id, channel_order_id) DO NOTHING RETURNING channel_order_id, id"
        )
    )
    found: dict[str, int] = dict(moved.all())
    session.execute(text(f"DELETE FROM {STAGING}"))  # noqa: S608 (a next batch may share the transaction)
    return found


def _apply_channel_change(session: Session, row: Any, mapped: dict[str, Any], touched: set[int]) -> bool:
    """Bring a known order in line with the channel without undoing hub decisions."""
    order_id: int = row.id
    current: OrderStatus = row.status
    incoming: OrderStatus = mapped["status"]
    values: dict[str, Any] = {
        "channel_status": mapped["channel_status"],
        "channel_updated_at": mapped["channel_updated_at"],
        "ship_by": mapped["ship_by"],
    }
    new_status = current
    if incoming is OrderStatus.CANCELLED and current is not OrderStatus.CANCELLED:
        new_status = OrderStatus.CANCELLED
    elif incoming is OrderStatus.SHIPPED and current in UNSHIPPED:
        new_status = OrderStatus.SHIPPED
        ship_units(session, order_id)
    elif current is OrderStatus.AWAITING_PAYMENT and incoming is OrderStatus.AWAITING_SHIPMENT:
        new_status = OrderStatus.AWAITING_SHIPMENT
    if new_status is not current:
        values["status"] = new_status
        touched.update(
            pid
            for pid in session.scalars(select(OrderItem.product_id).where(OrderItem.order_id == order_id))
            if pid
        )
    before = (row.channel_status, row.channel_updated_at, row.ship_by)
    if new_status is current and before == (
        values["channel_status"],
        values["channel_updated_at"],
        values["ship_by"],
    ):
        return False
    values["updated_at"] = utcnow()
    session.execute(update(Order).where(Order.id == order_id).values(**values))
    return True
