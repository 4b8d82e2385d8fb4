"""``channelhub integrations add amazon``: connect one Amazon marketplace."""

from __future__ import annotations

import typer

from core.cli import validate
from core.cli.integrations_cmd import verify_and_report
from core.cli.output import console
from core.db.session import session_scope
from core.errors import InputError
from core.plugins import get_plugin_manager
from core.services import integrations

app = typer.Typer()


def _choices(value: str, field: str, allow_none: bool = False) -> list[str]:
    if allow_none and value.strip().lower() == "none":
        return []
    items = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [item for item in items if item not in ("mfn", "fba")]
    if unknown or not items:
        raise InputError(field, f"use mfn, fba or mfn,fba{' or none' if allow_none else ''}; got {value!r}")
    return items


@app.command("amazon")
def add_amazon(
    marketplace: str = typer.Option(..., "--marketplace", "-m", help="Marketplace code: UK, DE, US, ..."),
    alias: str = typer.Option(
        ..., help="A name for this integration, e.g. amazon-uk.", callback=validate.alias
    ),
    seller_id: str = typer.Option(
        ..., "--seller-id", help="Your merchant token (Seller Central).", callback=validate.secret
    ),
    refresh_token: str = typer.Option(
        ...,
        "--refresh-token",
        envvar="AMAZON_REFRESH_TOKEN",
        help="LWA refresh token (stored encrypted).",
        callback=validate.secret,
    ),
    client_id: str | None = typer.Option(
        None, "--client-id", envvar="AMAZON_CLIENT_ID", callback=validate.secret
    ),
    client_secret: str | None = typer.Option(
        None, "--client-secret", envvar="AMAZON_CLIENT_SECRET", callback=validate.secret
    ),
    orders: str = typer.Option("mfn,fba", help="Orders to import: mfn, fba or mfn,fba."),
    history_days: int = typer.Option(
        30, "--history-days", help="Days of history to import first (max 30).", callback=validate.quantity
    ),
    inventory: str = typer.Option("mfn,fba", help="Inventory to import: mfn, fba, mfn,fba or none."),
    handling_days: int = typer.Option(
        1, "--handling-days", help="Default handling time in days.", callback=validate.quantity
    ),
    ioss: str | None = typer.Option(
        None, help="IOSS number to prefill on EU shipments.", callback=validate.code
    ),
    identifier: str = typer.Option("sku", help="Match products by sku or asin."),
    endpoint: str | None = typer.Option(
        None, help="SP-API base URL instead of Amazon's (e.g. the sandbox).", callback=validate.label
    ),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Check the credentials now."),
) -> None:
    """Connect an Amazon marketplace. It starts Incomplete and becomes Live once Amazon accepts it."""
    settings = {
        "seller_id": seller_id,
        "orders": _choices(orders, "orders"),
        "history_days": history_days,
        "inventory": _choices(inventory, "inventory", allow_none=True),
        "handling_days": handling_days,
        "ioss": ioss,
        "identifier": identifier,
        "endpoint": endpoint,
    }
    credentials = {
        "refresh_token": refresh_token,
        "client_id": client_id or "",
        "client_secret": client_secret or "",
    }
    plugins = get_plugin_manager()
    with session_scope() as session:
        integration = integrations.add(
            session,
            plugins,
            channel_key="amazon",
            marketplace=marketplace,
            alias=alias,
            settings={k: v for k, v in settings.items() if v is not None},
            credentials=credentials,
        )
        integration_id = integration.id
    if not verify:
        console.print(
            f"{alias}: added, incomplete (run `channelhub integrations retry {alias}`)", highlight=False
        )
        return
    verify_and_report(integration_id, alias)
