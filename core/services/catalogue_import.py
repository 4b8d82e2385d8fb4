"""``channelhub products import``: the seller's catalogue, streamed in constant memory.

A file (CSV with a header, or JSON Lines) of ``sku, title, ean, brand, category, weight_kg,
cost, rrp, currency, on_hand`` is read row by row, checked (the same price check as
``price set``), and upserted by SKU in batches: an empty cell leaves the stored value alone.
A bad row never stops the good ones: it is reported with its line number and reason. Each
batch commits with its outbox rows (stock and RRP pushes, set-based), so a crash loses at most
one batch and running the file again is harmless.

On PostgreSQL a batch is COPYed into a temporary table and merged with one
``INSERT ... SELECT ... ON CONFLICT (sku) DO UPDATE``; elsewhere an executemany into the same
staging table does it. A million rows must cost seconds, so on PostgreSQL the common row
(plain text, plain numbers, a two-decimal currency) is checked by one regular expression over
the whole row and sent to COPY as the very text it was read as; any other row goes through
:func:`check_row`, which accepts everything the quick check accepts (a property test holds
them to that) and explains what it refuses.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Column, MetaData, Table, case, func, literal, literal_column, null, or_, select, true
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import Product, StockSource
from core.db.session import dialect_insert
from core.errors import InputError
from core.services import catalog
from core.services.prices import MAX_PRICE, MINOR_UNITS, decimals_of, parse_price

COLUMNS = ("sku", "title", "ean", "brand", "category", "weight_kg", "cost", "rrp", "currency", "on_hand")
BATCH = 50_000
"""Rows per transaction: large enough for COPY and the statements around it to pay off (their
cost per batch is fixed), small enough for flat memory (a batch is a few megabytes of text)."""

PROGRESS_EVERY = 4_096
"""Lines read between two calls of the progress callback (a progress bar redraw costs more than a row)."""

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
    for column, text in enumerate(cells):
        if isinstance(text, str) and "\x00" in text:
            raise InputError(COLUMNS[column], "holds a NUL character, which no database column can")
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
        in_order = header == list(COLUMNS)
        for cells in reader:
            if not cells:
                continue
            if len(cells) != width:
                if len(cells) > width:
                    yield reader.line_num, "more cells than the header has columns"
                    continue
                cells += [""] * (width - len(cells))
            yield reader.line_num, cells if in_order else ["" if i is None else cells[i] for i in where]
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
    """Stream ``path`` into the catalogue; ``progress`` gets the characters read since its last call."""
    kind = file_format(path, fmt)
    report = ImportReport(dry_run=dry_run)
    on_postgres = session.get_bind().dialect.name == "postgresql"
    encode = _copy_encoder() if on_postgres else _typed
    now = utcnow()
    with (
        path.open("r", encoding="utf-8-sig", newline="") as raw_file,
        _Loader(session, report, now, parallel=on_postgres and not dry_run) as loader,
    ):
        batch: dict[str, Any] = {}
        for line, raw in read_rows(_counted(raw_file, progress), kind):
            report.rows += 1
            try:
                if isinstance(raw, str):
                    raise InputError("row", raw)
                sku, staged = encode(raw)
            except InputError as exc:
                report.bad += 1
                if len(report.errors) < KEEP_ERRORS:
                    report.errors.append((line, str(exc)))
                if on_error:
                    on_error(line, str(exc))
                continue
            batch[sku] = staged  # a SKU twice in one batch: the later row wins
            if len(batch) >= BATCH:
                loader.load(batch)
                batch = {}
        if batch:
            loader.load(batch)
    return report


LOADERS = 2
"""Batches merged at once on PostgreSQL: one per core of a small server (each is one backend)."""


@dataclass(frozen=True)
class _Loaded:
    created: int
    updated: int
    quantity_pushes: int
    price_pushes: int


class _Loader:
    """Loads batches, on PostgreSQL :data:`LOADERS` at a time while the next batch is read.

    Reading and checking rows is Python work; staging and merging a batch is PostgreSQL's
    (psycopg releases the GIL meanwhile), and one backend merging is the slowest part. So on
    PostgreSQL each batch is merged in a thread with a session of its own, beside the reading
    and beside the previous batch. "The later row wins" still holds: a batch sharing a SKU with
    one still in flight waits for it. A crash may now lose two batches instead of one; running
    the file again repairs that, as before. Dry runs, and SQLite (whose connections belong to
    the thread that opened them), load every batch in the caller's thread and session.
    """

    def __init__(self, session: Session, report: ImportReport, now: datetime, *, parallel: bool) -> None:
        self._session, self._report, self._now = session, report, now
        self._pool = ThreadPoolExecutor(LOADERS, thread_name_prefix="catalogue-load") if parallel else None
        self._sessions = [Session(bind=session.get_bind()) for _ in range(LOADERS)] if parallel else []
        self._flight: list[tuple[Future[_Loaded], Collection[str]]] = []

    def load(self, batch: dict[str, Any]) -> None:
        if self._pool is None:
            self._count(_load(self._session, list(batch.values()), self._now, self._report.dry_run))
            return
        for flight in list(self._flight):
            if flight[0].done() or not batch.keys().isdisjoint(flight[1]) or len(self._flight) >= LOADERS:
                self._land(flight)
        session = self._sessions.pop()
        future = self._pool.submit(self._merge, session, list(batch.values()))
        self._flight.append((future, batch.keys()))

    def _merge(self, session: Session, rows: list[Any]) -> _Loaded:
        try:
            return _load(session, rows, self._now, dry_run=False)
        except BaseException:
            session.rollback()
            raise
        finally:
            self._sessions.append(session)

    def _land(self, flight: tuple[Future[_Loaded], Collection[str]]) -> None:
        self._flight.remove(flight)
        self._count(flight[0].result())  # a failed batch fails the import here, in the caller's thread

    def _count(self, loaded: _Loaded) -> None:
        self._report.created += loaded.created
        self._report.updated += loaded.updated
        self._report.quantity_pushes += loaded.quantity_pushes
        self._report.price_pushes += loaded.price_pushes

    def __enter__(self) -> _Loader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            while self._flight:
                self._land(self._flight[0])
        finally:
            if self._pool is not None:
                self._pool.shutdown()
            for session in self._sessions:
                session.close()


def _counted(lines: IO[str], progress: Callable[[int], None] | None) -> Iterator[str]:
    """The file's lines, telling ``progress`` every few thousand lines how far the file is read."""
    if progress is None:
        yield from lines
        return
    moved = 0
    for number, line in enumerate(lines, start=1):
        moved += len(line)
        if number % PROGRESS_EVERY == 0:
            progress(moved)
            moved = 0
        yield line
    if moved:
        progress(moved)


