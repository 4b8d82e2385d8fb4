"""Entry point of the ``channelhub`` command.

Errors reach a person as one line and a non-zero exit; ``--debug`` (or CHANNELHUB_DEBUG=1)
shows the traceback instead. Plugins add command groups through ``channelhub_cli``.
"""

from __future__ import annotations

import os
import sys

import typer

from core import __version__
from core.cli import db_cmd, plugins_cmd, worker_cmd
from core.cli.output import err_console
from core.errors import ChannelhubError
from core.logs import configure_logging
from core.plugins import PluginManager, get_plugin_manager
from core.settings import get_settings

EXIT_ERROR = 1


def _version(value: bool) -> None:
    if value:
        typer.echo(f"channelhub {__version__}")
        raise typer.Exit()


def _root_callback(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    """channelhub: connect a catalogue to sales channels, carriers and price rules."""


def build_app(plugins: PluginManager) -> typer.Typer:
    """The root command with core's groups and every plugin's.

    A plugin group whose name matches an existing group (``orders``, say) adds its commands
    to that group, so a carrier plugin's ``orders pending`` sits beside core's ``orders list``.
    A group with a ``parent`` nests under it (``sandbox amazon serve``).
    """
    app = typer.Typer(
        name="channelhub",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root_callback)
    app.command("worker")(worker_cmd.worker)
    groups: dict[str, typer.Typer] = {
        "plugins": plugins_cmd.app,
        "db": db_cmd.app,
        "keys": worker_cmd.keys_app,
    }
    helps: dict[str, str] = {
        "plugins": "Installed plugins and what they provide.",
        "db": "Database schema: upgrade, downgrade, current.",
        "keys": "Encryption keys for stored credentials.",
    }

    def group_named(name: str, help_text: str) -> typer.Typer:
        if name not in groups:
            groups[name] = typer.Typer(no_args_is_help=True)
            helps[name] = help_text or f"{name} commands."
        return groups[name]

    for group in plugins.cli_groups():
        if group.parent is None:
            group_named(group.name, group.help).add_typer(group.app)
        else:
            group_named(group.parent, "").add_typer(group.app, name=group.name, help=group.help)
    for name, typer_app in groups.items():
        app.add_typer(typer_app, name=name, help=helps.get(name))
    return app


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("CHANNELHUB_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = get_settings()
        configure_logging(settings.log_level, json=settings.log_json)
        build_app(get_plugin_manager())(args=args, prog_name="channelhub")
    except ChannelhubError as exc:
        if _debug_requested(args):
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        if _debug_requested(args):
            raise
        err_console.print(
            f"[red]error:[/red] unexpected {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_ERROR)
