"""``channelhub integrations ...``: list, show, retry. Channel plugins add ``add <channel>``."""

from __future__ import annotations

import typer
from sqlalchemy import select

from core.cli.output import console, print_json, print_table
from core.db.models import Integration, SyncCursor
from core.db.session import session_scope
from core.plugins import get_plugin_manager
from core.services import integrations

app = typer.Typer(no_args_is_help=True)


def describe(integration: Integration) -> dict[str, object]:
    """What people and scripts see: never the credentials, only which ones are stored."""
    return {
        "id": integration.id,
        "alias": integration.alias,
        "channel": integration.channel_key,
        "marketplace": integration.marketplace,
        "status": integration.status.value,
        "reason": integration.status_reason,
        "settings": integration.settings,
        "credentials": sorted(integration.credentials()),
    }


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every integration with its status."""
    with session_scope() as session:
        rows = [describe(i) for i in session.scalars(select(Integration).order_by(Integration.alias))]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Integrations",
        ["alias", "channel", "marketplace", "status", "reason"],
        [(r["alias"], r["channel"], r["marketplace"], r["status"], r["reason"]) for r in rows],
    )


@app.command()
def show(name: str, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """One integration: settings, stored credential names, and where each stream stands."""
    with session_scope() as session:
        integration = integrations.find(session, name)
        info = describe(integration)
        info["streams"] = [
            {
                "stream": c.stream,
                "cursor": c.cursor,
                "last_success_at": c.last_success_at,
                "next_run_at": c.next_run_at,
                "failures": c.consecutive_failures,
                "last_error": c.last_error,
            }
            for c in session.scalars(select(SyncCursor).where(SyncCursor.integration_id == integration.id))
        ]
    if as_json:
        print_json(info)
        return
    for key in ("alias", "channel", "marketplace", "status", "reason", "settings", "credentials"):
        console.print(f"[bold]{key}[/bold]: {info[key]}", highlight=False)
    streams = info["streams"]
    assert isinstance(streams, list)
    print_table(
        "Streams",
        ["stream", "last success", "next run", "failures", "last error"],
        [
            (s["stream"], s["last_success_at"], s["next_run_at"], s["failures"], s["last_error"])
            for s in streams
        ],
    )


@app.command()
def retry(name: str) -> None:
    """Check the credentials again: Live if the channel accepts them, Error with the reason if not."""
    with session_scope() as session:
        integration_id = integrations.find(session, name).id
    verify_and_report(integration_id, name)


def verify_and_report(integration_id: int, alias: str) -> None:
    """Verify now and print ``alias: status (reason)``; a refusal exits 1.

    Shared by ``retry`` and the channel plugins' ``integrations add <channel>`` commands.
    """
    with session_scope() as session:
        integration = integrations.verify(session, integration_id, get_plugin_manager())
        status, reason = integration.status.value, integration.status_reason
    console.print(f"{alias}: {status}" + (f" ({reason})" if reason else ""), highlight=False, soft_wrap=True)
    if reason:
        raise typer.Exit(1)