def _typed(cells: Sequence[Any]) -> tuple[str, Row]:
    """SQLite's staging value: the checked row itself."""
    row = check_row(cells)
    return row[_SKU], row


def _text(longest: int) -> str:
    """A non-empty cell of at most ``longest`` characters that COPY takes as it is and that
    ``strip`` leaves alone: no tab, line break, backslash or NUL, no space at either end."""
    edge, inner = r"[^\s\\\x00]", r"[^\t\n\r\\\x00]"
    return rf"{edge}(?:{inner}{{0,{longest - 2}}}{edge})?"


@lru_cache(maxsize=1)
def _quick_row() -> re.Pattern[str]:
    """The common row, tab-joined in :data:`COLUMNS` order, that :func:`check_row` accepts as is.

    Plain decimals (``[0-9]``, not any Unicode digit), prices above zero and below
    :data:`MAX_PRICE` with at most two decimals in an upper-case currency that has two, a
    weight below 100,000 kg, an on-hand below :data:`catalog.MAX_QUANTITY`. Empty cells are
    allowed everywhere but the SKU (COPY reads them as NULL).
    """
    two_places = sorted(code for code, places in MINOR_UNITS.items() if places != 2)
    currency = rf"(?!{'|'.join(two_places)})[A-Z]{{3}}"
    price = r"(?:(?=[0-9.]*[1-9])[0-9]{1,6}(?:\.[0-9]{1,2})?)?"
    optional = {name: f"(?:{_text(_LIMITS[name])})?" for name in ("title", "ean", "brand", "category")}
    limit = len(str(catalog.MAX_QUANTITY)) - 1  # digits of any number below the limit
    return re.compile(
        "\t".join(
            (
                _text(_LIMITS["sku"]),
                optional["title"],
                optional["ean"],
                optional["brand"],
                optional["category"],
                r"(?:[0-9]{1,5}(?:\.[0-9]{1,3})?)?",
                rf"(?:{price}\t{price}\t{currency}|\t\t(?:{currency})?)",
                rf"(?:[0-9]{{1,{limit}}})?",
            )
        )
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row: Row) -> str:
    """A checked row as one line of COPY's text format (NULL written as the empty string)."""
    return "\t".join(
        "" if value is None else value.translate(_COPY_ESCAPES) if isinstance(value, str) else str(value)
        for value in row
    )


def _copy_encoder() -> Callable[[Sequence[Any]], tuple[str, str]]:
    """PostgreSQL's staging value: the row as a line of COPY text, checked quickly when it can be."""
    quick = _quick_row().fullmatch

    def encode(cells: Sequence[Any]) -> tuple[str, str]:
        try:
            line = "\t".join(cells)
        except TypeError:  # a JSON number, boolean or null: the full check
            pass
        else:
            if quick(line):
                return cells[_SKU], line
        row = check_row(cells)
        return row[_SKU], _copy_line(row)

    return encode


