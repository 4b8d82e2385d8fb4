"""Core's command groups and top-level commands, in one registry ``build_app`` reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from core.cli import db_cmd, plugins_cmd, worker_cmd

GROUPS: dict[str, tuple[typer.Typer, str]] = {
    "plugins": (plugins_cmd.app, "Installed plugins and what they provide."),
    "db": (db_cmd.app, "Database schema: upgrade, downgrade, current."),
    "keys": (worker_cmd.keys_app, "Encryption keys for stored credentials."),
}
"""Group path (space-separated) -> (typer app, help)."""

COMMANDS: dict[str, Callable[..., Any]] = {"worker": worker_cmd.worker}
"""Top-level commands."""
