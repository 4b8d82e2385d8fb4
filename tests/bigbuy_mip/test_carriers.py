"""Carriers per area, selection, Pending review and assignment (DESIGN.md section 3)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core.cli.main import build_app
from core.db.models import CarrierSetting, Integration, OrderStatus, Shipment
from core.dto import Destination, Fulfilment
from core.errors import InputError
from core.plugins import PluginManager
from core.services import carriers, orders
from core.services.carrier_selection import select_carriers
from plugins.bigbuy_mip.catalogue import get_catalogue, load_catalogue

runner = CliRunner()


def cli(plugins: PluginManager, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(build_app(plugins), list(args), input=input)


@pytest.mark.parametrize(
    ("country", "postcode", "area"),
    [
        ("ES", "28001", "ES-MAINLAND"),
        ("ES", "07001", "ES-BALEARICS"),
        ("ES", "38 001", "ES-CANARIES"),
        ("ES", "51001", "ES-CEUTA-MELILLA"),
        ("ES", None, None),
        ("PT", "9000-001", "PT-ISLANDS"),
        ("PT", "1000-001", "PT"),
        ("GB", "SW1A 1AA", "UK"),
        ("NL", "1011", "EU-REST"),
        ("JP", "100-0001", None),
    ],
)
def test_destination_areas(country: str, postcode: str | None, area: str | None) -> None:
    found = get_catalogue().area_for(Destination(country, postcode))
    assert (found.code if found else None) == area


def test_quotes_follow_weight_bands() -> None:
    catalogue = get_catalogue()
    light = {q.carrier_code: q for q in catalogue.quotes(Destination("ES", "28001"), Decimal("1"))}
    assert set(light) == {"correos_express", "seur", "gls"}
    assert light["gls"].price.amount == Decimal("3.70") and light["gls"].max_price.amount == Decimal("4.80")
    heavy = catalogue.quotes(Destination("ES", "28001"), Decimal("35"))
    assert {q.carrier_code for q in heavy} == {"gls"}  # only GLS has a band over 30 kg


def test_bad_catalogue_file_names_the_field(tmp_path: Path) -> None:
    data = json.loads(
        (Path(get_catalogue.__code__.co_filename).parent / "data" / "catalogue.json").read_text()
    )
    data["fees"][0]["carrier"] = "nobody"
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"fees\[0\]\.carrier"):
        load_catalogue(path)


def test_cheapest_by_default_and_fastest_when_configured(
    session: Session, plugins: PluginManager, make_order, integration: Integration
) -> None:
    order = make_order()
    summary = select_carriers(session, plugins, [order.id])
    assert summary.assigned == {order.id: "correos_express"}  # 3.60 is the cheapest band
    session.commit()
    result = cli(plugins, "carriers", "strategy", "fastest", "--integration", "shop-es")
    assert result.exit_code == 0, result.output
    fast = make_order(country="FR", postcode="75001")
    select_carriers(session, plugins, [fast.id])
    assert fast.carrier_code in {"gls", "dpd"}
    slow = make_order(country="DE", postcode="10115")
    select_carriers(session, plugins, [slow.id])
    assert slow.carrier_code == "gls"  # 3 days beats DHL's 4 days although DHL is not cheaper anyway


def test_disable_that_empties_area_sends_next_order_to_review_and_assign_releases_it(
    session: Session, plugins: PluginManager, make_order, integration: Integration
) -> None:
    first = cli(plugins, "carriers", "disable", "correos_express", "--area", "ES-CANARIES")
    assert first.exit_code == 0, first.output
    assert "no enabled carrier" in first.output and "ES-CANARIES" in first.output

    order = make_order(postcode="35001")
    summary = select_carriers(session, plugins, [order.id])
    session.commit()
    assert order.status == OrderStatus.PENDING_REVIEW
    assert "could serve if enabled: correos_express (ES-CANARIES)" in summary.pending[order.id]

    listed = cli(plugins, "orders", "pending", "--json")
    (pending,) = json.loads(listed.stdout)
    assert pending["channel_order_id"] == order.channel_order_id
    assert pending["available"] == [{"code": "correos_express", "name": "Correos Express", "enabled": False}]

    refused = cli(plugins, "orders", "assign-carrier", order.channel_order_id, "dhl")
    assert "does not serve ES-CANARIES" in str(refused.exception)
    done = cli(plugins, "orders", "assign-carrier", order.channel_order_id, "correos_express")
    assert done.exit_code == 0, done.output
    session.refresh(order)
    assert (order.status, order.carrier_code, order.service_code) == (
        OrderStatus.AWAITING_SHIPMENT,
        "correos_express",
        "paq24",
    )
    assert order.review_reason is None
    assert json.loads(cli(plugins, "orders", "pending", "--json").stdout) == []


def test_force_assigns_a_carrier_outside_its_area(
    session: Session, plugins: PluginManager, make_order
) -> None:
    order = make_order(country="JP", postcode="100-0001")
    select_carriers(session, plugins, [order.id])
    session.commit()
    assert order.review_reason == "no carrier serves JP 100-0001, 1.00 kg"
    result = cli(plugins, "orders", "assign-carrier", str(order.id), "dhl", "--force")
    assert result.exit_code == 0, result.output
    session.refresh(order)
    assert (order.carrier_code, order.status) == ("dhl", OrderStatus.AWAITING_SHIPMENT)


def test_reenabling_offers_reselection_for_pending_orders_of_the_area(
    session: Session, plugins: PluginManager, make_order
) -> None:
    cli(plugins, "carriers", "disable", "correos_express", "--area", "PT-ISLANDS")
    island = make_order(country="PT", postcode="9000-001")
    mainland = make_order(country="JP", postcode="1")
    select_carriers(session, plugins, [island.id, mainland.id])
    session.commit()

    declined = cli(plugins, "carriers", "enable", "correos_express", "--area", "PT-ISLANDS", input="n\n")
    assert declined.exit_code == 0 and "1 pending order(s)" in declined.output
    session.refresh(island)
    assert island.status == OrderStatus.PENDING_REVIEW

    cli(plugins, "carriers", "disable", "correos_express", "--area", "PT-ISLANDS")
    accepted = cli(plugins, "carriers", "enable", "correos_express", "--area", "PT-ISLANDS", "--yes")
    assert "1 assigned" in accepted.output, accepted.output
    session.refresh(island)
    session.refresh(mainland)
    assert (island.status, island.carrier_code) == (OrderStatus.AWAITING_SHIPMENT, "correos_express")
    assert mainland.status == OrderStatus.PENDING_REVIEW  # another area: not touched


def test_invalid_address_and_skipped_orders(session: Session, plugins: PluginManager, make_order) -> None:
    no_country = make_order(country=None)
    fba = make_order(fulfilment=Fulfilment.FBA, status=OrderStatus.SHIPPED)
    summary = select_carriers(session, plugins, [no_country.id, fba.id])
    assert summary.pending[no_country.id].startswith("invalid address")
    assert summary.skipped == [fba.id] and fba.carrier_code is None


def test_selection_is_idempotent_and_uses_default_weight(
    session: Session, plugins: PluginManager, make_order
) -> None:
    heavy_unknown = make_order(weight=None, quantity=31)  # 31 x 1 kg default: only GLS's 40 kg band
    first = select_carriers(session, plugins, [heavy_unknown.id])
    assert first.assigned == {heavy_unknown.id: "gls"}
    again = select_carriers(session, plugins, [heavy_unknown.id])
    assert again.assigned == {} and again.skipped == [heavy_unknown.id]


def test_carriers_list_and_toggle_scope(
    session: Session, plugins: PluginManager, integration: Integration
) -> None:
    other = Integration(channel_key="fake", marketplace="XX", alias="shop-fr", settings={})
    session.add(other)
    session.commit()
    cli(plugins, "carriers", "disable", "seur", "--area", "ES-MAINLAND", "--integration", "shop-fr")
    rows = json.loads(cli(plugins, "carriers", "list", "--json").stdout)
    seur = {
        r["integration"]: r["enabled"] for r in rows if r["carrier"] == "seur" and r["area"] == "ES-MAINLAND"
    }
    assert seur == {"shop-es": True, "shop-fr": False}
    bad = cli(plugins, "carriers", "disable", "royal_mail", "--area", "ES-MAINLAND")
    assert "does not serve ES-MAINLAND" in str(bad.exception)


def test_fees_show_uses_max_or_min_column_and_notes_commission(
    session: Session, plugins: PluginManager, integration: Integration
) -> None:
    cli(plugins, "carriers", "disable", "seur", "--area", "ES-MAINLAND")
    conservative = json.loads(cli(plugins, "fees", "show", "--integration", "shop-es", "--json").stdout)
    competitive = json.loads(
        cli(plugins, "fees", "show", "--integration", "shop-es", "--strategy", "competitive", "--json").stdout
    )
    first = {(f["area"], f["carrier"], f["band"]): f["price"] for f in conservative["fees"]}
    assert first[("ES-MAINLAND", "gls", "up to 2 kg")] == "4.80"
    assert ("ES-MAINLAND", "seur", "up to 2 kg") not in first
    second = {(f["area"], f["carrier"], f["band"]): f["price"] for f in competitive["fees"]}
    assert second[("ES-MAINLAND", "gls", "up to 2 kg")] == "3.70"
    assert "product + shipping" in conservative["note"]
    text = cli(plugins, "fees", "show", "--integration", "shop-es")
    assert "commission" in text.output


def test_pending_listing_helper_reports_area(session: Session, make_order, plugins: PluginManager) -> None:
    order = make_order(country="ES", postcode=None)
    select_carriers(session, plugins, [order.id])
    (pending,) = orders.pending_review(session, plugins)
    assert (pending.area, pending.available) == (None, [])


def test_disabling_reselects_that_carriers_open_orders_in_the_area_only(
    session: Session, plugins: PluginManager, make_order, integration: Integration
) -> None:
    mainland = make_order(postcode="28001")
    balearics = make_order(postcode="07001")
    labelled = make_order(postcode="28002")
    canaries = make_order(postcode="35001")
    for order, code in (
        (mainland, "seur"),
        (balearics, "seur"),
        (labelled, "seur"),
        (canaries, "correos_express"),
    ):
        order.carrier_code, order.service_code = code, "std"
    session.add(Shipment(carrier_code="seur", idempotency_key="label-1", orders=[labelled]))
    session.commit()

    off = cli(plugins, "carriers", "disable", "seur", "--area", "ES-MAINLAND")
    assert off.exit_code == 0, off.output
    assert "open orders of seur in ES-MAINLAND: 1 got another carrier, 0 went to Pending review" in off.output
    for order in (mainland, balearics, labelled):
        session.refresh(order)
    assert mainland.status == OrderStatus.AWAITING_SHIPMENT and mainland.carrier_code in {
        "gls",
        "correos_express",
    }
    assert (balearics.carrier_code, labelled.carrier_code) == ("seur", "seur")  # other area; label made

    last = cli(plugins, "carriers", "disable", "correos_express", "--area", "ES-CANARIES")
    assert "0 got another carrier, 1 went to Pending review" in last.output, last.output
    session.refresh(canaries)
    assert (canaries.status, canaries.carrier_code) == (OrderStatus.PENDING_REVIEW, None)
    assert "could serve if enabled: correos_express (ES-CANARIES)" in (canaries.review_reason or "")


def test_switching_an_unknown_carrier_or_area_names_the_field(
    session: Session, plugins: PluginManager, integration: Integration
) -> None:
    for code, area, field in (
        ("NOPE", "ES-MAINLAND", "carrier"),
        ("seur", "MARS", "area"),
        ("ups", "FR", "area"),
    ):
        with pytest.raises(InputError) as raised:
            carriers.set_enabled(session, plugins, code, area, enabled=False)
        assert raised.value.field == field
    assert session.scalar(select(CarrierSetting.id)) is None
