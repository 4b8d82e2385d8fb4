"""The integrations lifecycle over any channel type, through the CLI a person uses.

The scaffolded example channel (examples/channelhub-cornershop, installed by pip like any
third-party plugin) is connected with ``integrations add cornershop`` and synced: core has no
line of code for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cornershop_channelhub.fake_channel import API_KEY, FakeShop, ShopState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Integration, IntegrationStatus, Listing, Order
from core.db.session import session_factory
from core.errors import InputError, NotFoundError
from core.plugins import PluginManager, get_plugin_manager
from core.services import integrations, scheduler, sync
from core.settings import Settings
from tests.amazon.test_cli_flow import cli
from tests.core.test_json_convention import violations


def _orders(count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"cs-{n}",
            "status": "paid",
            "placed_at": f"2024-05-{n:02d}T10:00:00+00:00",
            "currency": "GBP",
            "total": "12.50",
            "lines": [{"id": f"line-{n}", "sku": "mug", "qty": 1, "price": "12.50"}],
        }
        for n in range(1, count + 1)
    ]


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    fake = FakeShop()
    fake.start()
    fake.state = ShopState(orders=_orders(6), stock={"mug": 3})
    yield fake
    fake.stop()


def add(capsys: pytest.CaptureFixture[str], shop: FakeShop, alias: str, *extra: str) -> tuple[int, str, str]:
    return cli(
        capsys, "integrations", "add", "cornershop", "--alias", alias, "--base-url", shop.url,
        "--timeout-seconds", "5", "--api-key", API_KEY, *extra,
    )  # fmt: skip


def as_json(out: str) -> dict[str, object]:
    """``--json`` output, checked against the convention of docs/cli.md."""
    data = json.loads(out)
    assert violations(data) == []
    assert isinstance(data, dict)
    return data


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    code, out, _ = cli(capsys, "integrations", "list", "--json")
    assert code == 0
    return {i["alias"]: i for i in json.loads(out)}


def test_the_scaffolded_channel_is_connected_with_integrations_add_and_synced(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = add(capsys, shop, "corner")
    assert code == 0 and "corner: live" in out, err
    assert listed(capsys)["corner"]["marketplace"] == "MAIN"  # its only marketplace, not asked for
    code, out, err = cli(capsys, "sync", "run", "--stream", "orders", "--stream", "products")
    assert code == 0, err
    code, out, _ = cli(capsys, "orders", "list", "--json")
    assert sorted(o["channel_order_id"] for o in json.loads(out)) == [f"cs-{n}" for n in range(1, 7)]


def test_a_refused_add_stores_nothing_and_no_verify_stores_it_incomplete(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["integrations", "add", "cornershop", "--alias", "corner", "--base-url", shop.url]
    code, _, err = cli(capsys, *args, "--api-key", "wrong-key")
    assert code == 1 and "corner: the channel refused the credentials" in err and "wrong-key" not in err
    assert listed(capsys) == {}
    code, _, err = cli(capsys, *args, "--api-key", "wrong-key", "--timeout-seconds", "-1")
    assert code == 2 and err.startswith("error: timeout-seconds: Input should be greater than 0")
    code, _, err = cli(capsys, *args)  # no terminal to ask on
    assert code == 2 and err.startswith("error: --api-key: is required")
    code, out, _ = cli(capsys, *args, "--api-key", "wrong-key", "--no-verify", "--json")
    assert code == 0 and as_json(out)["status"] == "incomplete"
    assert listed(capsys)["corner"]["status"] == "incomplete"


def test_update_keeps_what_was_stored_when_the_channel_refuses(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(capsys, shop, "corner")[0] == 0
    code, out, err = cli(capsys, "integrations", "update", "corner", "--set", "history_days=7", "--json")
    assert code == 0 and as_json(out)["settings"]["history_days"] == 7, err  # type: ignore[index]
    code, _, err = cli(capsys, "integrations", "update", "corner", "--set", "history_days=99")
    assert code == 2 and err.startswith("error: history-days: Input should be less than or equal to 30")
    code, _, err = cli(capsys, "integrations", "update", "corner", "--set", "colour=red")
    assert code == 2 and "'colour' is not a setting of this channel" in err
    code, _, err = cli(capsys, "integrations", "update", "corner", "--credential", "api_key=wrong-key")
    assert code == 1 and "nothing was changed" in err
    code, out, _ = cli(capsys, "integrations", "retry", "corner")  # the stored key still works
    assert code == 0 and "corner: live" in out
    code, out, _ = cli(capsys, "integrations", "retry", "corner", "--json")
    assert code == 0 and as_json(out)["status"] == "live"  # type: ignore[index]
    assert listed(capsys)["corner"]["settings"]["history_days"] == 7  # type: ignore[index]


def test_a_disabled_integration_is_not_synced(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(capsys, shop, "corner")[0] == 0
    code, out, _ = cli(capsys, "integrations", "disable", "corner", "--json")
    assert code == 0 and as_json(out)["disabled_at"]
    code, _, err = cli(capsys, "sync", "run")
    assert code == 1 and "no Live integration to sync" in err
    code, _, err = cli(capsys, "sync", "run", "--integration", "corner")
    assert code == 1 and "corner is disabled: `channelhub integrations enable corner` first" in err
    with session_factory(migrated.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        run = sync.run_stream(
            session_factory(migrated.database_url), get_plugin_manager(), _id(session), "orders"
        )
    assert not run.ran and run.error == "integration disabled"  # a run queued before it was disabled

    code, out, _ = cli(capsys, "integrations", "enable", "corner", "--json")
    assert code == 0 and as_json(out)["disabled_at"] is None and as_json(out)["status"] == "live"
    assert cli(capsys, "sync", "run", "--stream", "orders")[0] == 0
    with session_factory(migrated.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 6


def test_a_disabled_integration_is_not_scheduled_or_verified(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(capsys, shop, "live-one")[0] == 0
    assert add(capsys, shop, "unchecked", "--no-verify")[0] == 0
    for alias in ("live-one", "unchecked"):
        assert cli(capsys, "integrations", "disable", alias)[0] == 0
    sent: list[tuple[object, ...]] = []
    result = scheduler.tick(session_factory(migrated.database_url), [], lambda *a: sent.append(a))
    assert (result.streams, result.verifications, sent) == ([], [], [])
    assert cli(capsys, "integrations", "enable", "live-one")[0] == 0
    result = scheduler.tick(session_factory(migrated.database_url), [], lambda *a: sent.append(a))
    assert {alias for alias, _ in result.streams} == {"live-one"} and result.verifications == []


def test_sync_run_runs_every_integration_and_names_each_that_failed(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    other = FakeShop()
    other.start()
    other.state = ShopState(orders=_orders(2))
    try:
        assert add(capsys, other, "first")[0] == 0
        assert add(capsys, shop, "second")[0] == 0
    finally:
        other.stop()  # "first" now fails on every stream
    code, _, err = cli(capsys, "sync", "run", "--stream", "orders", "--stream", "products")
    assert code == 1
    assert "sync failed for first orders (" in err and "first products (" in err and "second" not in err
    with session_factory(migrated.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 6  # "second" ran


def test_remove_keeps_orders_by_archiving_or_deletes_them(
    migrated: Settings, shop: FakeShop, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(capsys, shop, "corner")[0] == 0
    assert cli(capsys, "sync", "run", "--stream", "orders", "--stream", "products")[0] == 0
    code, _, err = cli(capsys, "integrations", "remove", "corner")
    assert code == 1 and "add --yes to confirm" in err  # no terminal to confirm on
    code, out, _ = cli(capsys, "integrations", "remove", "corner", "--yes", "--json")
    assert code == 0
    assert as_json(out) == {
        "integration": "corner",
        "integration_id": 1,
        "archived": True,
        "orders_kept": 6,
        "orders_deleted": 0,
    }
    assert listed(capsys)["corner"]["removed_at"] and listed(capsys)["corner"]["credentials"] == []
    code, out, _ = cli(capsys, "orders", "list", "--json")
    assert len(json.loads(out)) == 6 and {o["integration"] for o in json.loads(out)} == {"corner"}
    with session_factory(migrated.database_url)() as session:
        assert session.scalar(select(func.count()).select_from(Listing)) == 0
    code, _, err = cli(capsys, "integrations", "enable", "corner")
    assert code == 2 and "was removed" in err
    code, _, err = add(capsys, shop, "corner")
    assert code == 2 and "already used by a removed integration kept for its orders" in err

    code, out, _ = cli(capsys, "integrations", "remove", "corner", "--yes", "--delete-orders")
    assert code == 0 and "corner: removed, 6 orders deleted" in out
    assert listed(capsys) == {}
    assert add(capsys, shop, "corner")[0] == 0  # the alias is free again


def test_the_service_api_the_console_calls(session: Session, plugins: PluginManager, shop: FakeShop) -> None:
    info = {c.key: c for c in integrations.channel_types(plugins)}["cornershop"]
    assert info.title == "Cornershop" and info.credential_fields == ("api_key",)
    fields = {f.name: f for f in info.settings_fields}
    assert (fields["history_days"].kind, fields["history_days"].default) == ("integer", 30)
    amazon = {
        f.name: f for f in integrations.describe_channel(plugins.channel_type("amazon")).settings_fields
    }
    assert (amazon["orders"].kind, amazon["orders"].choices) == ("list", ("mfn", "fba"))
    assert amazon["seller_id"].required and amazon["intervals"].kind == "json"

    with pytest.raises(InputError, match=r"^base-url: Input should be a valid string"):
        integrations.add(session, plugins, "cornershop", "x", {"base_url": 5}, {"api_key": API_KEY})
    with pytest.raises(integrations.VerificationFailed):
        integrations.add(session, plugins, "cornershop", "x", {"base_url": shop.url}, {"api_key": "nope"})
    assert session.scalar(select(func.count()).select_from(Integration)) == 0
    added = integrations.add(
        session, plugins, "cornershop", "x", {"base_url": shop.url}, {"api_key": API_KEY}
    )
    assert added.status == IntegrationStatus.LIVE
    for not_an_id in ("²", "99999999999", str(added.id) + " "):  # isdigit() alone takes "²"
        with pytest.raises(NotFoundError):
            integrations.find(session, not_an_id)
    assert integrations.find(session, str(added.id)) is added
    removal = integrations.remove(session, "x")
    assert not removal.archived and removal.orders_deleted == 0
    assert session.scalar(select(func.count()).select_from(Integration)) == 0


def _id(session: Session) -> int:
    found = session.scalar(select(Integration.id))
    assert found is not None
    return found
