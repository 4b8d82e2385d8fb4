"""``channelhub carriers enable|disable|list``: the host's carrier switches per area."""

from __future__ import annotations

from dataclasses import asdict

import typer

from core.cli import validate
from core.cli.output import console, err_console, print_json, print_table
from core.db.session import session_scope
from core.plugins import get_plugin_manager
from core.services import carriers, integrations

INTEGRATION = typer.Option(None, "--integration", help="Integration alias (default: every integration).")

app = typer.Typer(no_args_is_help=True)


def _ids(alias: str | None) -> list[int] | None:
    if alias is None:
        return None
    with session_scope() as session:
        return [integrations.find(session, alias).id]


@app.command("enable")
def enable(
    code: str = typer.Argument(..., help="Carrier code, e.g. gls.", callback=validate.code),
    area: str = typer.Option(..., "--area", help="Area code, e.g. ES-BALEARICS.", callback=validate.code),
    integration: str | None = INTEGRATION,
    yes: bool = typer.Option(
        False, "--yes", help="Re-run selection for pending orders of the area without asking."
    ),
    no_reselect: bool = typer.Option(
        False, "--no-reselect", help="Do not re-run selection for pending orders."
    ),
) -> None:
    """Enable a carrier in an area (takes effect at once); offers to re-select pending orders there."""
    plugins = get_plugin_manager()
    ids = _ids(integration)
    with session_scope() as session:
        done = carriers.set_enabled(session, plugins, code, area, enabled=True, integration_ids=ids)
    console.print(f"{code} enabled in {area} for {', '.join(done.integrations)}")
    waiting = done.pending_in_area
    if not waiting or no_reselect:
        return
    if not yes and not typer.confirm(
        f"Re-run carrier selection for {len(waiting)} pending order(s) in {area}?"
    ):
        return
    with session_scope() as session:
        result = carriers.reselect_pending(session, plugins, waiting)
    console.print(f"re-selected: {result.assigned} assigned, {result.still_pending} still pending")


@app.command("disable")
def disable(
    code: str = typer.Argument(..., help="Carrier code.", callback=validate.code),
    area: str = typer.Option(..., "--area", help="Area code.", callback=validate.code),
    integration: str | None = INTEGRATION,
) -> None:
    """Disable a carrier in an area (at once); its open orders there get another carrier or go to review."""
    ids = _ids(integration)
    with session_scope() as session:
        done = carriers.set_enabled(
            session, get_plugin_manager(), code, area, enabled=False, integration_ids=ids
        )
    console.print(f"{code} disabled in {area} for {', '.join(done.integrations)}")
    console.print(
        f"open orders of {code} in {area}: {done.reassigned} got another carrier, "
        f"{done.to_review} went to Pending review",
        soft_wrap=True,
    )
    for warning in done.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)


@app.command("list")
def list_carriers(
    integration: str | None = INTEGRATION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The matrix of integration x area x carrier, enabled or not."""
    ids = _ids(integration)
    with session_scope() as session:
        rows = carriers.matrix(session, get_plugin_manager(), ids)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    print_table(
        "Carriers",
        ["integration", "area", "carrier", "tracking", "enabled"],
        [(r.integration, r.area, r.carrier, r.tracking, "yes" if r.enabled else "NO") for r in rows],
    )
