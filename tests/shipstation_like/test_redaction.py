"""Redaction schedule at each boundary, through ``channelhub redact run --as-of``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.cli.main import build_app
from core.db.models import Order, Shipment
from core.services.fulfilment import create_shipment
from plugins.shipstation_like import cli
from plugins.shipstation_like.tables import LabelContact, Redaction
from tests.shipstation_like.conftest import T0, Shop

DAY = timedelta(days=1)
MARK = "REDACTED (Fake channel)"


def _unshipped(shop: Shop) -> None:
    with shop.factory() as session, session.begin():
        shop.order(session, "R-1", imported_at=T0)


def _shipped(carrier: str, tracking: str | None, dates: Callable[[Shipment], None]) -> Callable[[Shop], None]:
    def setup(shop: Shop) -> None:
        with shop.factory() as session, session.begin():
            order = shop.order(session, "R-1", imported_at=T0 - 2 * DAY)
            shipment = create_shipment(
                session, shop.plugins, [order], carrier_code=carrier, tracking=tracking, now=T0
            )
            dates(shipment)

    return setup


def _delivered(s: Shipment) -> None:
    """Delivery can only be the soonest when the ship date is unknown (delivery follows it)."""
    s.label_created_at, s.shipped_at, s.delivered_at = T0, None, T0


def _ship_date(s: Shipment) -> None:
    s.label_created_at, s.shipped_at = T0 - 10 * DAY, T0


def _label(s: Shipment) -> None:
    s.label_created_at, s.shipped_at = T0, T0 + 20 * DAY


RULES = {
    "unshipped: 14 days after import": (_unshipped, 14),
    "tracked: 30 days after delivery": (_shipped("trk", "TRK1", _delivered), 30),
    "tracked: 30 days after ship date": (_shipped("trk", "TRK1", _ship_date), 30),
    "tracked: 44 days after label": (_shipped("trk", "TRK1", _label), 44),
    "untracked service: 30 days after creation": (_shipped("letter", "L1", lambda s: None), 30),
    "tracked service, no number: 30 days after creation": (_shipped("trk", None, _label), 30),
}


def redact(shop: Shop, monkeypatch: pytest.MonkeyPatch, as_of: datetime) -> str:
    monkeypatch.setattr(cli, "get_plugin_manager", lambda: shop.plugins)
    result = CliRunner().invoke(build_app(shop.plugins), ["redact", "run", "--as-of", as_of.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("rule", list(RULES))
def test_redaction_boundary(shop: Shop, monkeypatch: pytest.MonkeyPatch, rule: str) -> None:
    setup, days = RULES[rule]
    setup(shop)

    assert "0 order(s) redacted" in redact(shop, monkeypatch, T0 + (days - 1) * DAY)
    with shop.factory() as session:
        assert session.scalars(select(Order)).one().ship_name == "Ada Buyer"

    assert "1 order(s) redacted" in redact(shop, monkeypatch, T0 + days * DAY)
    with shop.factory() as session:
        order = session.scalars(select(Order)).one()
        assert order.redacted_at is not None
        assert (order.buyer_name, order.buyer_email, order.ship_name, order.ship_line1) == (MARK,) * 4
        assert (order.ship_line2, order.ship_phone) == (None, None)  # nothing there, nothing written
        assert (order.ship_city, order.ship_state, order.ship_postal_code) == (
            "Leeds",
            "West Yorkshire",
            "LS1 1AA",
        )
        assert [i.gift_message for i in order.items] == [MARK]
        log = session.scalars(select(Redaction)).one()
        assert "Ada" not in repr(log.fields) and "ship_name" in log.fields
        for contact in session.scalars(select(LabelContact)):
            assert (contact.phone, contact.email) == (MARK, MARK)

    assert "0 order(s) redacted" in redact(shop, monkeypatch, T0 + 100 * DAY)  # once only


def test_redaction_log_never_holds_values(shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    _unshipped(shop)
    redact(shop, monkeypatch, T0 + 14 * DAY)
    captured = capsys.readouterr()
    assert "Ada" not in captured.out + captured.err and "Secret Street" not in captured.out + captured.err


def test_bad_as_of_names_the_option(shop: Shop) -> None:
    from core.errors import InputError

    with pytest.raises(InputError) as error:
        cli.parse_as_of("yesterday")
    assert error.value.field == "as-of"
