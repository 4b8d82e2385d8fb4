"""``products import`` at size: a 30,000-row file with bad and unusual rows, on both backends.

Several batches (``BATCH`` is lowered so the file spans a few), rows the quick PostgreSQL path
takes and rows it hands to the full check (escapes, other currencies, padded cells), bad rows
spread through the file, and a SKU repeated in a later batch. The quick path is also held to
the full check by a property test: whatever it accepts, :func:`check_row` accepts with the
same values.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import OutboxEntry, Product
from core.errors import InputError
from core.services import catalog, catalogue_import
from tests.core import factories

ROWS = 30_000
HEADER = list(catalogue_import.COLUMNS)


def _row(i: int) -> list[str]:
    """Row ``i``: mostly plain, some needing the full check, every 500th bad."""
    row = [
        f"SKU-{i:06d}",
        f"Product {i}",
        "",
        f"Brand {i % 7}",
        "Cat",
        "0.250",
        "3.10",
        "9.99",
        "GBP",
        str(i % 50),
    ]
    if i % 500 == 499:
        row[7] = "9.999"  # three decimals in GBP: bad
    elif i % 500 == 498:
        row[9] = "-1"  # bad on-hand
    elif i % 100 == 1:
        row[1] = f"Tab\there \\ back {i}"  # quoted in the CSV; escaped for COPY
    elif i % 100 == 2:
        row[6], row[7], row[8] = "", "1200", "jpy"  # lower-case, no-decimal currency
    elif i % 100 == 3:
        row[3] = f"  Padded {i}  "
    elif i % 100 == 4:
        row[9] = ""  # stock left unknown
    return row  # fmt: skip


def _write(path: Path) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(ROWS):
            out.writerow(_row(i))
        out.writerow(["SKU-000010", "Renamed later", "", "", "", "", "", "", "", "7"])  # later batch wins


def test_thirty_thousand_rows_load_with_bad_ones_listed(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalogue_import, "BATCH", 7_000)
    uk = factories.integration(session, "shop-uk")
    for sku in ("SKU-000005", "SKU-000104"):  # one with stock, one left unknown
        factories.listing(session, factories.product(session, sku, stock=None, title="old"), uk)
    session.commit()
    path = tmp_path / "catalogue.csv"
    _write(path)
    seen: list[tuple[int, str]] = []
    moved: list[int] = []

    report = catalogue_import.import_file(
        session, path, on_error=lambda line, reason: seen.append((line, reason)), progress=moved.append
    )

    bad = {i for i in range(ROWS) if i % 500 in (498, 499)}
    assert (report.rows, report.bad) == (ROWS + 1, len(bad))
    assert report.created == ROWS - len(bad) - 2 and report.updated == 2 + 1  # two listed, one repeat
    assert seen == report.errors and len(seen) == len(bad)
    assert seen[:2] == [
        (500, "on_hand: must be 0 or more, got -1"),
        (501, "rrp: GBP has 2 decimal(s), got 9.999 (3 decimals)"),
    ]
    with path.open(encoding="utf-8", newline="") as f:
        assert sum(moved) == len(f.read())  # the bar reaches the end
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Product)) == ROWS - len(bad)

    def stored(sku: str) -> tuple[object, ...]:
        p = catalog.get_product(session, sku)
        return (p.title, p.brand, p.weight_kg, p.cost, p.rrp, p.currency, p.stock_on_hand, p.stock_source)

    assert stored("SKU-000000") == (
        "Product 0",
        "Brand 0",
        Decimal("0.250"),
        Decimal("3.1"),
        Decimal("9.99"),
        "GBP",
        0,
        "hub",
    )
    assert stored("SKU-000010") == (
        "Renamed later",
        "Brand 3",
        Decimal("0.250"),
        Decimal("3.1"),
        Decimal("9.99"),
        "GBP",
        7,
        "hub",
    )
    assert stored("SKU-000101")[0] == "Tab\there \\ back 101"
    assert stored("SKU-000102")[4:6] == (Decimal("1200"), "JPY")
    assert stored("SKU-000103")[1] == "Padded 103"
    assert stored("SKU-000104")[6:] == (None, None)  # no on_hand: stock stays unknown
    queued = session.execute(
        select(OutboxEntry.kind, OutboxEntry.sku).order_by(OutboxEntry.kind, OutboxEntry.sku)
    )
    assert sorted((k.value, s) for k, s in queued) == [
        ("price", "SKU-000005"),
        ("price", "SKU-000104"),
        ("quantity", "SKU-000005"),  # SKU-000104 had no on_hand: nothing to push
    ]


def test_the_same_file_again_rewrites_nothing(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text("sku,title,on_hand\nA,Apple,3\nB,Banana,\n")
    catalogue_import.import_file(session, path)
    stamp = catalog.get_product(session, "A").updated_at
    again = catalogue_import.import_file(session, path)
    session.expire_all()
    assert (again.created, again.updated) == (0, 2)
    assert catalog.get_product(session, "A").updated_at == stamp  # unchanged rows are not rewritten
    path.write_text("sku,title,on_hand\nA,Apple,4\n")
    catalogue_import.import_file(session, path)
    session.expire_all()
    assert catalog.get_product(session, "A").stock_on_hand == 4


_TEXT = st.text(alphabet="Ab é\t\\\u00a0\x00", max_size=6)
_NUMBER = st.sampled_from(
    ["", "0", "0.00", "00.50", "1", "7", "12.5", "999999.99", "1000000", "99999.999", "100000", "1.234",
     "0.0001", "1e2", " 1", "1 ", "\u0663", "-1", "-0", ".", "1.", ".5", "07", "999999999", "1000000000"]
)  # fmt: skip
_CURRENCY = st.sampled_from(["", "GBP", "gbp", "EUR", "JPY", "KWD", "CLF", "GB", "GBPX", "G1P"])
_TYPICAL = ("SKU-1", "Mug", "5012345678900", "Acme", "Kitchen", "0.350", "4.10", "12.99", "GBP", "40")


@st.composite
def _rows(draw: st.DrawFn) -> tuple[str, ...]:
    """A typical row with a few cells replaced by awkward ones (most rows stay near the edge)."""
    cells = list(_TYPICAL)
    for column in draw(st.sets(st.integers(0, len(cells) - 1), min_size=1, max_size=3)):
        kind = catalogue_import.COLUMNS[column]
        if kind == "currency":
            cells[column] = draw(_CURRENCY)
        elif kind in ("weight_kg", "cost", "rrp", "on_hand"):
            cells[column] = draw(_NUMBER)
        else:
            cells[column] = draw(_TEXT.filter(bool) if kind == "sku" else _TEXT)
    return tuple(cells)


@settings(max_examples=1_500, deadline=None)
@given(_rows())
def test_whatever_the_quick_check_accepts_the_full_check_accepts_alike(cells: list[str]) -> None:
    line = "\t".join(cells)
    if not catalogue_import._quick_row().fullmatch(line):
        return
    try:
        row = catalogue_import.check_row(cells)
    except InputError as exc:  # pragma: no cover - the failure this test exists to find
        pytest.fail(f"quick path took {cells!r}, the full check refuses it: {exc}")
    for cell, value in zip(cells, row, strict=True):
        if cell == "":
            assert value is None
        elif isinstance(value, str):
            assert value == cell
        else:
            assert Decimal(cell) == value
