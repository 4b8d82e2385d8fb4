"""``channelhub plugins ...``: what is installed, from where, and what failed."""

from __future__ import annotations

from dataclasses import asdict

import typer

from core.cli import scaffold
from core.cli.output import err_console, print_json, print_table
from core.plugins import get_plugin_manager

app = typer.Typer(help="Installed plugins.", no_args_is_help=True)
app.add_typer(scaffold.app, name="new")


@app.command("list")
def list_plugins(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List loaded plugins (name, version, distribution, hooks) and any that failed."""
    manager = get_plugin_manager()
    if as_json:
        print_json(
            {
                "plugins": [asdict(p) for p in manager.plugins],
                "failed": [asdict(f) for f in manager.failures],
            }
        )
        return
    print_table(
        "Plugins",
        ["name", "version", "distribution", "hooks"],
        [(p.name, p.version, p.distribution, ", ".join(p.hooks)) for p in manager.plugins],
    )
    for failure in manager.failures:
        err_console.print(f"[red]failed:[/red] {failure}")
