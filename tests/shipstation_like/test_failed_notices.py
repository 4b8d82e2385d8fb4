"""A notification the channel refused is listed, counted, and sent once it is queued again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.cli import main as cli_main
from core.db.base import utcnow
from core.db.models import NotifyState, Shipment
from plugins.shipstation_like import cli as shipstation_cli
from plugins.shipstation_like.notify import notify_pending
from tests.shipstation_like.conftest import T0, Shop
from tests.shipstation_like.test_notify import ship_orders


def invoke(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(cli_main, "get_plugin_manager", lambda: shop.plugins)
    monkeypatch.setattr(shipstation_cli, "get_plugin_manager", lambda: shop.plugins)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(list(args))
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), out.out, out.err


def test_a_refused_notification_is_listed_and_sent_after_retry(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ship_orders(shop, 3)
    shop.channel.permanent_for = {ids[1]}
    assert notify_pending(shop.factory, shop.plugins, now=T0).failed == 1

    code, out, _ = invoke(shop, monkeypatch, capsys, "shipments", "failed", "--json")
    [failed] = json.loads(out)
    assert code == 0 and failed["channel_order_id"] == ids[1] and failed["last_error"] == "invalid carrier"
    code, out, _ = invoke(shop, monkeypatch, capsys, "integrations", "list", "--json")
    assert json.loads(out)[0]["failed_notifications"] == 1

    shop.channel.permanent_for = set()  # the cause is fixed (carrier mapping, order on the channel)
    code, out, _ = invoke(shop, monkeypatch, capsys, "shipments", "retry", str(failed["id"]))
    assert code == 0 and "queued 1" in out
    summary = notify_pending(shop.factory, shop.plugins, now=utcnow() + timedelta(seconds=1))
    assert summary.sent == 1 and shop.channel.confirmed[ids[1]] == 1
    with shop.factory() as session:
        assert set(session.scalars(select(Shipment.notify_state))) == {NotifyState.SENT}
    assert json.loads(invoke(shop, monkeypatch, capsys, "shipments", "failed", "--json")[1]) == []


@pytest.mark.parametrize(
    "args", [("shipments", "retry"), ("shipments", "retry", "-3"), ("shipments", "retry", "9")]
)
def test_retry_needs_ids_it_knows(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, out, err = invoke(shop, monkeypatch, capsys, *args)
    assert code in (1, 2) and len(err.strip().splitlines()) == 1 and "unexpected" not in err, err
    assert out == ""
