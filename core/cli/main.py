"""Entry point of the ``channelhub`` command.

Errors reach a person as one line and a non-zero exit; ``--debug`` (or CHANNELHUB_DEBUG=1)
shows the traceback instead. Plugins add command groups through ``channelhub_cli``.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any

import typer
import typer.main
from redis.exceptions import RedisError
from rich.markup import escape
from sqlalchemy.exc import OperationalError
from typer.exceptions import TyperException

from core import __version__
from core.cli import commands as core_commands
from core.cli import integrations_cmd
from core.cli.output import err_console, redact_url
from core.errors import ChannelhubError, InputError
from core.logs import configure_logging, describe_error
from core.plugins import PluginManager, get_plugin_manager
from core.runtime import tune_garbage_collector
from core.settings import get_settings

EXIT_ERROR = 1
EXIT_USAGE = 2
"""Bad input (as click uses for usage errors): nothing was changed."""


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

    A plugin's :class:`~core.types.CliGroup` names a group path: ``parent`` (itself a path
    such as ``"integrations add"``) plus ``name``. The plugin's commands are merged into the
    group at that path, created when missing, so ``orders pending`` from a carrier plugin
    sits beside core's ``orders list``, and two channel plugins can each add a command under
    ``integrations add``.
    """
    app = typer.Typer(
        name="channelhub",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root_callback)
    for name, command in core_commands.COMMANDS.items():
        app.command(name)(command)
    groups: dict[tuple[str, ...], typer.Typer] = {}
    helps: dict[tuple[str, ...], str | None] = {}
    for name, (typer_app, help_text) in core_commands.GROUPS.items():
        # a fresh group per build around core's (module-level) app: plugins' commands and the
        # sub-groups attached below go into it, so no build leaks into the next one
        group = typer.Typer(no_args_is_help=True)
        group.add_typer(typer_app)
        groups[tuple(name.split())] = group
        helps[tuple(name.split())] = help_text
    groups[("integrations", "add")] = integrations_cmd.add_app(plugins)
    helps[("integrations", "add")] = "Connect a sales channel: one command per installed channel type."

    def group_at(path: tuple[str, ...], help_text: str | None) -> typer.Typer:
        if path not in groups:
            groups[path] = typer.Typer(no_args_is_help=True)
            helps[path] = help_text or f"{' '.join(path)} commands."
        return groups[path]

    for contributed in plugins.cli_groups():
        path = (*(contributed.parent or "").split(), *contributed.name.split())
        for depth in range(1, len(path)):
            group_at(path[:depth], None)
        if path not in groups:  # the first contributor's app is the group (its callback too)
            groups[path] = contributed.app
            helps[path] = contributed.help or None
        else:
            groups[path].add_typer(contributed.app)
    # attach deepest first so each child is complete when added to its parent
    for path in sorted(groups, key=len, reverse=True):
        parent = app if len(path) == 1 else groups[path[:-1]]
        parent.add_typer(groups[path], name=path[-1], help=helps.get(path))
    return app


@lru_cache(maxsize=2)
def command_for(plugins: PluginManager) -> Any:
    """The click command tree, built once per plugin manager (typer's conversion of every
    command is the slow part of a start, and tests call ``main`` thousands of times)."""
    return typer.main.get_command(build_app(plugins))


def _explain(exc: Exception) -> str | None:
    """One actionable line for the infrastructure failures people meet most."""
    settings = get_settings()
    if isinstance(exc, OperationalError):
        text = str(exc.orig or exc)
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            return "the database has no channelhub tables yet: run `channelhub db upgrade`"
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        return (
            f"cannot use the database at {redact_url(settings.database_url)} ({first}); is it running, "
            "and is CHANNELHUB_DATABASE_URL right?"
        )
    if isinstance(exc, RedisError):
        return (
            f"cannot reach Redis at {redact_url(settings.redis_url or '')} ({exc}); start it, or unset "
            "CHANNELHUB_REDIS_URL to run embedded"
        )
    return None


def _debug_requested(argv: list[str]) -> bool:
    """``--debug`` is the root's option (``channelhub --debug orders list``): only the options
    before the command count, so a value such as ``--tracking --debug`` does not switch it on."""
    for arg in argv:
        if not arg.startswith("-"):
            break
        if arg == "--debug":
            return True
    return os.environ.get("CHANNELHUB_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = get_settings()
        configure_logging(settings.log_level, json=settings.log_json)
        tune_garbage_collector()
        code = command_for(get_plugin_manager()).main(
            args=args, prog_name="channelhub", standalone_mode=False
        )
    except TyperException as exc:  # unknown option, missing argument, not a number...
        err_console.print(
            f"[red]error:[/red] {_one_line(exc.format_message())}", highlight=False, soft_wrap=True
        )
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        err_console.print("[red]error:[/red] aborted", highlight=False)
        sys.exit(EXIT_ERROR)
    except InputError as exc:
        if _debug_requested(args):
            raise
        err_console.print(f"[red]error:[/red] {_one_line(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
    except ChannelhubError as exc:
        if _debug_requested(args):
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:
        if _debug_requested(args):
            raise
        explained = _explain(exc)
        if explained:
            err_console.print(f"[red]error:[/red] {explained}", highlight=False, soft_wrap=True)
            sys.exit(EXIT_ERROR)
        err_console.print(
            f"[red]error:[/red] unexpected {_one_line(describe_error(exc))} "
            "(run again with --debug for the traceback, and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(text: str) -> str:
    """Bad input quoted back must not break the one-line error (newlines, markup)."""
    return escape(" ".join(text.split())[:500])
