"""``channelhub orders hold|release|queue|pending|assign-carrier``: working the orders to ship.

These add to the ``orders`` group of :mod:`core.cli.catalog_cmd`; every change goes through
:mod:`core.services.orders`, the same functions the console calls.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

import typer

from core.cli import validate
from core.cli.catalog_cmd import orders_app
from core.cli.output import console, print_json, print_table
from core.db.base import utcnow
from core.db.models import TO_SHIP_STATUSES, OrderStatus
from core.db.session import session_scope
from core.json_convention import integration_ref
from core.plugins import get_plugin_manager
from core.services import integrations, orders

ORDER = typer.Argument(..., help="Channel order id, ALIAS:ID or the hub id.", callback=validate.label)
JSON = typer.Option(False, "--json", help="Machine-readable output.")


@orders_app.command("hold")
def hold(order: str = ORDER) -> None:
    """Put an order awaiting shipment on hold; nothing ships it until it is released."""
    with session_scope() as session:
        orders.hold(session, orders.find_order(session, order).id)
    console.print(f"order {order} is on hold", highlight=False, markup=False)


@orders_app.command("release")
def release(order: str = ORDER) -> None:
    """Return an order on hold to Awaiting shipment."""
    with session_scope() as session:
        orders.release(session, orders.find_order(session, order).id)
    console.print(f"order {order} is awaiting shipment", highlight=False, markup=False)


@orders_app.command("queue")
def queue(
    status: Annotated[
        list[OrderStatus] | None,
        typer.Option("--status", help="Statuses to show (repeatable; default: every unshipped one)."),
    ] = None,
    sort: Annotated[orders.QueueSort, typer.Option("--sort")] = orders.QueueSort.SHIP_BY,
    late_hours: int = typer.Option(
        orders.DEFAULT_LATE_HOURS,
        "--late-hours",
        min=0,
        max=100_000,
        help="Flag orders due to ship within this.",
    ),
    late_only: bool = typer.Option(False, "--late-only", help="Only late-risk orders."),
    limit: int = typer.Option(200, min=1, max=100_000),
    as_json: bool = JSON,
) -> None:
    """Orders to ship, with ship-by date and a late-risk flag, sorted by ship-by by default."""
    with session_scope() as session:
        rows = orders.ship_queue(
            session,
            now=utcnow(),
            statuses=status or TO_SHIP_STATUSES,
            sort=sort,
            late_within=timedelta(hours=late_hours),
            late_only=late_only,
            limit=limit,
        )
    if as_json:
        print_json(
            [
                {
                    "id": r.order_id,
                    "channel_order_id": r.channel_order_id,
                    **integration_ref(r.integration_id, r.integration),
                    "status": r.status,
                    "purchase_date": r.purchase_date,
                    "ship_by": r.ship_by,
                    "late_risk": r.late_risk,
                }
                for r in rows
            ]
        )
        return
    print_table(
        "Orders to ship",
        ["order", "integration", "status", "purchased", "ship by", "late risk"],
        [
            (
                r.channel_order_id,
                r.integration,
                r.status,
                r.purchase_date,
                r.ship_by,
                "LATE RISK" if r.late_risk else "",
            )
            for r in rows
        ],
    )


@orders_app.command("pending")
def pending(
    integration: str | None = typer.Option(
        None, "--integration", "-i", help="Only this integration's orders."
    ),
    as_json: bool = JSON,
) -> None:
    """Orders in Pending review, with the reason and the carriers that could serve them."""
    with session_scope() as session:
        ids = [integrations.find(session, integration).id] if integration else None
        found = orders.pending_review(session, get_plugin_manager(), ids)
    if as_json:
        print_json([asdict(p) for p in found])
        return
    print_table(
        "Pending review",
        ["order", "integration", "destination", "area", "reason", "carriers (enabled*)"],
        [
            (
                p.channel_order_id,
                p.integration,
                p.destination,
                p.area,
                p.reason,
                ", ".join(f"{c['code']}{'*' if c['enabled'] else ''}" for c in p.available),
            )
            for p in found
        ],
    )


@orders_app.command("assign-carrier")
def assign_carrier(
    order: str = ORDER,
    code: str = typer.Argument(..., help="Carrier code.", callback=validate.code),
    service: str | None = typer.Option(
        None, "--service", help="Service code (default: the carrier's first).", callback=validate.code
    ),
    integration: str | None = typer.Option(
        None, "--integration", help="Integration alias, if the id is ambiguous."
    ),
    force: bool = typer.Option(
        False, "--force", help="Accept a carrier that does not serve the destination."
    ),
) -> None:
    """Choose an order's carrier by hand; the order leaves Pending review and continues."""
    with session_scope() as session:
        target = integrations.find(session, integration) if integration else None
        found = orders.find_order(session, order, target)
        chosen = orders.assign_carrier(session, get_plugin_manager(), found.id, code, service, force=force)
        service_code = chosen.service_code
    console.print(f"order {order}: {code} ({service_code}), awaiting shipment", highlight=False, markup=False)
