"""The quarantine against the fake channel: nothing lost, nothing blocking, retry and dismiss."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.cli import errors_cmd
from core.cli import main as cli_main
from core.db.models import IntegrationStatus, Order, SyncError
from core.db.session import session_factory
from core.dto import Address, Money, RecordFailure
from core.plugins import PluginManager
from core.services import quarantine, sync
from tests.core import factories
from tests.core.test_sync import channel_order
from tests.fakes.channel import CHANNEL, FakeChannelPlugin

World = tuple[sessionmaker[Session], PluginManager, int]


@pytest.fixture
def world(session: Session, plugins: PluginManager) -> World:
    """The fake channel registered and one Live integration on it."""
    CHANNEL.reset()
    plugins.register(FakeChannelPlugin(), "fake")
    integration = factories.integration(session, "fake-uk", status=IntegrationStatus.LIVE)
    session.commit()
    return session_factory(), plugins, integration.id


def run(world: World, stream: str = "orders") -> sync.StreamRun:
    sessions, plugins, integration_id = world
    return sync.run_stream(sessions, plugins, integration_id, stream)


@pytest.fixture
def cli(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[object]:
    """``channelhub ARGS`` in-process through ``main``, as a person sees it: (code, out, err)."""
    plugins = world[1]
    monkeypatch.setattr(cli_main, "get_plugin_manager", lambda: plugins)
    monkeypatch.setattr(errors_cmd, "get_plugin_manager", lambda: plugins)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            cli_main.main(list(args))
        captured = capsys.readouterr()
        return int(exit_info.value.code or 0), captured.out, captured.err

    yield invoke


def raw(order_id: str) -> dict[str, object]:
    return {"orderId": order_id, "createdTime": 20261201, "buyer": {"buyerName": "Zed Quarantined"}}


def test_a_database_refusal_quarantines_that_order_and_the_rest_commits(
    session: Session, world: World
) -> None:
    negative = dataclasses.replace(channel_order(2), total=Money(Decimal("-1"), "GBP"))
    CHANNEL.orders = [channel_order(1), negative, channel_order(3)]
    result = run(world)
    assert result.counts["created"] == 2 and result.counts["errors"] == 1 and result.error is None
    assert set(session.scalars(select(Order.channel_order_id))) == {"202-0000001", "202-0000003"}
    entry = session.scalars(select(SyncError)).one()
    assert entry.reference == "202-0000002" and "database refused the order" in entry.reason
    assert "Ada" not in entry.reason and "High St" not in entry.reason
    assert entry.payload is not None and b"Ada" not in entry.payload


def test_an_over_long_postcode_is_stored_whole(session: Session, world: World) -> None:
    postcode = "LS1 1AA " * 5
    long_one = dataclasses.replace(
        channel_order(1),
        shipping_address=Address("Ada", "1 High St", postal_code=postcode, country_code="GB"),
    )
    CHANNEL.orders = [long_one, channel_order(2)]
    assert run(world).counts["created"] == 2
    assert (
        session.scalar(select(Order.ship_postal_code).where(Order.channel_order_id == "202-0000001"))
        == postcode
    )


def test_a_fixed_order_is_fetched_again_and_imported(session: Session, world: World, cli) -> None:  # type: ignore[no-untyped-def]
    CHANNEL.orders = [channel_order(1)]
    CHANNEL.bad_orders = [RecordFailure("202-0000042", "createdTime: is missing", raw("202-0000042"))]
    first = run(world)
    assert first.counts["created"] == 1 and first.counts["errors"] == 1

    code, out, _ = cli("errors", "list", "--json")
    [listed] = json.loads(out)
    assert code == 0 and listed["reference"] == "202-0000042" and listed["integration"] == "fake-uk"
    assert listed["attempts"] == 1 and listed["state"] == "open" and "T" in listed["created_at"]
    assert "Zed" not in out
    code, out, _ = cli("integrations", "list", "--json")
    assert json.loads(out)[0]["errors"] == 1

    run(world)  # still bad on the channel: asked again, still quarantined
    assert CHANNEL.refetched == ["202-0000042"]
    session.expire_all()
    assert session.scalars(select(SyncError)).one().attempts == 2

    CHANNEL.bad_orders = []  # the seller fixes it on the channel
    CHANNEL.orders.append(channel_order(42))
    code, out, _ = cli("errors", "retry", str(listed["id"]))
    assert code == 0 and "imported 1" in out
    session.expire_all()
    entry = session.scalars(select(SyncError)).one()
    assert entry.resolved_at is not None and entry.payload is None
    assert session.scalar(select(Order.id).where(Order.channel_order_id == "202-0000042")) is not None
    assert cli("errors", "list", "--json")[1].strip() == "[]"


def test_a_dismissed_entry_is_never_retried(session: Session, world: World, cli) -> None:  # type: ignore[no-untyped-def]
    CHANNEL.orders = [channel_order(1)]
    CHANNEL.bad_orders = [RecordFailure("202-0000042", "createdTime: is missing", raw("202-0000042"))]
    run(world)
    entry_id = session.scalars(select(SyncError.id)).one()
    code, out, _ = cli("errors", "dismiss", str(entry_id))
    assert code == 0 and "dismissed 1" in out
    CHANNEL.bad_orders = []
    run(world)
    assert CHANNEL.refetched == []
    session.expire_all()
    entry = session.scalars(select(SyncError)).one()
    assert entry.dismissed_at is not None and entry.payload is None
    assert quarantine.list_errors(session) == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("errors", "retry", "99999999999"), "ids"),
        (("errors", "dismiss", "0"), "ids"),
        (("errors", "retry"), "ids"),
        (("errors", "dismiss", "7"), "no open error with id 7"),
    ],
)
def test_bad_error_ids_get_one_line(world: World, cli, args: tuple[str, ...], field: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(*args)
    assert code in (1, 2) and field in err and len(err.strip().splitlines()) == 1, err
    assert code == (1 if "no open error" in field else 2)
