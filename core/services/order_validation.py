"""Per-record validation of channel orders, run before a batch is written.

Each order is mapped and checked on its own, against the limits the database enforces
(string lengths of columns that are not free text, integer and decimal ranges), so one bad
order becomes a quarantined record and never fails the batch it came in. Reasons name the
field and the limit, never the value: they are shown to people and may reach logs.

The write path (:func:`core.services.order_import.upsert_orders`) only ever sees orders that
passed here; a database refusal that slips through is caught per order by the caller.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Integer, Numeric, String, Table
from sqlalchemy.dialects import postgresql

from core.db.models import Order, OrderItem
from core.dto import ChannelOrder, RecordFailure
from core.errors import InputError
from core.services.order_import import PreparedOrder, prepare

INT_MAX = 2**31 - 1
"""The largest value an INTEGER column holds on PostgreSQL (SQLite's are wider)."""

_POSTGRES = postgresql.dialect()  # type: ignore[no-untyped-call]

Limits = tuple[dict[str, int], set[str], dict[str, Decimal]]
"""Per table: enforced string lengths, integer columns, decimal magnitude bounds."""


def _limits(table: Table) -> Limits:
    """Per column: enforced string length, integer columns, and the decimal magnitude bound."""
    lengths: dict[str, int] = {}
    integers: set[str] = set()
    decimals: dict[str, Decimal] = {}
    for column in table.columns:
        impl = column.type.dialect_impl(_POSTGRES)
        if isinstance(impl, String) and impl.length:
            lengths[column.name] = impl.length
        elif isinstance(impl, Integer) and not column.primary_key:
            integers.add(column.name)
        elif isinstance(impl, Numeric) and impl.precision is not None:
            decimals[column.name] = Decimal(10) ** (impl.precision - (impl.scale or 0))
    return lengths, integers, decimals


_ORDER_LIMITS = _limits(cast(Table, Order.__table__))
_ITEM_LIMITS = _limits(cast(Table, OrderItem.__table__))


def _check_row(row: Mapping[str, Any], limits: Limits, item: str | None = None) -> None:
    """Raise :class:`InputError` for the first value of ``row`` its column cannot hold;
    ``item`` names the order item the row is (the field's name is then ``items[id].name``)."""
    lengths, integers, decimals = limits
    for name, limit in lengths.items():
        value = row.get(name)
        if isinstance(value, str) and len(value) > limit:
            raise InputError(_field(name, item), f"longer than {limit} characters")
    for name in integers:
        value = row.get(name)
        if isinstance(value, int) and not -INT_MAX - 1 <= value <= INT_MAX:
            raise InputError(_field(name, item), f"outside the range the hub stores (at most {INT_MAX})")
    for name, bound in decimals.items():
        value = row.get(name)
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise InputError(_field(name, item), "is not a finite number")
            if abs(value) >= bound:
                raise InputError(_field(name, item), f"must be less than {bound:,}")


def _field(name: str, item: str | None) -> str:
    return name if item is None else f"items[{item[:40]}].{name}"


def check_order(integration_id: int, order: ChannelOrder) -> PreparedOrder:
    """The order's rows; raises :class:`InputError` naming the first field the hub cannot store."""
    prepared = prepare(integration_id, order)
    _check_row(prepared.row, _ORDER_LIMITS)
    for item in prepared.items:
        _check_row(item, _ITEM_LIMITS, item["channel_item_id"])
    if order.purchase_date.tzinfo is None:
        raise InputError("purchase_date", "has no time zone")
    return prepared


def validate_orders(
    integration_id: int, orders: Iterable[ChannelOrder]
) -> tuple[list[PreparedOrder], list[RecordFailure]]:
    """Split ``orders`` into the ones the hub can store (mapped to their rows, so the write
    path does not map them again) and quarantine records for the rest.

    A repeated channel order id within one batch keeps the last copy (the channel's newest).
    """
    good: dict[str, PreparedOrder] = {}
    bad: list[RecordFailure] = []
    for order in orders:
        try:
            good[order.channel_order_id] = check_order(integration_id, order)
        except InputError as exc:
            bad.append(
                RecordFailure(order.channel_order_id or "<no id>", str(exc), payload=order_payload(order))
            )
    return list(good.values()), bad


def order_payload(order: ChannelOrder) -> dict[str, Any]:
    """The order as JSON-safe data, to keep (encrypted) beside its quarantine entry."""
    return cast(dict[str, Any], json.loads(json.dumps(dataclasses.asdict(order), default=_plain)))


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
