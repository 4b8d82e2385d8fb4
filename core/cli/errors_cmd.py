"""``channelhub errors ...``: the records a sync could not take (the quarantine).

``list`` shows what, which record, why (field names, never values), when and how often it
was tried; ``retry`` asks the channel for quarantined orders again now and queues rejected
pushes again; ``dismiss`` closes entries someone decided not to import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from core.cli.output import console, print_json, print_table
from core.cli.validate import db_ids
from core.db.session import session_factory, session_scope
from core.errors import InputError
from core.plugins import get_plugin_manager
from core.services import integrations, quarantine

app = typer.Typer(no_args_is_help=True)

INTEGRATION = typer.Option(None, "--integration", "-i", help="Only this integration (alias).")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _integration_id(name: str | None) -> int | None:
    if name is None:
        return None
    with session_scope() as session:
        return integrations.find(session, name).id


@app.command("list")
def list_(
    integration: str | None = INTEGRATION,
    include_closed: bool = typer.Option(False, "--all", help="Also resolved and dismissed entries."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Records a sync could not take, oldest first."""
    integration_id = _integration_id(integration)
    with session_scope() as session:
        rows = [
            {k: _iso(v) for k, v in e.as_dict().items()}
            for e in quarantine.list_errors(session, integration_id, include_closed=include_closed)
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Errors",
        ["id", "integration", "stream", "record", "reason", "attempts", "first seen", "last tried", "state"],
        [
            (
                r["id"],
                r["integration"],
                r["stream"],
                r["reference"],
                r["reason"],
                r["attempts"],
                r["created_at"],
                r["last_attempt_at"],
                r["state"],
            )
            for r in rows
        ],
    )


def _targets(ids: list[int], integration: str | None) -> tuple[list[int], int | None]:
    if not ids and integration is None:
        raise InputError("ids", "name one or more error ids, or --integration ALIAS for all of one")
    return ids, _integration_id(integration)


@app.command()
def retry(
    ids: list[int] = typer.Argument(None, help="Error ids (from `errors list`).", callback=db_ids),
    integration: str | None = INTEGRATION,
) -> None:
    """Try quarantined records again now (orders are fetched again from the channel)."""
    wanted, integration_id = _targets(ids or [], integration)
    outcome = quarantine.retry(session_factory(), get_plugin_manager(), wanted, integration_id)
    console.print(
        f"imported {outcome.imported}, still failing {outcome.still_failing}, "
        f"queued again {outcome.requeued}",
        highlight=False,
    )


@app.command()
def dismiss(
    ids: list[int] = typer.Argument(None, help="Error ids (from `errors list`).", callback=db_ids),
    integration: str | None = INTEGRATION,
) -> None:
    """Close entries without importing them; their stored payloads are deleted."""
    wanted, integration_id = _targets(ids or [], integration)
    with session_scope() as session:
        count = quarantine.dismiss(session, wanted, integration_id)
    console.print(f"dismissed {count}", highlight=False)
