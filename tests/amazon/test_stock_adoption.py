"""Issue 12's scenario against the sandbox: connecting more marketplaces never zeroes live stock."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.models import Product
from core.db.session import session_scope
from core.services import catalog
from core.settings import Settings
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from tests.amazon.test_cli_flow import add_args, cli


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=12, orders=200, listings=40, time_scale=600)) as sb:
        yield sb


def connect(sb: RunningSandbox, capsys: pytest.CaptureFixture[str], marketplace: str) -> None:
    args = add_args(sb)
    args[args.index("UK")] = marketplace
    args[args.index("amazon-uk")] = f"amazon-{marketplace.lower()}"
    code, out, err = cli(capsys, *args)
    assert code == 0 and "live" in out, out + err


def live_quantities(sb: RunningSandbox) -> dict[str, int]:
    return {sku: listing.quantity for sku, listing in sb.state.listings.items() if not listing.is_fba}


def test_connecting_more_marketplaces_leaves_every_live_quantity_alone(
    migrated: Settings, sandbox: RunningSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = live_quantities(sandbox)
    assert before and any(before.values()), "the sandbox should seed MFN stock"

    connect(sandbox, capsys, "UK")
    code, out, err = cli(capsys, "sync", "run")
    assert code == 0, err
    assert "adopted" in out  # "stock levels adopted from the channel N"
    connect(sandbox, capsys, "DE")
    connect(sandbox, capsys, "FR")
    code, out, err = cli(capsys, "sync", "run")
    assert code == 0, err
    assert live_quantities(sandbox) == before  # read back from the sandbox: nothing was zeroed

    with session_scope() as session:
        adopted = dict(session.execute(select(Product.sku, Product.stock_on_hand)).all())
    assert {sku: adopted[sku] for sku in before} == before  # the hub learned the channel's stock

    # once someone sets stock, the hub owns it and pushes on hand - committed everywhere
    with session_scope() as session:
        ids = dict(session.execute(select(Product.sku, Product.id)).all())
        committed = catalog.committed_units(session, ids.values())
    sku = max(before, key=lambda s: committed.get(ids[s], 0))  # one with open orders, if any
    assert cli(capsys, "stock", "set", sku, "30")[0] == 0
    code, out, err = cli(capsys, "sync", "run", "--stream", "outbound")
    assert code == 0, err
    assert live_quantities(sandbox) == {**before, sku: 30 - committed.get(ids[sku], 0)}


def test_imported_rrp_and_cost_drive_rules_preview_and_apply_on_the_sandbox(
    migrated: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README walkthrough: the example catalogue matches the sandbox's seeded SKUs (seed 42)."""
    catalogue = Path(__file__).resolve().parents[2] / "examples" / "sandbox-catalogue.csv"
    with running_sandbox(SandboxConfig(seed=42, orders=0, time_scale=600)) as sb:
        connect(sb, capsys, "UK")
        assert cli(capsys, "sync", "run", "--stream", "products")[0] == 0
        code, out, err = cli(capsys, "products", "import", str(catalogue), "--json")
        report = json.loads(out)
        assert code == 0 and report["bad"] == 0 and report["created"] == 0, err  # every SKU is a sandbox one
        assert report["updated"] == len(sb.state.listings) and report["price_pushes"] == report["updated"]
        assert cli(capsys, "sync", "run", "--stream", "outbound")[0] == 0  # the RRPs go out as prices
        uk = "A1F83G8C2ARO7P"
        rrp = {row["sku"]: Decimal(row["rrp"]) for row in csv.DictReader(catalogue.open())}
        assert all(sb.state.listings[sku].prices[uk] == rrp[sku] for sku in rrp)

        assert (
            cli(capsys, "rules", "add", "margin", "--param", "percent=40", "--integration", "amazon-uk")[0]
            == 0
        )
        assert cli(capsys, "rules", "on", "--integration", "amazon-uk")[0] == 0
        code, out, err = cli(capsys, "rules", "preview", "--integration", "amazon-uk", "--json")
        assert code == 0, err
        changes = {c["channel_sku"]: c for c in json.loads(out)["changes"]}
        assert set(changes) == set(rrp)  # a price for every sandbox product, from its cost
        assert cli(capsys, "rules", "apply", "--integration", "amazon-uk")[0] == 0
        assert cli(capsys, "sync", "run", "--stream", "outbound")[0] == 0
        live = {sku: sb.state.listings[sku].prices[uk] for sku in changes}
        assert live == {sku: Decimal(c["new_price"]) for sku, c in changes.items()}
        assert live != rrp
