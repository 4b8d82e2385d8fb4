"""Every command with ``--json`` follows the one convention of docs/cli.md.

The commands are discovered by walking the built typer app (core's groups and every
plugin's), not listed here, so a command another plugin adds is checked the day it is
installed. Each runs against a migrated database filled the way a seller's first hour fills
it (two Amazon integrations synced from the sandbox, one area without a carrier, a price rule,
a filter, shipments single and combined), and its output is checked mechanically.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select

from core.cli.main import build_app
from core.db.base import utcnow
from core.db.models import Integration, Listing, Order, OrderStatus, UserRole
from core.db.session import session_scope
from core.dto import Fulfilment
from core.plugins import get_plugin_manager
from core.services import users
from core.settings import Settings
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from plugins.bigbuy_mip.catalogue import get_catalogue
from plugins.shipstation_like.tables import Notice
from tests.amazon.test_cli_flow import cli

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2})$")
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
NUMERIC_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
MONEY_KEY = re.compile(r"(^|_)(price|total|rrp|cost|amount|fee|shipping)$")
TIME_KEY = re.compile(r"(_at|_date|^ship_by|^deliver_by)$")
CHANNEL_TEXT_KEY = re.compile(r"^(channel_.*|sku|.*_sku|tracking.*|cursor|marketplace)$")
"""Keys whose values are the channel's own text: a SKU may well be all digits."""

ECHOED = {"settings", "params", "conditions", "params_schema"}
"""Objects holding configuration exactly as a person entered it (a rule's ``percent``, a
channel's ``seller_id``), or a JSON Schema (``params_schema``): their keys are the plugin's or
JSON Schema's, their values are not re-typed."""

MAY_BE_EMPTY = {
    "plugins list": "lists failures beside plugins; checked through the plugins",
    "products import": "a summary of counts; its list of bad rows is empty for a clean file",
    "errors list": "the fixture quarantines nothing; tests/core/test_quarantine.py reads its records",
    "shipments failed": "no notice is refused here; tests/shipstation_like/test_failed_notices.py has them",
}
"""Commands whose output may hold no record in the fixture data, and why."""

CHECKED_ELSEWHERE = {
    "integrations add": "connects a channel (one command per channel type) with its own options",
    "integrations update": "changes the integrations every other command here reads",
    "integrations disable": "would stop the integrations the other commands read",
    "integrations enable": "runs with integrations disable",
    "integrations remove": "deletes the integrations the other commands read",
}
"""Commands not run on the shared fixture, and why; tests/core/test_integrations_lifecycle.py
checks their ``--json`` with :func:`violations`."""


@dataclass(frozen=True)
class JsonCommand:
    path: tuple[str, ...]
    command: Any
    """The click command typer built (typer vendors its own click, so no click types here)."""

    @property
    def name(self) -> str:
        return " ".join(self.path)


def json_commands(app: typer.Typer) -> list[JsonCommand]:
    """Every command of ``app`` (at any depth) that has a ``--json`` option."""
    found: list[JsonCommand] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):  # a group
            for name, child in command.commands.items():
                walk(child, (*path, name))
        elif any("--json" in getattr(p, "opts", ()) for p in command.params):
            found.append(JsonCommand(path, command))

    walk(typer.main.get_command(app), ())
    return found


def violations(data: Any) -> list[str]:
    """Where ``data`` breaks the convention, one line each, with the path to the value."""
    problems: list[str] = []
    if not isinstance(data, dict | list):
        return [f"top level is {type(data).__name__}, not an object or an array of objects"]
    _check(data, "$", problems)
    return problems


def _check(value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, list):
        kinds = {type(v).__name__ for v in value if v is not None}
        if "list" in kinds:
            problems.append(f"{where}: an array of arrays (records must be objects)")
        if len(kinds) > 1:
            problems.append(f"{where}: an array mixing {sorted(kinds)}")
        for n, item in enumerate(value):
            _check(item, f"{where}[{n}]", problems)
    elif isinstance(value, dict):
        _check_object(value, where, problems)


