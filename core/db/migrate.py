"""Alembic, driven from code: core's revisions plus every plugin's own branch.

Core's revisions carry the branch label ``core``. A plugin declares its folder through the
``channelhub_migrations`` hook; its first revision has ``branch_labels=("<plugin>",)`` and
``depends_on`` a core revision, so ``upgrade heads`` creates it after core (quetz's scheme).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from core.db.session import get_engine, require_database, sqlite_file
from core.errors import ChannelhubError
from core.plugins import PluginManager

CORE_BRANCH = "core"


def _migrations_dir() -> Path:
    return Path(str(files("migrations")))


def alembic_config(plugins: PluginManager, url: str) -> Config:
    """An in-memory Alembic config with core's and every plugin's version locations."""
    cfg = Config()
    root = _migrations_dir()
    cfg.set_main_option("script_location", str(root))
    cfg.set_main_option("path_separator", "os")
    locations = [str(root / "versions")]
    locations += [str(loc.path) for loc in plugins.migration_locations()]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@dataclass(frozen=True, slots=True)
class BranchState:
    """Where one branch (core or a plugin) stands in a database."""

    branch: str
    head: str
    current: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _run(cfg: Config, action: str, target: str) -> None:
    engine = get_engine(cfg.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            getattr(command, action)(cfg, target)
    except CommandError as exc:
        raise ChannelhubError(f"migration {action} {target} failed: {exc}") from exc


def upgrade(plugins: PluginManager, url: str, target: str = "heads") -> None:
    """Apply core's and every plugin's revisions up to ``target`` (default: all heads)."""
    _run(alembic_config(plugins, url), "upgrade", target)


def downgrade(plugins: PluginManager, url: str, target: str) -> None:
    """Revert to ``target`` (``base`` removes every table, ``<branch>@base`` one branch)."""
    require_database(url)
    _run(alembic_config(plugins, url), "downgrade", target)


def _own_chain(script: ScriptDirectory, head: str) -> list[Script]:
    """Revisions from ``head`` down its own ``down_revision`` links, not its ``depends_on``.

    A plugin branch depends on core; following dependencies would make it look like core.
    """
    chain: list[Script] = []
    pending = [head]
    while pending:
        rev = script.get_revision(pending.pop())
        if rev is None or rev in chain:
            continue
        chain.append(rev)
        pending.extend(rev._versioned_down_revisions)
    return chain


def branches_dropped(plugins: PluginManager, url: str, target: str) -> list[str]:
    """Branches whose first revision ``downgrade target`` would revert: all their tables go.

    Uses Alembic's own downgrade planner (``ScriptDirectory._downgrade_revs``, what
    ``alembic downgrade --sql`` walks), so relative targets (``-1``, ``bigbuy_mip@-1``) and
    dependencies between branches resolve exactly as the downgrade itself will.
    """
    require_database(url)
    script = ScriptDirectory.from_config(alembic_config(plugins, url))
    with get_engine(url).connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    try:
        # command.downgrade passes the current heads tuple here too; the stub says str | None
        steps = script._downgrade_revs(target, heads)  # type: ignore[arg-type]
    except CommandError as exc:
        raise ChannelhubError(f"migration downgrade {target} failed: {exc}") from exc
    return sorted(
        label for step in steps if step.revision.is_base for label in step.revision.branch_labels or {"core"}
    )


def branch_states(plugins: PluginManager, url: str) -> list[BranchState]:
    """For each labelled branch (core, then plugins): its head and the database's revision on it."""
    cfg = alembic_config(plugins, url)
    script = ScriptDirectory.from_config(cfg)
    current: set[str] = set()
    missing = sqlite_file(url)
    if missing is None or missing.exists():  # a database not created yet is at base everywhere
        with get_engine(url).connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    applied = (
        {rev.revision for rev in script.iterate_revisions(tuple(current), "base") if rev is not None}
        if current
        else set()
    )
    labels = sorted({label for rev in script.walk_revisions() for label in rev.branch_labels})
    states = []
    for label in labels:
        head = script.get_revision(f"{label}@head")
        assert head is not None
        chain = _own_chain(script, head.revision)  # newest first
        at = next((rev.revision for rev in chain if rev.revision in applied), None)
        states.append(BranchState(label, head.revision, at))
    return sorted(states, key=lambda s: (s.branch != CORE_BRANCH, s.branch))
