"""The commands: CSV batch with a bad row, create, pending-notify, hold/release/queue."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.cli.main import build_app
from core.db.base import utcnow
from core.db.models import Order, OrderStatus
from core.logs import configure_logging
from plugins.shipstation_like import cli
from tests.shipstation_like.conftest import Shop

runner = CliRunner()


@pytest.fixture
def invoke(shop: Shop, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "get_plugin_manager", lambda: shop.plugins)
    configure_logging()  # as the CLI does: logs on stderr, stdout stays JSON
    app = build_app(shop.plugins)

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return 1, str(result.exception)  # main() prints this one line for a person
        return result.exit_code, result.stdout if "--json" in args else result.output

    return run


def test_batch_reports_bad_rows_by_line_and_ships_the_rest_once(shop: Shop, invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with shop.factory() as session, session.begin():
        for n in range(1, 4):
            shop.order(session, f"B-{n}")
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text(
        "order,carrier,service,tracking\n"
        "B-1,trk,std,TRK1\n"
        "NO-SUCH,trk,std,TRK2\n"
        "B-2,zzz,std,TRK3\n"
        "B-3,letter,,\n"
    )

    code, output = invoke("shipments", "batch", "--from", str(csv_file), "--json")

    assert code == 1
    result = json.loads(output)
    (missing, bad_carrier) = result["errors"]
    assert missing["line"] == 3 and "order 'NO-SUCH' does not exist" in missing["error"]
    assert bad_carrier["line"] == 4 and bad_carrier["error"].startswith("carrier: unknown carrier 'zzz'")
    # one fenced call per order (each send checks the pass still holds its claim)
    assert len(result["created"]) == 2 and result["notify"]["calls"] == 2
    assert shop.channel.calls == [1, 1] and shop.channel.confirmed == {"B-1": 1, "B-3": 1}

    code, output = invoke("shipments", "batch", "--from", str(csv_file), "--json")
    again = json.loads(output)
    assert again["created"] == [] and again["skipped"] == [2, 5] and again["batch_id"] == result["batch_id"]
    assert shop.channel.calls == [1, 1]


def test_create_combined_with_no_notify_then_pending_notify_lists_it(shop: Shop, invoke) -> None:  # type: ignore[no-untyped-def]
    with shop.factory() as session, session.begin():
        shop.order(session, "K-1")
        shop.order(session, "K-2")
    code, output = invoke(
        "shipments",
        "create",
        "K-1",
        "K-2",
        "--carrier",
        "trk",
        "--service",
        "std",
        "--tracking",
        "T9",
        "--no-notify",
    )
    assert code == 0, output
    code, output = invoke("shipments", "pending-notify", "--json")
    (row,) = json.loads(output)
    assert (row["channel_order_id"], row["state"], row["attempts"]) == ("K-1", "queued", 0)
    code, output = invoke("shipments", "pending-notify")
    assert code == 0 and "K-1" in output and "queued" in output
    code, output = invoke("shipments", "manual", "--json")
    assert [r["channel_order_id"] for r in json.loads(output)] == ["K-2"]
    assert invoke("shipments", "notify")[0] == 0
    assert json.loads(invoke("shipments", "pending-notify", "--json")[1]) == []
    assert shop.channel.confirmed == {"K-1": 1}


def test_split_with_item_option(shop: Shop, invoke) -> None:  # type: ignore[no-untyped-def]
    with shop.factory() as session, session.begin():
        shop.order(session, "Z-1", items=[("A", 3), ("B", 1)])
    assert invoke("shipments", "create", "Z-1", "--carrier", "trk", "--item", "A:2")[0] == 0
    code, output = invoke("shipments", "create", "Z-1", "--carrier", "trk", "--item", "A:2")
    assert code == 1 and "items: 'A': 2 asked, 1 left to ship" in output
    assert invoke("shipments", "create", "Z-1", "--carrier", "trk")[0] == 0
    (confirmation,) = shop.channel.received
    assert sorted((x.channel_item_id, x.quantity) for x in confirmation.lines) == [("A", 3), ("B", 1)]


def test_hold_release_and_ship_by_queue_with_late_risk(shop: Shop, invoke) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with shop.factory() as session, session.begin():
        shop.order(session, "Q-late", ship_by=now - timedelta(hours=1))
        shop.order(session, "Q-soon", ship_by=now + timedelta(hours=5))
        shop.order(session, "Q-later", ship_by=now + timedelta(days=3))
        shop.order(session, "Q-none")
    assert invoke("orders", "hold", "Q-soon")[0] == 0
    code, output = invoke("orders", "hold", "Q-soon")
    assert code == 1 and "order: Q-soon is on_hold" in output

    rows = json.loads(invoke("orders", "queue", "--json")[1])
    assert [(r["channel_order_id"], r["status"], r["late_risk"]) for r in rows] == [
        ("Q-late", "awaiting_shipment", True),
        ("Q-soon", "on_hold", True),
        ("Q-later", "awaiting_shipment", False),
        ("Q-none", "awaiting_shipment", False),
    ]
    rows = json.loads(invoke("orders", "queue", "--sort", "-ship-by", "--late-hours", "96", "--json")[1])
    assert [r["channel_order_id"] for r in rows] == ["Q-later", "Q-soon", "Q-late", "Q-none"]
    assert all(r["late_risk"] for r in rows[:3])
    assert [
        r["channel_order_id"] for r in json.loads(invoke("orders", "queue", "--late-only", "--json")[1])
    ] == [
        "Q-late",
        "Q-soon",
    ]

    code, output = invoke("shipments", "create", "Q-soon", "--carrier", "trk")
    assert code == 1 and "on_hold" in output
    assert invoke("orders", "release", "Q-soon")[0] == 0
    with shop.factory() as session:
        order = session.scalars(select(Order).where(Order.channel_order_id == "Q-soon")).one()
        assert order.status is OrderStatus.AWAITING_SHIPMENT