def _check_object(record: dict[str, Any], where: str, problems: list[str]) -> None:
    if ("integration" in record) != ("integration_id" in record):
        problems.append(f"{where}: an integration is named by both `integration` and `integration_id`")
    for key, value in record.items():
        at = f"{where}.{key}"
        if not SNAKE.match(key):
            problems.append(f"{at}: key is not snake_case")
        if key == "id" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(f"{at}: the hub's ids are JSON numbers (a channel's id is channel_*)")
        if MONEY_KEY.search(key) and not key.endswith(("_id", "_days", "_kg", "_percent")):
            if value is not None and not (isinstance(value, str) and NUMERIC_TEXT.match(value)):
                problems.append(f"{at}: money must be a decimal string, got {value!r}")
            if "currency" not in record:
                problems.append(f"{at}: money without `currency` beside it")
        timed = TIME_KEY.search(key) and value is not None and not isinstance(value, bool)
        if timed and not (isinstance(value, str) and ISO_TIMESTAMP.match(value)):
            problems.append(f"{at}: timestamps are ISO 8601 with T and offset, got {value!r}")
        if isinstance(value, str):
            if LOOKS_LIKE_TIME.match(value) and not ISO_TIMESTAMP.match(value):
                problems.append(f"{at}: timestamp {value!r} is not ISO 8601 with T and offset")
            numeric_ok = MONEY_KEY.search(key) or CHANNEL_TEXT_KEY.match(key) or "currency" in record
            if NUMERIC_TEXT.match(value) and not numeric_ok:
                problems.append(f"{at}: number {value!r} sent as a string")
        if key not in ECHOED:
            _check(value, at, problems)


def has_records(data: Any) -> bool:
    """Whether the output holds at least one record, so the checks above had work to do."""
    if isinstance(data, list):
        return bool(data)
    return any(has_records(v) for v in data.values() if isinstance(v, list)) or not any(
        isinstance(v, list) for v in data.values()
    )


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = cli(capsys, *args)
    assert code == 0, f"channelhub {' '.join(args)} failed:\n{out}\n{err}"
    return out


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=11, orders=200, time_scale=600)) as sb:
        yield sb


def fill(capsys: pytest.CaptureFixture[str], sb: RunningSandbox, folder: Path) -> dict[str, str]:
    """A first hour's data through the CLI; returns values for commands' required parameters."""
    c = sb.credentials
    for market in ("UK", "DE"):
        ok(
            capsys,
            *(
                "integrations",
                "add",
                "amazon",
                "--marketplace",
                market,
                "--alias",
                f"amazon-{market.lower()}",
            ),
            *("--seller-id", c.seller_id, "--refresh-token", c.refresh_token, "--client-id", c.client_id),
            *("--client-secret", c.client_secret, "--endpoint", sb.base_url),
        )
    for code in sorted(get_catalogue().carriers_serving("DE")):
        ok(capsys, "carriers", "disable", code, "--area", "DE", "--integration", "amazon-de")
    ok(capsys, "sync", "run", "--stream", "orders", "--stream", "products", "--stream", "inventory")
    with session_scope() as session:  # Amazon sends no RRP; a supplier feed would
        uk_priced = (
            select(Listing)
            .join(Integration)
            .where(Integration.alias == "amazon-uk", Listing.channel_price.is_not(None))
        )
        for listing in session.scalars(uk_priced):
            listing.product.rrp, listing.product.currency = listing.channel_price, listing.currency
        ready = session.scalars(
            select(Order.channel_order_id)
            .join(Integration)
            .where(
                Integration.alias == "amazon-uk",
                Order.status == OrderStatus.AWAITING_SHIPMENT,
                Order.fulfilment == Fulfilment.MFN,
                Order.carrier_code.is_not(None),
            )
            .order_by(Order.id)
            .limit(4)
        ).all()
        carrier = session.scalar(select(Order.carrier_code).where(Order.channel_order_id == ready[3]))
        month = session.scalar(select(Order.purchase_date).order_by(Order.id))
        sku = session.scalars(uk_priced.with_only_columns(Listing.channel_sku).limit(1)).one()
    assert len(ready) == 4 and isinstance(month, datetime)
    params = ("--param", "percent=-5", "--param", "rounding=0.99", "--param", "base=rrp")
    ok(capsys, "rules", "add", "percent", *params, "--integration", "amazon-uk")
    ok(capsys, "rules", "on", "--integration", "amazon-uk")
    ok(capsys, "filters", "add", "exclude", "--integration", "amazon-uk", "--sku-pattern", "NOPE-*")
    ok(capsys, "shipments", "create", ready[0], ready[1], "--tracking", "TRK1", "--no-notify")
    ok(capsys, "shipments", "create", ready[2], "--tracking", "TRK2", "--no-notify")
    with session_scope() as session:  # as after a 503: queued for a retry in an hour
        notice = session.scalars(
            select(Notice).join(Order, Order.id == Notice.order_id).where(Order.channel_order_id == ready[2])
        ).one()
        notice.attempts, notice.last_error = 1, "HTTP 503 from Amazon"
        notice.next_attempt_at = utcnow() + timedelta(hours=1)
    with session_scope() as session:  # a console user with an API token (core.services.users)
        users.add_user(session, "ops", UserRole.OPERATOR, "a-long-password")
        token = users.create_token(session, "ops", "nightly")
    batch = folder / "batch.csv"
    batch.write_text(f"order,carrier,tracking\n{ready[3]},{carrier},TRK3\nNO-SUCH-ORDER,{carrier},TRK4\n")
    return {
        "integration": "amazon-uk",
        "name": "amazon-uk",
        "rule_type": "charm",  # every parameter has a default (examples/channelhub-charm-pricing)
        "month": f"{month:%Y-%m}",
        "source": str(batch),
        "order": ready[0],
        "sku": sku,
        "file": str(Path(__file__).resolve().parents[2] / "examples" / "sandbox-catalogue.csv"),
        "role": "admin",
        "user": "ops",
        "token_id": str(token.id),
    }