PRODUCTS = cast(Table, Product.__table__)
_STAGE_COLUMNS = (*COLUMNS[:_ON_HAND], "stock_on_hand")
_STAGE = Table(
    "catalogue_import_stage",
    MetaData(),  # a session-local temporary table, never part of core's schema
    *(Column(name, PRODUCTS.c[name].type) for name in _STAGE_COLUMNS),
    prefixes=["TEMPORARY"],
)


def _load(session: Session, batch: list[Any], now: datetime, dry_run: bool) -> _Loaded:
    """Stage one batch, then count, upsert and queue pushes with set-based statements."""
    _stage(session, batch)
    joined = _STAGE.join(PRODUCTS, PRODUCTS.c.sku == _STAGE.c.sku)
    if not dry_run and session.get_bind().dialect.name == "postgresql":
        created = _upsert_counting_new(session, now)
    else:
        created = len(batch) - (session.scalar(select(func.count()).select_from(joined)) or 0)
        if dry_run:
            return _Loaded(created, len(batch) - created, 0, 0)
        session.execute(_upsert(session, now))
    quantities = catalog.enqueue_quantities_where(session, joined, _STAGE.c.stock_on_hand.is_not(None))
    prices = catalog.queue_rrp_prices_where(session, joined, _STAGE.c.rrp.is_not(None))
    session.commit()
    return _Loaded(created, len(batch) - created, quantities, prices)


def _upsert_counting_new(session: Session, now: datetime) -> int:
    """Upsert and count the rows it inserted, in one statement (PostgreSQL).

    A row version PostgreSQL has just inserted has ``xmax = 0``; one that ``ON CONFLICT DO
    UPDATE`` rewrote has the updating transaction's id there. Counting those in a CTE saves the
    join of the batch against the catalogue that counting first would cost (a tenth of a batch).
    Unchanged rows (the update's WHERE is false) return nothing, so they count as existing.
    """
    upserted = _upsert(session, now).returning(literal_column("xmax = 0").label("inserted")).cte("upserted")
    return session.scalar(select(func.count()).select_from(upserted).where(upserted.c.inserted)) or 0


def _upsert(session: Session, now: datetime) -> Any:
    """``INSERT ... SELECT ... ON CONFLICT (sku) DO UPDATE``: given values replace, empty cells
    keep what is stored; an imported on-hand makes the hub the stock's owner."""
    stage = _STAGE.c
    hub = literal(StockSource.HUB.value, PRODUCTS.c.stock_source.type)
    stamp = literal(now, PRODUCTS.c.created_at.type)
    statement = dialect_insert(session, PRODUCTS).from_select(
        [*_STAGE_COLUMNS, "stock_source", "created_at", "updated_at"],
        select(
            *(stage[name] for name in _STAGE_COLUMNS),
            case((stage.stock_on_hand.is_(None), null()), else_=hub),
            stamp,
            stamp,
        ).where(true()),  # a WHERE: SQLite's grammar needs one before ON CONFLICT
    )
    excluded = statement.excluded
    products = PRODUCTS.c
    kept = {
        name: func.coalesce(excluded[name], products[name])
        for name in (*_UPDATABLE, "stock_on_hand", "stock_source")
    }
    return statement.on_conflict_do_update(
        index_elements=["sku"],
        set_={**kept, "updated_at": excluded.updated_at},
        # a row the file does not change is not rewritten (nor its indexes): a catalogue
        # imported again every night costs reads, not a million new row versions
        where=or_(*(value.is_distinct_from(products[name]) for name, value in kept.items())),
    )


def _stage(session: Session, batch: list[Any]) -> None:
    """Fill the session's temporary staging table with one batch: COPY of text lines on PostgreSQL."""
    connection = session.connection()
    _STAGE.create(connection, checkfirst=True)
    if connection.dialect.name != "postgresql":
        connection.execute(_STAGE.delete())
        connection.execute(_STAGE.insert(), [dict(zip(_STAGE_COLUMNS, row, strict=True)) for row in batch])
        return
    # TRUNCATE, not DELETE: temporary tables are never vacuumed or analysed, so deleted rows
    # would pile up, and the planner (which sizes a table never analysed by its pages) would
    # count them too. Freshly truncated and filled, its pages tell the batch's true size, with no
    # ANALYZE (which cost more than the batch's own COPY).
    connection.exec_driver_sql(f"TRUNCATE {_STAGE.name}")
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(_STAGE_COLUMNS)
    with cursor.copy(f"COPY {_STAGE.name} ({columns}) FROM STDIN (NULL '')") as copy:
        copy.write("\n".join(batch))
        copy.write("\n")
