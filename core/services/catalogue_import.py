"""``channelhub products import``: the seller's catalogue, streamed in constant memory.

A file (CSV with a header, or JSON Lines) of ``sku, title, ean, brand, category, weight_kg,
cost, rrp, currency, on_hand`` is read row by row, checked (the same price check as
``price set``), and upserted by SKU in batches: an empty cell leaves the stored value alone.
On PostgreSQL each batch is COPYed into a temporary table and merged with one
``INSERT ... SELECT ... ON CONFLICT DO UPDATE``; elsewhere a multi-row upsert does the same.
A bad row never stops the good ones: it is reported with its line number and reason. Each
batch commits with its outbox rows (stock and RRP pushes, set-based), so a crash loses at most
one batch and running the file again is harmless.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, MetaData, Table, case, func, literal, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import Product, StockSource
from core.db.session import dialect_insert
from core.errors import InputError
from core.services import catalog
from core.services.prices import decimals_of, parse_price

COLUMNS = ("sku", "title", "ean", "brand", "category", "weight_kg", "cost", "rrp", "currency", "on_hand")
BATCH = 10_000
"""Rows per transaction: large enough for COPY to pay off, small enough for flat memory."""

_LIMITS = {"sku": 200, "title": 10_000, "ean": 32, "brand": 200, "category": 200}
_UPDATABLE = ("title", "ean", "brand", "category", "weight_kg", "cost", "rrp", "currency")


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    bad: int = 0
    quantity_pushes: int = 0
    price_pushes: int = 0
    dry_run: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line, reason) of the first :data:`KEEP_ERRORS` bad rows (all are passed to ``on_error``)."""


KEEP_ERRORS = 1_000

Row = dict[str, Any]


def _text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if len(value) > _LIMITS[name]:
        raise InputError(name, f"longer than {_LIMITS[name]} characters")
    return value


def check_row(raw: dict[str, Any]) -> Row:
    """One file row as typed values, or an :class:`InputError` naming the first bad field."""
    sku = _text(raw, "sku")
    if sku is None:
        raise InputError("sku", "is empty")
    row: Row = {"sku": sku, **{name: _text(raw, name) for name in ("title", "ean", "brand", "category")}}
    currency = raw.get("currency")
    currency = str(currency).strip().upper() if currency not in (None, "") else None
    if currency is not None:
        decimals_of(currency)
    row["currency"] = currency
    for name in ("cost", "rrp"):
        value = raw.get(name)
        if value in (None, ""):
            row[name] = None
            continue
        if currency is None:
            raise InputError("currency", f"is needed with a {name}")
        row[name] = parse_price(name, str(value), currency)
    weight = raw.get("weight_kg")
    if weight in (None, ""):
        row["weight_kg"] = None
    else:
        try:
            kg = Decimal(str(weight).strip())
        except InvalidOperation:
            raise InputError("weight_kg", f"must be a number, got {weight!r}") from None
        if not kg.is_finite() or not 0 <= kg <= 100_000:
            raise InputError("weight_kg", f"must be between 0 and 100000, got {weight!r}")
        row["weight_kg"] = kg
    on_hand = raw.get("on_hand")
    if on_hand in (None, ""):
        row["on_hand"] = None
    else:
        if isinstance(on_hand, bool) or not str(on_hand).strip().lstrip("-").isdigit():
            raise InputError("on_hand", f"must be a whole number, got {on_hand!r}")
        row["on_hand"] = catalog.check_quantity("on_hand", int(str(on_hand).strip()))
    return row


