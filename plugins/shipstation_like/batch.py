"""Shipments from a CSV file: one row per order, a bad row reported by line, the rest shipped.

Columns: ``order`` (channel order id or ALIAS:ID), ``carrier``, ``service``, ``tracking``, and
optionally ``items`` (``ITEM[:QTY]`` separated by spaces, to ship part of an order). Every row
of one file shares a batch id derived from the file's content, and row *n* gets the
idempotency key ``<batch>-<n>``: loading the same file twice creates nothing new.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import (
    ChannelhubError,
    InputError,
    ItemRequest,
    PluginManager,
    Shipment,
    create_shipment,
    find_order,
)

REQUIRED = ("order", "carrier")
KNOWN = ("order", "carrier", "service", "tracking", "items")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    error: str


@dataclass(slots=True)
class BatchResult:
    batch_id: str
    created: list[int] = field(default_factory=list)  # shipment ids
    skipped: list[int] = field(default_factory=list)  # lines already loaded from this file before
    errors: list[RowError] = field(default_factory=list)


def _cell(row: dict[str, str | None], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return value or None


def load_batch(
    session: Session, plugins: PluginManager, content: bytes, *, now: datetime | None = None
) -> BatchResult:
    """Create one shipment per row; each row in its own savepoint. The caller commits."""
    batch_id = "b-" + hashlib.sha256(content).hexdigest()[:16]
    result = BatchResult(batch_id)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("file", f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise InputError(
            "file", f"header must name the columns {', '.join(KNOWN)}; missing {', '.join(missing)}"
        )
    unknown = [h for h in headers if h not in KNOWN]
    if unknown:
        raise InputError("file", f"unknown column(s) {', '.join(unknown)}; expected {', '.join(KNOWN)}")
    reader.fieldnames = headers
    for raw in reader:
        line = reader.line_num
        key = f"{batch_id}-{line}"
        if session.scalar(select(Shipment.id).where(Shipment.idempotency_key == key)) is not None:
            result.skipped.append(line)
            continue
        try:
            with session.begin_nested():
                reference = _cell(raw, "order")
                if reference is None:
                    raise InputError("order", "is empty")
                if _cell(raw, "carrier") is None:
                    raise InputError("carrier", "is empty")
                items = [ItemRequest.parse(t) for t in (_cell(raw, "items") or "").split()]
                shipment = create_shipment(
                    session,
                    plugins,
                    [find_order(session, reference)],
                    carrier_code=_cell(raw, "carrier"),
                    service=_cell(raw, "service"),
                    tracking=_cell(raw, "tracking"),
                    items=items,
                    batch_id=batch_id,
                    idempotency_key=key,
                    now=now,
                )
            result.created.append(shipment.id)
        except ChannelhubError as exc:
            result.errors.append(RowError(line, str(exc)))
    return result
