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
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Column, MetaData, Table, case, func, literal, select, true
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import Product, StockSource
from core.db.session import dialect_insert
from core.errors import InputError
from core.services import catalog
from core.services.prices import MAX_PRICE, decimals_of, parse_price

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

Row = tuple[Any, ...]
"""A checked row, in :data:`COLUMNS` order (empty cells are None)."""

_SKU, _TITLE, _EAN, _BRAND, _CATEGORY, _WEIGHT, _COST, _RRP, _CURRENCY, _ON_HAND = range(len(COLUMNS))
_PRICE_SHAPE = {
    places: re.compile(rf"\d{{1,7}}(?:\.\d{{1,{places}}})?" if places else r"\d{1,7}")
    for places in (0, 2, 3, 4)
}
"""Prices the quick path accepts at once (per currency decimals); anything else gets the full check."""
_WEIGHT_SHAPE = re.compile(r"\d{1,6}(?:\.\d{1,3})?")


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else str(value).strip()
    return text or None


def _price(name: str, text: str, currency: str, places: int) -> Decimal:
    """The same check as ``price set`` (``prices.parse_price``), with a quick path for plain values."""
    if _PRICE_SHAPE[places].fullmatch(text) and text.strip("0.") and Decimal(text) <= MAX_PRICE:
        return Decimal(text)
    return parse_price(name, text, currency)


def check_row(values: Sequence[Any]) -> Row:
    """One file row (cells in :data:`COLUMNS` order) as typed values, or an :class:`InputError`."""
    cells: list[Any] = [(v.strip() or None) if isinstance(v, str) else _cell(v) for v in values]
    sku = cells[_SKU]
    if sku is None:
        raise InputError("sku", "is empty")
    for column in (_SKU, _TITLE, _EAN, _BRAND, _CATEGORY):
        text = cells[column]
        if text is not None and len(text) > _LIMITS[COLUMNS[column]]:
            raise InputError(COLUMNS[column], f"longer than {_LIMITS[COLUMNS[column]]} characters")
    currency: str | None = cells[_CURRENCY]
    places = 2
    if currency is not None:
        currency = cells[_CURRENCY] = currency.upper()
        places = _decimals(currency)
    for column in (_COST, _RRP):
        text = cells[column]
        if text is not None:
            if currency is None:
                raise InputError("currency", f"is needed with a {COLUMNS[column]}")
            cells[column] = _price(COLUMNS[column], text, currency, places)
    weight = cells[_WEIGHT]
    if weight is not None:
        if _WEIGHT_SHAPE.fullmatch(weight):
            kg = Decimal(weight)
        else:
            try:
                kg = Decimal(weight)
            except InvalidOperation:
                raise InputError("weight_kg", f"must be a number, got {weight!r}") from None
        if not kg.is_finite() or not 0 <= kg <= 100_000:
            raise InputError("weight_kg", f"must be between 0 and 100000, got {weight!r}")
        cells[_WEIGHT] = kg
    on_hand = cells[_ON_HAND]
    if on_hand is not None:
        if not on_hand.lstrip("-").isdigit() or isinstance(values[_ON_HAND], bool | float):
            raise InputError("on_hand", f"must be a whole number, got {values[_ON_HAND]!r}")
        cells[_ON_HAND] = catalog.check_quantity("on_hand", int(on_hand))
    return tuple(cells)


@lru_cache(maxsize=256)
def _decimals(currency: str) -> int:
    places = decimals_of(currency)
    if places not in _PRICE_SHAPE:
        raise InputError("currency", f"{currency} has {places} decimals, which channelhub cannot price in")
    return places


def read_rows(stream: Iterable[str], fmt: str) -> Iterator[tuple[int, Sequence[Any] | str]]:
    """(line number, the row's cells in :data:`COLUMNS` order, or why it cannot be read)."""
    if fmt == "csv":
        reader = csv.reader(stream)
        header = [name.strip() for name in next(reader, [])]
        if "sku" not in header:
            named = ", ".join(header) or "none"
            raise InputError("file", f"the CSV header must name a sku column, got {named}")
        unknown = set(header) - set(COLUMNS)
        if unknown:
            names = ", ".join(sorted(unknown))
            raise InputError("file", f"unknown column(s) {names}; use {', '.join(COLUMNS)}")
        where = [header.index(name) if name in header else None for name in COLUMNS]
        width = len(header)
        for cells in reader:
            if not cells:
                continue
            if len(cells) > width:
                yield reader.line_num, "more cells than the header has columns"
                continue
            cells += [""] * (width - len(cells))
            yield reader.line_num, [None if i is None else cells[i] for i in where]
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
        if unknown:
            yield number, f"unknown field(s) {', '.join(sorted(unknown))}"
        else:
            yield number, [raw.get(name) for name in COLUMNS]


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
            batch[row[_SKU]] = row  # a SKU twice in one batch: the later row wins
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


def _load(session: Session, rows: list[Row], report: ImportReport) -> None:
    """Stage one batch, then count, upsert and queue pushes with set-based statements."""
    now = utcnow()
    hub = StockSource.HUB.value
    values = [(*r[:_ON_HAND], r[_ON_HAND], None if r[_ON_HAND] is None else hub, now, now) for r in rows]
    _stage(session, values)
    products = Product.__table__.c
    existing = session.scalar(
        select(func.count()).select_from(_STAGE.join(Product, products.sku == _STAGE.c.sku))
    )
    report.created += len(rows) - (existing or 0)
    report.updated += existing or 0
    if report.dry_run:
        return
    statement = dialect_insert(session, Product).from_select(
        list(_STAGE_COLUMNS),
        select(*(_STAGE.c[name] for name in _STAGE_COLUMNS)).where(true()),  # WHERE: SQLite's upsert grammar
    )
    session.execute(_upsert(statement))
    report.quantity_pushes += catalog.enqueue_quantities_where(
        session, _STAGE.join(Product, products.sku == _STAGE.c.sku), _STAGE.c.stock_on_hand.is_not(None)
    )
    report.price_pushes += catalog.queue_rrp_prices_where(
        session, _STAGE.join(Product, products.sku == _STAGE.c.sku), _STAGE.c.rrp.is_not(None)
    )
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


_STAGE_COLUMNS = (*COLUMNS[:_ON_HAND], "stock_on_hand", "stock_source", "created_at", "updated_at")
_STAGE = Table(
    "catalogue_import_stage",
    MetaData(),  # a session-local temporary table, never part of core's schema
    *(Column(name, Product.__table__.c[name].type) for name in _STAGE_COLUMNS),
    prefixes=["TEMPORARY"],
)


def _stage(session: Session, values: list[tuple[Any, ...]]) -> None:
    """Fill the session's temporary staging table with one batch: COPY on PostgreSQL."""
    connection = session.connection()
    _STAGE.create(connection, checkfirst=True)
    connection.execute(_STAGE.delete())
    if connection.dialect.name != "postgresql":
        connection.execute(_STAGE.insert(), [dict(zip(_STAGE_COLUMNS, v, strict=True)) for v in values])
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {_STAGE.name} ({', '.join(_STAGE_COLUMNS)}) FROM STDIN") as copy:
        for v in values:
            copy.write_row(v)
    # Temporary tables are never auto-analysed: without this the planner guesses their size and
    # joins them to the whole products table by sequential scan, once per batch (quadratic).
    connection.exec_driver_sql(f"ANALYZE {_STAGE.name}")