def read_rows(stream: Iterable[str], fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, raw row or the reason it cannot be read) for each data row of the file."""
    if fmt == "csv":
        reader = csv.DictReader(stream)
        header = reader.fieldnames or []
        if "sku" not in header:
            raise InputError(
                "file", f"the CSV header must name a sku column, got {', '.join(header) or 'none'}"
            )
        unknown = set(header) - set(COLUMNS)
        if unknown:
            raise InputError(
                "file", f"unknown column(s) {', '.join(sorted(unknown))}; use {', '.join(COLUMNS)}"
            )
        for raw in reader:
            if None in raw:
                yield reader.line_num, "more cells than the header has columns"
            else:
                yield reader.line_num, raw
        return
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON ({exc.msg})"
            continue
        if not isinstance(raw, dict):
            yield number, "not a JSON object"
            continue
        unknown = set(raw) - set(COLUMNS)
        yield (number, f"unknown field(s) {', '.join(sorted(unknown))}") if unknown else (number, raw)


def file_format(path: Path, fmt: str | None) -> str:
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen in ("jsonl", "ndjson"):
        return "jsonl"
    if chosen == "csv":
        return "csv"
    raise InputError("format", f"cannot tell the format of {path.name!r}: use --format csv or jsonl")


def import_file(
    session: Session,
    path: Path,
    *,
    fmt: str | None = None,
    dry_run: bool = False,
    on_error: Callable[[int, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Stream ``path`` into the catalogue; ``progress`` gets the bytes read since its last call."""
    kind = file_format(path, fmt)
    report = ImportReport(dry_run=dry_run)
    with path.open("r", encoding="utf-8-sig", newline="") as raw_file:
        batch: dict[str, Row] = {}
        for line, raw in read_rows(_counted(raw_file, progress), kind):
            report.rows += 1
            try:
                if isinstance(raw, str):
                    raise InputError("row", raw)
                row = check_row(raw)
            except InputError as exc:
                report.bad += 1
                if len(report.errors) < KEEP_ERRORS:
                    report.errors.append((line, str(exc)))
                if on_error:
                    on_error(line, str(exc))
                continue
            batch[row["sku"]] = row  # a SKU twice in one batch: the later row wins
            if len(batch) >= BATCH:
                _load(session, list(batch.values()), report)
                batch.clear()
        if batch:
            _load(session, list(batch.values()), report)
    return report


def _counted(lines: IO[str], progress: Callable[[int], None] | None) -> Iterator[str]:
    """The file's lines, telling ``progress`` how many characters each one moved the bar."""
    for line in lines:
        if progress:
            progress(len(line))
        yield line


def _existing(session: Session, skus: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in catalog.chunked(skus):
        found.update(session.scalars(select(Product.sku).where(Product.sku.in_(chunk))))
    return found


def _load(session: Session, rows: list[Row], report: ImportReport) -> None:
    skus = [r["sku"] for r in rows]
    existing = _existing(session, skus)
    report.created += len(rows) - len(existing)
    report.updated += len(existing)
    if report.dry_run:
        return
    now = utcnow()
    values = [
        {
            **{name: r[name] for name in ("sku", *_UPDATABLE)},
            "stock_on_hand": r["on_hand"],
            "stock_source": None if r["on_hand"] is None else StockSource.HUB.value,
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    if session.get_bind().dialect.name == "postgresql":
        _upsert_by_copy(session, values)
    else:
        session.execute(_upsert(dialect_insert(session, Product)), values)
    stocked = [r["sku"] for r in rows if r["on_hand"] is not None]
    priced = [r["sku"] for r in rows if r["rrp"] is not None]
    report.quantity_pushes += catalog.enqueue_quantities(session, _ids(session, stocked))
    report.price_pushes += catalog.queue_rrp_prices(session, _ids(session, priced))
    session.commit()


def _upsert(statement: Any) -> Any:
    """``ON CONFLICT (sku) DO UPDATE``: given values replace, empty cells keep what is stored."""
    excluded = statement.excluded
    products = Product.__table__.c
    return statement.on_conflict_do_update(
        index_elements=["sku"],
        set_={
            **{name: func.coalesce(excluded[name], products[name]) for name in _UPDATABLE},
            "stock_on_hand": func.coalesce(excluded.stock_on_hand, products.stock_on_hand),
            "stock_source": case(
                (excluded.stock_on_hand.is_(None), products.stock_source),
                else_=literal(StockSource.HUB.value),
            ),
            "updated_at": excluded.updated_at,
        },
    )


_STAGE_COLUMNS = ("sku", *_UPDATABLE, "stock_on_hand", "stock_source", "created_at", "updated_at")
_STAGE = Table(
    "catalogue_import_stage",
    MetaData(),  # a session-local temporary table, never part of core's schema
    *(Column(name, Product.__table__.c[name].type) for name in _STAGE_COLUMNS),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)


def _upsert_by_copy(session: Session, values: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT ... SELECT upsert."""
    connection = session.connection()
    _STAGE.create(connection, checkfirst=True)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {_STAGE.name} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN") as copy:
        for v in values:
            copy.write_row(tuple(v[name] for name in _STAGE_COLUMNS))
    statement = dialect_insert(session, Product).from_select(
        list(_STAGE_COLUMNS), select(*(_STAGE.c[name] for name in _STAGE_COLUMNS))
    )
    session.execute(_upsert(statement))


def _ids(session: Session, skus: list[str]) -> list[int]:
    ids: list[int] = []
    for chunk in catalog.chunked(skus):
        ids.extend(session.scalars(select(Product.id).where(Product.sku.in_(chunk))))
    return ids
