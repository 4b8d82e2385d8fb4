"""``orders show``, ``orders list`` and ``products list`` filters, as people and scripts see them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from core.db.models import Integration, NotifyState, OrderStatus, Shipment
from core.settings import Settings
from tests.amazon.test_cli_flow import cli
from tests.core import factories


@pytest.fixture
def shop(session: Session) -> tuple[Integration, Integration]:
    uk, de = factories.integration(session, "shop-uk"), factories.integration(session, "shop-de")
    mug = factories.product(session, "MUG-1", stock=5, stock_source="hub")
    cup = factories.product(session, "CUP-1", stock=None)
    factories.listing(session, mug, uk)
    factories.listing(session, cup, de)
    factories.order(session, uk, "202-0000001-0000001", items=((mug, 1),))
    shipped = factories.order(
        session, de, "302-0000002-0000002", items=((cup, 2),), status=OrderStatus.SHIPPED
    )
    shipped.ship_name = shipped.ship_line1 = "REDACTED (Amazon)"
    shipped.ship_city, shipped.ship_postal_code, shipped.ship_country = "Berlin", "10115", "DE"
    shipped.carrier_code = "dhl"
    session.add(
        Shipment(
            carrier_code="dhl",
            tracking_number="JD0001",
            shipped_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
            idempotency_key="k-1",
            orders=[shipped],
            notify_state=NotifyState.SENT,
        )
    )
    session.commit()
    return uk, de


def listed(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    code, out, err = cli(capsys, *args, "--json")
    assert code == 0, err
    return [r.get("channel_order_id") or r["sku"] for r in json.loads(out)]


def test_orders_list_leaves_shipped_out_unless_asked_and_filters(
    migrated: Settings, shop: tuple[Integration, Integration], capsys: pytest.CaptureFixture[str]
) -> None:
    assert listed(capsys, "orders", "list") == ["202-0000001-0000001"]
    assert len(listed(capsys, "orders", "list", "--all")) == 2
    assert listed(capsys, "orders", "list", "--status", "shipped") == ["302-0000002-0000002"]
    assert listed(capsys, "orders", "list", "--all", "--integration", "shop-de") == ["302-0000002-0000002"]
    assert listed(capsys, "orders", "list", "--all", "--sku", "MUG-1") == ["202-0000001-0000001"]
    _, out, _ = cli(capsys, "orders", "list", "--json")
    (row,) = json.loads(out)
    assert row["ship_by"] is None or "T" in row["ship_by"]
    assert isinstance(row["integration_id"], int)


def test_orders_show_by_channel_or_hub_id_with_redacted_address_and_shipments(
    migrated: Settings, shop: tuple[Integration, Integration], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "orders", "show", "302-0000002-0000002", "--json")
    shown = json.loads(out)
    assert (
        code == 0 and shown["ship_to"]["name"] == "REDACTED (Amazon)" and shown["ship_to"]["city"] == "Berlin"
    )
    assert [(i["sku"], i["quantity"]) for i in shown["items"]] == [("CUP-1", 2)]
    (shipment,) = shown["shipments"]
    assert (shipment["tracking_number"], shipment["notify_state"]) == ("JD0001", "sent")
    assert shipment["shipped_at"] == "2026-11-02T09:00:00+00:00"
    code, by_id, _ = cli(capsys, "orders", "show", str(shown["id"]), "--json")
    assert json.loads(by_id) == shown
    code, text, _ = cli(capsys, "orders", "show", "302-0000002-0000002")
    assert "ship to REDACTED (Amazon), REDACTED (Amazon), 10115 Berlin, DE" in text
    code, _, err = cli(capsys, "orders", "show", "NOPE")
    assert (
        code != 0
        and "order 'NOPE' does not exist (give a channel order id, ALIAS:ID or the hub order id)" in err
    )


def test_products_list_filters_by_integration_stock_state_and_sku(
    migrated: Settings, shop: tuple[Integration, Integration], capsys: pytest.CaptureFixture[str]
) -> None:
    assert listed(capsys, "products", "list") == ["CUP-1", "MUG-1"]
    assert listed(capsys, "products", "list", "--integration", "shop-de") == ["CUP-1"]
    assert listed(capsys, "products", "list", "--status", "unknown") == ["CUP-1"]
    assert listed(capsys, "products", "list", "--status", "hub") == ["MUG-1"]
    assert listed(capsys, "products", "list", "--sku", "MUG-*") == ["MUG-1"]
    code, _, err = cli(capsys, "products", "list", "--status", "zero")
    assert code != 0 and "status: must be one of unknown, channel, hub" in err
