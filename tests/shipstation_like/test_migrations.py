"""The plugin's tables come from its own Alembic branch, and match its models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core.db import migrate
from core.db.session import get_engine
from core.plugins import PluginManager
from core.settings import Settings
from plugins.shipstation_like.tables import ShipstationBase

OWN_TABLES = set(ShipstationBase.metadata.tables)


def test_models_and_branch_agree(migrated: Settings) -> None:
    with get_engine(migrated.database_url).connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parent: kind != "table" or name in OWN_TABLES,
            },
        )
        assert compare_metadata(context, ShipstationBase.metadata) == []


def test_branch_downgrades_alone(migrated: Settings, plugins: PluginManager) -> None:
    url = migrated.database_url
    assert all(t.startswith("shipstation_") for t in OWN_TABLES)
    assert set(inspect(get_engine(url)).get_table_names()) >= OWN_TABLES
    migrate.downgrade(plugins, url, "shipstation_like@base")
    remaining = set(inspect(get_engine(url)).get_table_names())
    assert not OWN_TABLES & remaining and "shipments" in remaining
    migrate.upgrade(plugins, url)
    assert set(inspect(get_engine(url)).get_table_names()) >= OWN_TABLES
