"""Migrations: every table from Alembic (not create_all), plugin branches, up and down."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core.db import migrate
from core.db.models import Base  # importing the models registers their tables on Base
from core.db.session import get_engine
from core.hookspecs import hookimpl
from core.plugins import PluginManager
from core.settings import Settings
from core.types import MigrationLocation

CORE_TABLES = set(Base.metadata.tables)

PLUGIN_REVISION = '''
"""tinyshop tables"""
import sqlalchemy as sa
from alembic import op

revision = "tiny_0001"
down_revision = None
branch_labels = ("tinyshop",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "tinyshop_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    )


def downgrade():
    op.drop_table("tinyshop_tokens")
'''


def tables(url: str) -> set[str]:
    return set(inspect(get_engine(url)).get_table_names()) - {"alembic_version"}


@pytest.fixture
def with_plugin_branch(plugins: PluginManager, tmp_path: Path) -> Iterator[PluginManager]:
    folder = tmp_path / "tiny_migrations"
    folder.mkdir()
    (folder / "tiny_0001.py").write_text(textwrap.dedent(PLUGIN_REVISION))

    class TinyShop:
        @hookimpl
        def channelhub_migrations(self) -> Iterator[MigrationLocation]:
            yield MigrationLocation("tinyshop", folder)

    plugins.register(TinyShop(), "tinyshop")
    yield plugins


def test_upgrade_creates_every_core_table_and_downgrade_removes_them(
    env: Settings, plugins: PluginManager
) -> None:
    migrate.upgrade(plugins, env.database_url)
    assert tables(env.database_url) >= CORE_TABLES
    migrate.downgrade(plugins, env.database_url, "base")
    assert tables(env.database_url) == set()
    migrate.upgrade(plugins, env.database_url)
    assert tables(env.database_url) >= CORE_TABLES


def test_models_and_migrations_agree(migrated: Settings) -> None:
    """A model change without a migration fails here, before it reaches a user's database."""
    with get_engine(migrated.database_url).connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={  # installed plugins' branches add their own tables: not core's business
                "compare_type": True,
                "include_name": lambda name, kind, _parent: kind != "table" or name in CORE_TABLES,
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def test_plugin_branch_upgrades_after_core_and_downgrades_alone(
    env: Settings, with_plugin_branch: PluginManager
) -> None:
    url = env.database_url
    migrate.upgrade(with_plugin_branch, url)
    assert {"tinyshop_tokens", *CORE_TABLES} <= tables(url)

    states = {s.branch: s for s in migrate.branch_states(with_plugin_branch, url)}
    assert {"core", "tinyshop"} <= set(states)
    assert states["core"].up_to_date and states["tinyshop"].current == "tiny_0001"

    migrate.downgrade(with_plugin_branch, url, "tinyshop@base")
    assert "tinyshop_tokens" not in tables(url)
    assert tables(url) >= CORE_TABLES
    states = {s.branch: s for s in migrate.branch_states(with_plugin_branch, url)}
    assert states["tinyshop"].current is None and not states["tinyshop"].up_to_date
    assert states["core"].up_to_date


def test_db_current_before_any_upgrade_says_behind(env: Settings, plugins: PluginManager) -> None:
    states = migrate.branch_states(plugins, env.database_url)
    assert states[0].branch == "core"
    assert all(s.current is None and not s.up_to_date for s in states)
