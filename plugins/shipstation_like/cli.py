"""Commands: ``channelhub shipments ...`` (parcels are created by core's ``create_shipment``) and
``channelhub redact run``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from core.api import (
    InputError,
    ItemRequest,
    check_moment,
    console,
    create_shipment,
    find_order,
    get_plugin_manager,
    integration_aliases,
    integration_ref,
    print_json,
    print_table,
    session_factory,
    session_scope,
    utcnow,
    validate,
)
from plugins.shipstation_like.batch import load_batch
from plugins.shipstation_like.failed_notices import failed_notices, requeue_failed
from plugins.shipstation_like.notify import (
    DEFAULT_LIMIT,
    NotifySummary,
    manual_updates,
    notify_pending,
    pending_notices,
)
from plugins.shipstation_like.redaction import redact_due

shipments_app = typer.Typer(no_args_is_help=True)
redact_app = typer.Typer(no_args_is_help=True)

NOTIFY_HELP = "Tell the channel now (default); --no-notify leaves it queued for the worker."


def _notify(limit: int, *, quiet: bool = False) -> NotifySummary:
    summary = notify_pending(session_factory(), get_plugin_manager(), limit=limit)
    if summary.claimed and not quiet:
        console.print(
            f"notified {summary.sent} order(s) in {summary.calls} call(s); "
            f"{summary.retry_later} queued for retry, {summary.failed} failed"
        )
    return summary


@shipments_app.command("create")
def create(
    orders: Annotated[
        list[str],
        typer.Argument(
            help="Channel order id(s); several = one combined parcel.", callback=validate.reference
        ),
    ],
    carrier: str | None = typer.Option(
        None, "--carrier", help="Carrier code (default: the assigned one).", callback=validate.code
    ),
    service: str | None = typer.Option(
        None, "--service", help="Carrier service code.", callback=validate.code
    ),
    tracking: str | None = typer.Option(
        None, "--tracking", help="Tracking number.", callback=validate.reference
    ),
    item: Annotated[
        list[str] | None,
        typer.Option(
            "--item",
            help="Ship part of one order: ITEM or ITEM:QTY (item id or SKU); repeatable.",
            callback=validate.label,
        ),
    ] = None,
    notify: bool = typer.Option(True, "--notify/--no-notify", help=NOTIFY_HELP),
) -> None:
    """Create one shipment for the order(s), or for some items of one order (a split)."""
    items = [ItemRequest.parse(text) for text in item or ()]
    with session_scope() as session:
        found = [find_order(session, ref) for ref in orders]
        shipment = create_shipment(
            session,
            get_plugin_manager(),
            found,
            carrier_code=carrier,
            service=service,
            tracking=tracking,
            items=items,
        )
        shipment_id, state = shipment.id, shipment.notify_state.value
    console.print(f"shipment {shipment_id} created (notification: {state})")
    if notify:
        _notify(DEFAULT_LIMIT)


@shipments_app.command("batch")
def batch(
    source: Annotated[Path, typer.Option("--from", exists=True, dir_okay=False, help="CSV file.")],
    notify: bool = typer.Option(True, "--notify/--no-notify", help=NOTIFY_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Create shipments from CSV rows (order, carrier, service, tracking[, items]).

    A bad row is reported with its line number; the other rows still ship. The batch's
    notifications go out together: one call per integration.
    """
    with session_scope() as session:
        result = load_batch(session, get_plugin_manager(), source.read_bytes())
    summary = (
        _notify(max(DEFAULT_LIMIT, len(result.created)), quiet=as_json) if notify and result.created else None
    )
    if as_json:
        print_json({**asdict(result), "notify": asdict(summary) if summary else None})
    else:
        console.print(
            f"batch {result.batch_id}: {len(result.created)} shipment(s) created, "
            f"{len(result.skipped)} row(s) already loaded, {len(result.errors)} error(s)"
        )
        for error in result.errors:
            console.print(f"  line {error.line}: {error.error}", highlight=False)
    if result.errors:
        raise typer.Exit(1)


