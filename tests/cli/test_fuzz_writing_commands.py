"""Every writing command, driven with arbitrary text and numbers (hypothesis).

For each example: the command exits 0, or prints exactly one error line (exit 1 or 2), never
"unexpected", and when it fails no table changed (a checksum of every row of every table is
compared). One migrated database per command, reused between its examples; the command runs
in-process through ``main``, as a person would meet it. 200 examples per command by default,
2,000 with ``pytest -m fuzz``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from core.cli import errors_cmd
from core.cli import main as cli_main
from core.db.models import IntegrationStatus, PriceRule
from core.db.session import get_engine
from core.plugins import PluginManager
from tests.core import factories

SPECIALS = [
    "0",
    "-5",
    "-1",
    "2147483647",
    "2147483648",
    "99999999999",
    "99999999999999",
    "1e30",
    "1e-30",
    "12.34567",
    "1_000",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "",
    " ",
    "1.5",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-23T18:00:00+00:00",
    "amazon-uk",
    "MUG",
    "111-0000001-0000001",
    "x" * 10_000,
    "\u202eevil",
    "a\u200bb",
    "\x00",
    "--json",
]

TEXT = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(max_size=40),
    st.integers(min_value=0, max_value=12_000).map(lambda n: "y" * n),
)
NUMBER = st.one_of(
    st.sampled_from(SPECIALS),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=12),
)

Command = Callable[[st.DrawFn], list[str]]


def _cmd(*parts: object) -> Command:
    """A command template: strings stay, strategies are drawn."""

    def build(draw: st.DrawFn) -> list[str]:
        return [draw(p) if isinstance(p, st.SearchStrategy) else str(p) for p in parts]

    return build


COMMANDS: dict[str, Command] = {
    "stock set": _cmd("stock", "set", TEXT, NUMBER),
    "price set": _cmd("price", "set", TEXT, NUMBER),
    "orders cancel": _cmd("orders", "cancel", NUMBER),
    "rules add": _cmd(
        "rules",
        "add",
        "markup",
        "--param",
        NUMBER.map(lambda v: f"percent={v}"),
        "--priority",
        NUMBER,
        "--name",
        TEXT,
        "--sku-pattern",
        TEXT,
        "--price-min",
        NUMBER,
    ),
    "rules remove": _cmd("rules", "remove", NUMBER),
    "rules floor": _cmd(
        "rules", "floor", "--integration", "amazon-uk", "--commission", NUMBER, "--shipping", NUMBER
    ),
    "filters add": _cmd(
        "filters",
        "add",
        "exclude",
        "--integration",
        "amazon-uk",
        "--sku-pattern",
        TEXT,
        "--stock-below",
        NUMBER,
    ),
    "filters remove": _cmd("filters", "remove", NUMBER),
    "carriers disable": _cmd("carriers", "disable", TEXT, "--area", TEXT),
    "shipments create": _cmd(
        "shipments",
        "create",
        st.sampled_from(["111-0000001-0000001"]) | TEXT,
        "--carrier",
        TEXT,
        "--tracking",
        TEXT,
        "--no-notify",
    ),
    "shipments retry": _cmd("shipments", "retry", NUMBER),
    "orders hold": _cmd("orders", "hold", TEXT),
    "errors retry": _cmd("errors", "retry", NUMBER),
    "errors dismiss": _cmd("errors", "dismiss", NUMBER),
    "redact run": _cmd("redact", "run", "--as-of", TEXT),
    "integrations add amazon": _cmd(
        "integrations",
        "add",
        "amazon",
        "--marketplace",
        st.sampled_from(["UK", "DE"]) | TEXT,
        "--alias",
        TEXT,
        "--seller-id",
        TEXT,
        "--refresh-token",
        TEXT,
        "--no-verify",
    ),
}


def checksum(url: str) -> str:
    digest = hashlib.sha256()
    with get_engine(url).connect() as conn:
        for table in sorted(inspect(conn).get_table_names()):
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def shop(session: Session, plugins: PluginManager, monkeypatch: pytest.MonkeyPatch) -> str:
    """One Amazon integration with a product, a listing, an order and a price rule."""
    integration = factories.integration(session, "amazon-uk", status=IntegrationStatus.LIVE)
    integration.channel_key, integration.marketplace = "amazon", "UK"
    integration.settings = {"seller_id": "A1SELLER"}
    product = factories.product(session, "MUG", stock=5, rrp=Decimal("9.99"), cost=Decimal("4"))
    factories.listing(session, product, integration)
    factories.order(session, integration, items=((product, 1),))
    session.add(
        PriceRule(name="base", rule_type="markup", priority=10, conditions={}, params={"percent": "20"})
    )
    session.commit()
    monkeypatch.setattr(cli_main, "get_plugin_manager", lambda: plugins)
    monkeypatch.setattr(errors_cmd, "get_plugin_manager", lambda: plugins)
    return str(get_engine().url.render_as_string(hide_password=False))


def drive(name: str, url: str, capsys: pytest.CaptureFixture[str], examples: int) -> None:
    state = {"sum": checksum(url)}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def one(data: st.DataObject) -> None:
        args = data.draw(st.composite(lambda draw: COMMANDS[name](draw))(), label="args")
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            cli_main.main(args)
        code = exit_info.value.code
        out = capsys.readouterr()
        shown = out.out + out.err
        assert "unexpected" not in shown, (args, shown)
        if code in (0, None):
            state["sum"] = checksum(url)
            return
        assert code in (1, 2), (args, code, shown)
        assert len(out.err.strip().splitlines()) == 1, (args, out.err)
        assert checksum(url) == state["sum"], (args, "a failed command changed a table")

    one()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_writing_commands_refuse_bad_input_cleanly(
    shop: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    drive(name, shop, capsys, examples=200)


@pytest.mark.fuzz
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_writing_commands_fuzzed_deeply(
    shop: str, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, name: str
) -> None:
    if "fuzz" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("2,000 examples per command: run with -m fuzz")
    drive(name, shop, capsys, examples=2_000)


def test_every_command_here_is_a_real_command(plugins: PluginManager) -> None:
    """The fuzz list names commands that exist (a renamed command must not go unfuzzed)."""
    app = cli_main.build_app(plugins)
    import typer.main

    root = typer.main.get_command(app)
    for name in COMMANDS:
        node = root
        for part in name.split():
            node = node.commands[part]  # type: ignore[attr-defined]
        assert node is not None
