"""Core's command groups and top-level commands, in one registry ``build_app`` reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from core.cli import (
    carriers_cmd,
    catalog_cmd,
    db_cmd,
    demo,
    errors_cmd,
    integrations_cmd,
    order_workflow_cmd,
    plugins_cmd,
    rules_cmd,
    serve_cmd,
    sync_cmd,
    users_cmd,
    worker_cmd,
)

_ORDER_WORKFLOW = order_workflow_cmd  # its commands join the ``orders`` group when imported

GROUPS: dict[str, tuple[typer.Typer, str]] = {
    "plugins": (plugins_cmd.app, "Installed plugins and what they provide."),
    "db": (db_cmd.app, "Database schema: upgrade, downgrade, current."),
    "keys": (worker_cmd.keys_app, "Encryption keys for stored credentials."),
    "integrations": (integrations_cmd.app, "Connections to channel marketplaces: add, list, show, retry."),
    "sync": (sync_cmd.app, "Run sync streams now, in the foreground."),
    "errors": (errors_cmd.app, "Records a sync could not take (quarantine): list, retry, dismiss."),
    "orders": (catalog_cmd.orders_app, "Orders imported from every channel."),
    "products": (catalog_cmd.products_app, "Hub products, stock and listings."),
    "stock": (catalog_cmd.stock_app, "Set stock on hand (pushed to channels as available quantity)."),
    "price": (catalog_cmd.price_app, "Set listing prices (pushed to channels)."),
    "carriers": (carriers_cmd.app, "Carriers per integration and area: enable, disable, list."),
    "users": (users_cmd.users_app, "Console users and their roles: add, list."),
    "tokens": (users_cmd.tokens_app, "API tokens for scripts: create (shown once), list, revoke."),
    "rules": (
        rules_cmd.app,
        "Price rules of every pricing plugin: first match by priority, rounding, floor.",
    ),
}
"""Group path (space-separated) -> (typer app, help)."""

COMMANDS: dict[str, Callable[..., Any]] = {
    "worker": worker_cmd.worker,
    "scheduler": sync_cmd.scheduler,
    "run": sync_cmd.run,
    "usage": catalog_cmd.usage,
    "demo": demo.demo,
    "serve": serve_cmd.serve,
}
"""Top-level commands."""