def invocation(command: JsonCommand, values: dict[str, str]) -> list[str]:
    """``command``'s path, its required parameters from ``values``, and ``--json``."""
    args = [*command.path]
    for param in command.command.params:
        if not param.required or param.name is None:
            continue
        assert param.name in values, (
            f"`{command.name}` needs {param.name!r}: add a sample value for it to fill() in {__file__}"
        )
        if param.param_type_name == "option":
            args.append(param.opts[0])
        args.append(values[param.name])
    return [*args, "--json"]


def test_every_json_command_follows_the_convention(
    migrated: Settings,
    sandbox: RunningSandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = fill(capsys, sandbox, tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))  # `users add` reads it
    commands = json_commands(build_app(get_plugin_manager()))
    assert len(commands) >= 10, [c.name for c in commands]  # the walk reaches plugins' groups
    failures: dict[str, list[str]] = {}
    for command in commands:
        if any(command.name == n or command.name.startswith(f"{n} ") for n in CHECKED_ELSEWHERE):
            continue
        code, out, err = cli(capsys, *invocation(command, values))
        try:
            data = json.loads(out)
        except json.JSONDecodeError:
            failures[command.name] = [f"exit {code}, stdout is not JSON: {out[:200]!r} {err[:200]!r}"]
            continue
        problems = violations(data)
        if not has_records(data) and command.name not in MAY_BE_EMPTY:
            problems.append("no record in the output: the fixture data does not exercise it")
        if problems:
            failures[command.name] = problems
    assert not failures, "\n".join(f"{name}: {'; '.join(p[:6])}" for name, p in failures.items())


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"ship_by": "2026-11-23 18:23:51.828477+00:00"}, "ISO 8601"),
        ({"created_at": "2026-11-23T18:23:51"}, "ISO 8601"),
        ({"counted": "12.5"}, "sent as a string"),
        ({"orderId": 3}, "snake_case"),
        ({"order_id": "3"}, "sent as a string"),
        ({"id": "206-1"}, "JSON numbers"),
        ({"price": 19.99, "currency": "GBP"}, "decimal string"),
        ({"price": "19.99"}, "without `currency`"),
        ({"integration": "amazon-uk"}, "integration_id"),
        ([[1, "206-1", 2]], "array of arrays"),
        ({"band": "up to 2 kg", "fees": [{"a": 1}, "x"]}, "mixing"),
    ],
)
def test_the_checker_catches_each_kind_of_break(data: Any, expected: str) -> None:
    assert any(expected in p for p in violations(data)), violations(data)


def test_the_checker_accepts_the_documented_example() -> None:
    example = {
        "id": 42,
        "integration": "amazon-uk",
        "integration_id": 1,
        "channel_order_id": "206-1234567-1234567",
        "channel_sku": "40012345",
        "ship_by": "2026-11-23T18:23:51+00:00",
        "total": "19.99",
        "currency": "GBP",
        "counted": 12.5,
        "listed_on": [{"integration": "amazon-uk", "integration_id": 1}],
    }
    assert violations(example) == []
