"""``products import``, ``products set`` and ``products show`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Integration, OutboxEntry, Product
from core.services import catalog
from tests.amazon.test_cli_flow import cli
from tests.core import factories

CSV = """sku,title,ean,brand,category,weight_kg,cost,rrp,currency,on_hand
MUG,Mug,5012345678900,Acme,Kitchen,0.35,4.10,12.99,GBP,40
NEW-1,New thing,,Acme,Toys,,2.00,9.50,GBP,
BAD-PRICE,x,,,,,1,12.999,GBP,1
BAD-STOCK,x,,,,,,,,-4
,no sku,,,,,,,,
BAD-JPY,x,,,,,,1200.5,JPY,
TOO,many,,,,,,,,,1
"""


@pytest.fixture
def listed(session: Session) -> Integration:
    uk = factories.integration(session, "shop-uk")
    factories.listing(session, factories.product(session, "MUG", stock=None, title="old title"), uk)
    session.commit()
    return uk


def test_import_loads_good_rows_lists_bad_ones_and_queues_pushes(
    session: Session, listed: Integration, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(CSV)
    code, out, err = cli(capsys, "products", "import", str(path))
    assert code == 0, err
    assert err.splitlines() == [
        "line 4: rrp: GBP has 2 decimal(s), got 12.999 (3 decimals)",
        "line 5: on_hand: must be 0 or more, got -4",
        "line 6: sku: is empty",
        "line 7: rrp: JPY has 0 decimal(s), got 1200.5 (1 decimals)",
        "line 8: row: more cells than the header has columns",
    ]
    assert "7 row(s): created 1, updated 1, bad 5; queued 1 stock, 1 price push(es)" in out
    session.expire_all()
    mug = catalog.get_product(session, "MUG")
    assert (mug.title, mug.brand, mug.ean, mug.stock_on_hand, mug.stock_source) == (
        "Mug", "Acme", "5012345678900", 40, "hub",
    )  # fmt: skip
    assert str(mug.rrp) == "12.9900" and catalog.get_product(session, "NEW-1").stock_on_hand is None
    queued = session.execute(select(OutboxEntry.kind, OutboxEntry.sku, OutboxEntry.price)).all()
    assert sorted((k.value, s, p and str(p)) for k, s, p in queued) == [
        ("price", "MUG", "12.9900"),
        ("quantity", "MUG", None),
    ]

    # an empty cell keeps the stored value; the same file again changes nothing new
    path.write_text("sku,title,on_hand\nMUG,,\n")
    code, out, _ = cli(capsys, "products", "import", str(path), "--json")
    assert json.loads(out)["updated"] == 1 and json.loads(out)["quantity_pushes"] == 0
    session.expire_all()
    assert catalog.get_product(session, "MUG").title == "Mug"


def test_dry_run_counts_and_stores_nothing_and_json_lines_load(
    session: Session, listed: Integration, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "catalogue.jsonl"
    path.write_text(
        '{"sku": "MUG", "on_hand": 3}\n{"sku": "CUP", "rrp": "5.00", "currency": "EUR"}\nnot json\n'
        '{"sku": "X", "colour": "red"}\n'
    )
    _, out, _ = cli(capsys, "products", "import", str(path), "--dry-run", "--json")
    report = json.loads(out)
    assert (report["dry_run"], report["created"], report["updated"], report["bad"]) == (True, 1, 1, 2)
    assert [e["line"] for e in report["errors"]] == [3, 4]
    session.expire_all()
    assert session.scalar(select(Product.sku).where(Product.sku == "CUP")) is None
    assert session.scalars(select(OutboxEntry)).all() == []
    _, out, _ = cli(capsys, "products", "import", str(path), "--json")
    assert json.loads(out)["created"] == 1
    session.expire_all()
    assert catalog.get_product(session, "MUG").stock_on_hand == 3


def test_products_set_checks_everything_first_and_show_tells_the_whole_story(
    session: Session, listed: Integration, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "products", "set", "MUG", "--on-hand", "9", "--rrp", "0", "--currency", "GBP")
    assert code != 0 and err.strip() == "error: rrp: must be more than 0, got 0"
    session.expire_all()
    assert catalog.get_product(session, "MUG").stock_on_hand is None  # nothing stored
    code, out, err = cli(
        capsys, "products", "set", "MUG", "--on-hand", "9", "--rrp", "12.50", "--currency", "gbp",
        "--brand", "Acme", "--weight", "0.4", "--json",
    )  # fmt: skip
    assert code == 0, err
    factories.order(session, listed, "O-1", items=((catalog.get_product(session, "MUG"), 2),))
    session.commit()
    code, out, _ = cli(capsys, "products", "show", "MUG", "--json")
    shown = json.loads(out)
    keys = ("sku", "on_hand", "committed", "available", "rrp", "currency", "brand")
    assert {k: shown[k] for k in keys} == {
        "sku": "MUG", "on_hand": 9, "committed": 2, "available": 7, "rrp": "12.5000", "currency": "GBP",
        "brand": "Acme",
    }  # fmt: skip
    (listing,) = shown["listings"]
    assert (listing["integration"], listing["integration_id"], listing["fulfilment"]) == (
        "shop-uk", listed.id, "mfn",
    )  # fmt: skip
    assert sorted(q["kind"] for q in listing["queued"]) == ["price", "quantity"]
    assert all("T" in q["queued_at"] and q["queued_at"].endswith("+00:00") for q in listing["queued"])
    code, out, _ = cli(capsys, "products", "show", "MUG")
    assert "on hand 9 (hub), committed 2, available 7" in out