@shipments_app.command("pending-notify")
def pending_notify(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Channel notifications not yet through (queued for retry, or being sent)."""
    with session_scope() as session:
        rows = pending_notices(session)
        aliases = integration_aliases(session)
    if as_json:
        print_json(
            [
                {
                    "id": r.notice_id,
                    "shipment_id": r.shipment_id,
                    "channel_order_id": r.channel_order_id,
                    **integration_ref(r.integration_id, aliases.get(r.integration_id)),
                    "state": r.state,
                    "attempts": r.attempts,
                    "next_attempt_at": r.next_attempt_at,
                    "possibly_sent": r.possibly_sent,
                    "last_error": r.last_error,
                }
                for r in rows
            ]
        )
        return
    print_table(
        "Pending channel notifications",
        ["shipment", "order", "state", "attempts", "next attempt", "possibly sent", "last error"],
        [
            (
                r.shipment_id,
                r.channel_order_id,
                r.state,
                r.attempts,
                r.next_attempt_at,
                r.possibly_sent,
                r.last_error,
            )
            for r in rows
        ],
    )


@shipments_app.command("failed")
def failed(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Notifications the channel refused for good; `shipments retry` queues them again."""
    with session_scope() as session:
        rows = failed_notices(session)
    if as_json:
        print_json(
            [
                {
                    "id": r.notice_id,
                    "shipment_id": r.shipment_id,
                    "channel_order_id": r.channel_order_id,
                    "integration_id": r.integration_id,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                }
                for r in rows
            ]
        )
        return
    print_table(
        "Failed channel notifications",
        ["id", "shipment", "order", "attempts", "last error"],
        [(r.notice_id, r.shipment_id, r.channel_order_id, r.attempts, r.last_error) for r in rows],
    )


@shipments_app.command("retry")
def retry(
    ids: list[int] = typer.Argument(None, help="Ids from `shipments failed`.", callback=validate.db_ids),
    all_failed: bool = typer.Option(False, "--all", help="Every failed notification."),
) -> None:
    """Queue failed notifications again; the next notify pass (or `shipments notify`) sends them."""
    if not ids and not all_failed:
        raise InputError("ids", "name one or more ids from `shipments failed`, or --all")
    with session_scope() as session:
        count = requeue_failed(session, None if all_failed else ids)
    console.print(f"queued {count} notification(s) again", highlight=False)


@shipments_app.command("notify")
def notify_now(limit: int = typer.Option(DEFAULT_LIMIT, min=1, help="Most notifications to send.")) -> None:
    """Send due notifications now (what the worker does on schedule)."""
    if not _notify(limit).claimed:
        console.print("no notification due")


@shipments_app.command("manual")
def manual(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Orders of combined shipments the channel was not told about: update them by hand."""
    with session_scope() as session:
        rows = manual_updates(session)
        aliases = integration_aliases(session)
    if as_json:
        print_json(
            [
                {"shipment_id": s, "channel_order_id": o, **integration_ref(i, aliases.get(i))}
                for s, o, i in rows
            ]
        )
        return
    print_table("Orders to update on the channel by hand", ["shipment", "order", "integration"], rows)


def parse_as_of(text: str | None) -> datetime:
    """An ISO date-time; without a zone it is taken as UTC."""
    if text is None:
        return utcnow()
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError("as-of", f"{text!r} is not an ISO date-time like 2026-01-31T00:00:00Z") from exc
    return check_moment(value if value.tzinfo else value.replace(tzinfo=UTC), "as-of").astimezone(UTC)


@redact_app.command("run")
def run(
    as_of: str | None = typer.Option(
        None, "--as-of", help="ISO date-time to judge due dates at (default: now)."
    ),
) -> None:
    """Redact personal data of every order due by the schedule. Irreversible."""
    moment = parse_as_of(as_of)
    with session_scope() as session:
        count = redact_due(session, get_plugin_manager(), moment)
    console.print(f"{count} order(s) redacted as of {moment.isoformat()}")
