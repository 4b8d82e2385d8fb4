"""``channelhub db ...``: schema migrations for core and every plugin branch."""

from __future__ import annotations

import sys
from dataclasses import asdict

import typer

from core.cli.output import console, print_json, print_table
from core.db import migrate
from core.errors import ConfigError
from core.plugins import get_plugin_manager
from core.settings import get_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("heads", help="Target; default applies every branch."),
) -> None:
    """Create or update every table (core's and each installed plugin's)."""
    url = get_settings().database_url
    migrate.upgrade(get_plugin_manager(), url, revision)
    console.print(f"database upgraded to {revision}")


@app.command()
def downgrade(
    revision: str = typer.Argument(..., help="e.g. base, core@base, bigbuy_mip@base, -1"),
    yes: bool = typer.Option(False, "--yes", help="Drop whole branches without asking."),
) -> None:
    """Revert schema changes (``base`` drops every channelhub table, after asking)."""
    plugins, url = get_plugin_manager(), get_settings().database_url
    dropped = migrate.branches_dropped(plugins, url, revision)
    if dropped and not yes:
        what = f"every table of {', '.join(dropped)}, and the data in them"
        if not sys.stdin.isatty():
            raise ConfigError(f"downgrade {revision} would drop {what}: add --yes to confirm")
        typer.confirm(f"Downgrade {revision} drops {what}. Continue?", abort=True)
    migrate.downgrade(plugins, url, revision)
    console.print(f"database downgraded to {revision}")


@app.command()
def current(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show where each branch (core and each plugin) stands against its head."""
    states = migrate.branch_states(get_plugin_manager(), get_settings().database_url)
    if as_json:
        print_json([{**asdict(s), "up_to_date": s.up_to_date} for s in states])
        return
    print_table(
        "Migrations",
        ["branch", "current", "head", "state"],
        [(s.branch, s.current or "-", s.head, "up to date" if s.up_to_date else "behind") for s in states],
    )
