"""Plugin discovery through entry points, validation, and clean reporting of broken plugins."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from core.errors import NotFoundError, PluginError
from core.hookspecs import hookimpl
from core.plugins import PluginManager
from tests.fakes.channel import FakeChannelPlugin

BUILT_INS = {"amazon", "bigbuy_mip", "shipstation_like"}


def install_distribution(
    root: Path, name: str, version: str, modules: dict[str, str], entry_points: dict[str, str]
) -> None:
    """Write modules and a ``*.dist-info`` so importlib.metadata sees an installed distribution."""
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[channelhub]\n{lines}\n")


THIRD_PARTY = """
from pydantic import BaseModel
from core.hookspecs import hookimpl
from core.types import ChannelType, Marketplace

class Settings(BaseModel):
    shop_url: str = "https://example.invalid"

@hookimpl
def channelhub_channel_types():
    yield ChannelType(
        key="tinyshop",
        display_name="Tiny Shop",
        marketplaces=(Marketplace("MAIN", "Tiny Shop", "main", "GB", "GBP", "en", "EU"),),
        settings_model=Settings,
        credential_fields=("api_key",),
        connector_factory=lambda ctx: None,
    )
"""


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install_distribution(
        site,
        "tinyshop-channelhub",
        "1.2.3",
        {
            "tinyshop_plugin": THIRD_PARTY,
            "broken_plugin": "raise RuntimeError('cannot reach config')\n",
            "badsig_plugin": """
                from core.hookspecs import hookimpl
                @hookimpl
                def channelhub_select_carrier(order, candidates, surprise):
                    return None
            """,
            "unknown_hook_plugin": """
                from core.hookspecs import hookimpl
                @hookimpl
                def channelhub_frobnicate():
                    return []
            """,
        },
        {
            "tinyshop": "tinyshop_plugin",
            "broken": "broken_plugin",
            "badsig": "badsig_plugin",
            "unknownhook": "unknown_hook_plugin",
        },
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def test_built_in_plugins_load_from_entry_points() -> None:
    manager = PluginManager()
    manager.load_entry_points()
    loaded = {p.name: p for p in manager.plugins}
    assert set(loaded) >= BUILT_INS
    for name in BUILT_INS:
        assert loaded[name].distribution == "channelhub"
        assert loaded[name].module == f"plugins.{name}.plugin"
    assert not [f for f in manager.failures if f.name in BUILT_INS]


def test_third_party_distribution_is_discovered_like_a_built_in(third_party: Path) -> None:
    manager = PluginManager()
    manager.load_entry_points()
    tiny = next(p for p in manager.plugins if p.name == "tinyshop")
    assert (tiny.distribution, tiny.version) == ("tinyshop-channelhub", "1.2.3")
    assert tiny.hooks == ("channelhub_channel_types",)
    assert manager.channel_type("tinyshop").display_name == "Tiny Shop"
    assert {p.name for p in manager.plugins} >= BUILT_INS


def test_broken_plugins_are_reported_and_do_not_take_others_down(third_party: Path) -> None:
    manager = PluginManager()
    manager.load_entry_points()
    failures = {f.name: f for f in manager.failures}
    assert set(failures) == {"broken", "badsig", "unknownhook"}
    assert "cannot reach config" in failures["broken"].error
    assert failures["broken"].distribution == "tinyshop-channelhub"
    assert "from distribution tinyshop-channelhub" in str(failures["broken"])
    assert "invalid hook implementation" in failures["badsig"].error
    assert "surprise" in failures["badsig"].error
    assert "channelhub_frobnicate" in failures["unknownhook"].error
    assert {"tinyshop", *BUILT_INS} <= {p.name for p in manager.plugins}


def test_cli_lists_plugins_and_failures_as_json(
    third_party: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli.main import main
    from core.plugins import get_plugin_manager

    get_plugin_manager.cache_clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["plugins", "list", "--json"])
    finally:
        get_plugin_manager.cache_clear()
    assert exit_info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    names = {p["name"] for p in data["plugins"]}
    assert {"tinyshop", *BUILT_INS} <= names
    assert {f["name"] for f in data["failed"]} == {"broken", "badsig", "unknownhook"}
    tiny = next(p for p in data["plugins"] if p["name"] == "tinyshop")
    assert tiny["version"] == "1.2.3" and tiny["hooks"] == ["channelhub_channel_types"]


def test_two_plugins_claiming_one_channel_key_is_a_clear_error() -> None:
    manager = PluginManager()
    manager.register(FakeChannelPlugin(), "first")
    manager.register(FakeChannelPlugin(), "second")
    with pytest.raises(PluginError, match="'fake' is registered by both plugin 'first' and plugin 'second'"):
        manager.channel_types()


def test_hook_returning_the_wrong_type_drops_only_that_plugin() -> None:
    class Sloppy:
        @hookimpl
        def channelhub_channel_types(self) -> list[dict[str, str]]:
            return [{"key": "sloppy"}]

    manager = PluginManager()
    manager.register(Sloppy(), "sloppy")
    manager.register(FakeChannelPlugin(), "fake")
    assert set(manager.channel_types()) == {"fake"}
    assert "must return ChannelType values, got dict" in manager.failures[0].error
    assert [p.name for p in manager.plugins] == ["fake"]


def test_unknown_channel_type_names_the_available_ones() -> None:
    manager = PluginManager()
    manager.register(FakeChannelPlugin(), "fake")
    with pytest.raises(NotFoundError, match=r"unknown channel type 'ebay' \(available: fake\)"):
        manager.channel_type("ebay")


def test_core_never_imports_a_plugin() -> None:
    core = Path(__file__).resolve().parents[2] / "core"
    offenders = [
        f"{path}:{n}"
        for path in core.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if line.lstrip().startswith(("import plugins", "from plugins"))
    ]
    assert offenders == []


def test_core_alone_writes_its_rules_switches_and_outbox() -> None:
    """Plugins use core's services for price rules, pricing settings, carrier switches and the outbox.

    They may read the outbox (the demo reports what was sent) but never import the bulk writer's
    table or the rule and switch tables: a second plugin could not take part if one wrote them.
    """
    plugins = Path(__file__).resolve().parents[2] / "plugins"
    owned = re.compile(r"\b(PriceRule|PricingSettings|CarrierSetting)\b|insert\(OutboxEntry\)|COPY outbox")
    offenders = [
        f"{path}:{n}"
        for path in plugins.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if owned.search(line)
    ]
    assert offenders == []


def test_every_hook_spec_is_documented_with_an_example() -> None:
    from core.hookspecs import ChannelhubSpecs

    specs = [name for name in vars(ChannelhubSpecs) if name.startswith("channelhub_")]
    assert len(specs) >= 8
    for name in specs:
        doc = getattr(ChannelhubSpecs, name).__doc__ or ""
        assert "Example" in doc and "@hookimpl" in doc, name


def test_plugin_command_groups_merge_and_nest(env: object) -> None:
    import typer
    from typer.testing import CliRunner

    from core.cli.main import build_app
    from core.hookspecs import hookimpl
    from core.types import CliGroup

    def command_app(name: str) -> typer.Typer:
        sub = typer.Typer()
        sub.command(name)(lambda: typer.echo(f"ran {name}"))
        return sub

    class First:
        @hookimpl
        def channelhub_cli(self) -> list[CliGroup]:
            return [
                CliGroup(name="orders", app=command_app("pending")),
                CliGroup(name="add", parent="integrations", app=command_app("amazon")),
            ]

    class Second:
        @hookimpl
        def channelhub_cli(self) -> list[CliGroup]:
            return [
                CliGroup(name="orders", app=command_app("hold")),
                CliGroup(name="add", parent="integrations", app=command_app("shopify")),
            ]

    manager = PluginManager()
    manager.register(First(), "first")
    manager.register(Second(), "second")
    app = build_app(manager)
    runner = CliRunner()
    for args, out in [
        (["orders", "pending"], "ran pending"),
        (["orders", "hold"], "ran hold"),
        (["integrations", "add", "amazon"], "ran amazon"),
        (["integrations", "add", "shopify"], "ran shopify"),
        (["db", "--help"], "upgrade"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert out in result.output
