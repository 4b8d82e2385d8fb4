"""``channelhub integrations ...``: list, show, retry. Channel plugins add ``add <channel>``."""

from __future__ import annotations

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.cli.output import console, print_json, print_table
from core.db.models import Integration, NotifyState, Order, Shipment, SyncCursor, shipment_orders
from core.db.session import session_scope
from core.plugins import get_plugin_manager
from core.services import integrations, quarantine

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


def _attention(session: Session) -> dict[int, tuple[int, int]]:
    """Per integration id: open quarantine entries and failed channel notifications."""
    errors = quarantine.open_counts(session)
    failed = dict(
        session.execute(
            select(Order.integration_id, func.count(func.distinct(Shipment.id)))
            .join(shipment_orders, shipment_orders.c.order_id == Order.id)
            .join(Shipment, Shipment.id == shipment_orders.c.shipment_id)
            .where(Shipment.notify_state == NotifyState.FAILED)
            .group_by(Order.integration_id)
        ).all()
    )
    return {iid: (errors.get(iid, 0), failed.get(iid, 0)) for iid in {*errors, *failed}}


def _with_counts(info: dict[str, object], counts: dict[int, tuple[int, int]]) -> dict[str, object]:
    integration_id = info["id"]
    assert isinstance(integration_id, int)
    errors, failed = counts.get(integration_id, (0, 0))
    return {**info, "errors": errors, "failed_notifications": failed}


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every integration with its status, open errors and failed notifications."""
    with session_scope() as session:
        counts = _attention(session)
        rows = [
            _with_counts(describe(i), counts)
            for i in session.scalars(select(Integration).order_by(Integration.alias))
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        "Integrations",
        ["alias", "channel", "marketplace", "status", "errors", "failed notifications", "reason"],
        [
            (
                r["alias"],
                r["channel"],
                r["marketplace"],
                r["status"],
                r["errors"],
                r["failed_notifications"],
                r["reason"],
            )
            for r in rows
        ],
    )


@app.command()
def show(name: str, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """One integration: settings, stored credential names, and where each stream stands."""
    with session_scope() as session:
        integration = integrations.find(session, name)
        info = _with_counts(describe(integration), _attention(session))
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
    keys = ("alias", "channel", "marketplace", "status", "reason", "settings", "credentials")
    for key in (*keys, "errors", "failed_notifications"):
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
