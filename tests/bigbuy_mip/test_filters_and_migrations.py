"""Product filters and the plugin's own Alembic branch."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core.cli.main import build_app
from core.db import migrate
from core.db.models import Integration, OutboxEntry, OutboxKind
from core.db.session import get_engine
from core.errors import InputError
from core.plugins import PluginManager
from core.services import catalog, pricing
from core.settings import Settings
from plugins.bigbuy_mip.filters import add_filter, excluded_listings
from plugins.bigbuy_mip.models import BigbuyBase

runner = CliRunner()


def test_exclude_filters_and_stock_threshold(
    session: Session, integration: Integration, make_listing
) -> None:
    make_listing("BB-1", "10", "5", brand="Acme", stock=10)
    make_listing("BB-2", "10", "5", brand="Other", stock=10)
    make_listing("XX-3", "10", "5", brand="Other", stock=1)
    make_listing("XX-4", "10", "5", brand="Other", stock=10)
    add_filter(session, integration, "exclude", brand="acme")
    add_filter(session, integration, "exclude", stock_below=3)
    assert [sku for sku, _, _ in excluded_listings(session, integration)] == ["BB-1", "XX-3"]


def test_include_filters_exclude_everything_else(
    session: Session, integration: Integration, make_listing
) -> None:
    make_listing("BB-1", "10", "5", category="Toys")
    make_listing("BB-2", "10", "5", category="Garden")
    add_filter(session, integration, "include", category="toys")
    assert [sku for sku, _, _ in excluded_listings(session, integration)] == ["BB-2"]


def test_filter_input_is_checked(session: Session, integration: Integration) -> None:
    for kwargs, field in (({}, "filter"), ({"stock_below": 2}, "stock_below")):
        try:
            add_filter(session, integration, "include", **kwargs)
        except InputError as exc:
            assert exc.field == field
        else:
            raise AssertionError("accepted a bad filter")


def test_filters_cli_holds_excluded_listings_at_zero_and_lets_them_go(
    session: Session, plugins: PluginManager, integration: Integration, make_listing
) -> None:
    app = build_app(plugins)
    make_listing("BB-1", "10", "5", stock=5)
    make_listing("XX-2", "10", "5", stock=5)
    added = runner.invoke(
        app, ["filters", "add", "exclude", "--integration", "shop-es", "--sku-pattern", "XX-*"]
    )
    assert added.exit_code == 0 and "1 product(s) changed side" in added.output
    assert json.loads(runner.invoke(app, ["filters", "list", "--json"]).stdout)[0]["sku_pattern"] == "XX-*"
    (row,) = session.scalars(select(OutboxEntry))
    assert (row.kind, row.sku) == (OutboxKind.QUANTITY, "XX-2")
    assert catalog.quantities_to_push(session, integration.id, ["BB-1", "XX-2"]) == {
        "BB-1": catalog.PushQuantity(5),
        "XX-2": catalog.PushQuantity(0, "excluded by the integration's product filters"),
    }
    # applying again changes nothing and queues nothing more
    assert "1 excluded listing(s) held at 0 on shop-es; 0 changed side" in (
        runner.invoke(app, ["filters", "apply", "--integration", "shop-es"]).output
    )
    removed = runner.invoke(app, ["filters", "remove", "1"])
    assert "1 product(s) queued again on shop-es" in removed.output
    assert json.loads(runner.invoke(app, ["filters", "list", "--json"]).stdout) == []
    session.expire_all()
    assert [r.sku for r in session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))] == ["XX-2", "XX-2"]
    assert catalog.quantities_to_push(session, integration.id, ["XX-2"])["XX-2"] == catalog.PushQuantity(5)


def test_plugin_branch_matches_models_and_downgrades_alone(
    migrated: Settings, plugins: PluginManager
) -> None:
    url = migrated.database_url
    states = {s.branch: s for s in migrate.branch_states(plugins, url)}
    assert states["bigbuy_mip"].up_to_date
    with get_engine(url).connect() as conn:
        ours_only = {"include_name": lambda name, kind, _: kind != "table" or name.startswith("bigbuy_")}
        context = MigrationContext.configure(conn, opts={"compare_type": True, **ours_only})
        assert compare_metadata(context, BigbuyBase.metadata) == []
    migrate.downgrade(plugins, url, "bigbuy_mip@base")
    names = set(inspect(get_engine(url)).get_table_names())
    assert "bigbuy_product_filters" not in names and "integrations" in names


def test_pricing_settings_move_to_core_and_back_with_their_values(
    env: Settings, plugins: PluginManager
) -> None:
    """A database from before core owned pricing keeps each integration's switch and floor inputs."""
    url = env.database_url
    migrate.upgrade(plugins, url, "bigbuy_0001")
    migrate.upgrade(plugins, url, "0002_scheduled_jobs")
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO integrations "
                "(id, channel_key, marketplace, alias, settings, status, created_at, updated_at) "
                "VALUES (1, 'fake', 'XX', 'shop-es', '{}', 'live', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO bigbuy_integration_options (integration_id, rules_enabled, carrier_strategy, "
                "commission_percent, floor_shipping, updated_at) "
                "VALUES (1, :on, 'fastest', 12.5, 4.5, CURRENT_TIMESTAMP)"
            ),
            {"on": True},
        )
    migrate.upgrade(plugins, url)
    with Session(engine) as session:
        config = pricing.get_config(session, 1)
    assert (config.rules_enabled, config.commission_percent, config.floor_shipping) == (True, 12.5, 4.5)
    columns = {c["name"] for c in inspect(engine).get_columns("bigbuy_integration_options")}
    assert columns == {"integration_id", "carrier_strategy", "updated_at"}

    migrate.downgrade(plugins, url, "bigbuy_0001")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT rules_enabled, commission_percent, floor_shipping, carrier_strategy "
                "FROM bigbuy_integration_options"
            )
        ).one()
    assert (bool(row[0]), float(row[1]), float(row[2]), row[3]) == (True, 12.5, 4.5, "fastest")
