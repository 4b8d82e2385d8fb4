"""Server-rendered pages (Jinja2, autoescaped: channel data is untrusted) and their form posts.

Each page shows the records :mod:`core.web.views` builds for the API. A control is rendered
only for a role that may use it; the handler behind it checks the role again (403), and the
CSRF token (:func:`core.web.security.check_csrf`) on every post.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.templating import Jinja2Templates

from core import __version__
from core.db.models import OrderStatus
from core.db.session import session_factory
from core.errors import InputError
from core.plugins import PluginManager
from core.services import carriers, fees, integrations, orders, pricing, quarantine, users
from core.services.prices import decimals_of
from core.services.users import Permission
from core.web import charts, views
from core.web.db import db_session, plugin_manager
from core.web.security import Caller, check_csrf, csrf_token, current_caller, require, sign_in, sign_out

HERE = Path(__file__).parent
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)


def amount(value: str | None, currency: str | None) -> str:
    """A money string as people read it: the currency's decimals ("68.9800" GBP -> "68.98").

    The JSON keeps the stored value (docs/cli.md); only pages round, never below a stored digit
    that is not zero (a price of 1.2345 stays as it is rather than look like 1.23).
    """
    if value is None:
        return ""
    try:
        places = Decimal(1).scaleb(-decimals_of(currency or ""))
        exact = Decimal(value)
        shown = exact.quantize(places)
    except (InputError, InvalidOperation):
        return value
    return str(shown) if shown == exact else value


templates.env.filters["amount"] = amount
router = APIRouter(
    default_response_class=HTMLResponse, dependencies=[Depends(check_csrf)], include_in_schema=False
)
DB = Depends(db_session)
READ = Depends(current_caller)


PLUGINS = Depends(plugin_manager)


def render(
    request: Request, name: str, caller: Caller | None, status_code: int = 200, **context: Any
) -> Response:
    return templates.TemplateResponse(
        request,
        name,
        {"caller": caller, "csrf": csrf_token(request), "version": __version__, **context},
        status_code=status_code,
    )


def problem(request: Request, message: str, status_code: int) -> Response:
    """A page that says what was wrong (bad input, missing thing) in one line."""
    return render(request, "problem.html", None, status_code, message=message)


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---------------------------------------------------------------------- login
@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=next if next.startswith("/") else "/")


@router.post("/login")
def login(
    request: Request,
    name: str = Form(max_length=100),
    password: str = Form(max_length=1000),
    next: str = Form("/"),
    session: Session = DB,
) -> Response:
    user = users.authenticate(session, name, password)
    if user is None:
        return render(request, "login.html", None, 401, next=next, error="wrong name or password")
    sign_in(request, user)
    return back(next if next.startswith("/") and not next.startswith("//") else "/")


@router.post("/logout")
def logout(request: Request) -> Response:
    sign_out(request)
    return back("/login")


@router.get("/")
def home() -> Response:
    return back("/integrations")


# ---------------------------------------------------------------------- integrations
@router.get("/integrations")
def integrations_page(
    request: Request, caller: Caller = READ, session: Session = DB, plugins: PluginManager = PLUGINS
) -> Response:
    return render(
        request,
        "integrations.html",
        caller,
        rows=views.integration_records(session),
        channel_types=integrations.channel_types(plugins),
    )


def _prefixed(form: Mapping[str, Any], prefix: str) -> dict[str, str]:
    return {
        k.removeprefix(prefix): v
        for k, v in form.items()
        if k.startswith(prefix) and isinstance(v, str) and v.strip() != ""
    }


@router.post("/integrations/add")
async def integrations_add(
    request: Request,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """The add form, built from the channel type's settings and credential fields."""
    form = dict(await request.form())
    channel = str(form.get("channel", ""))
    info = next((t for t in integrations.channel_types(plugins) if t.key == channel), None)
    if info is None:
        raise InputError("channel", f"unknown channel type {channel!r}")
    fields = {f.name: f for f in info.settings_fields}
    settings = {
        name: integrations.parse_setting(fields[name], text)
        for name, text in _prefixed(form, "setting.").items()
        if name in fields
    }
    integrations.add(
        session,
        plugins,
        channel,
        str(form.get("alias", "")),
        settings,
        _prefixed(form, "credential."),
        marketplace=str(form.get("marketplace") or "") or None,
    )
    return back("/integrations")


@router.post("/integrations/{name}/credentials")
async def integrations_credentials(
    request: Request,
    name: str,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """New credentials (only the fields filled in change), verified before they are kept."""
    integrations.update(
        session, plugins, name, credentials=_prefixed(dict(await request.form()), "credential.")
    )
    return back("/integrations")


@router.post("/integrations/{name}/{action}")
def integrations_action(
    name: str,
    action: str,
    keep_orders: bool = Form(True),
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """Retry (verify again), disable, enable or remove."""
    if action == "retry":
        integrations.verify(session, integrations.find(session, name).id, plugins)
    elif action == "disable":
        integrations.disable(session, name)
    elif action == "enable":
        integrations.enable(session, plugins, name)
    elif action == "remove":
        integrations.remove(session, name, keep_orders=keep_orders)
    else:
        raise InputError("action", "must be retry, disable, enable or remove")
    return back("/integrations")


# ---------------------------------------------------------------------- carriers
@router.get("/carriers")
def carriers_page(
    request: Request,
    fees_for: int | None = Query(None, ge=1, le=2**31 - 1),
    strategy: str = "conservative",
    caller: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """The switches, and the fee table of one integration (the first by alias unless chosen)."""
    targets = integrations.aliases(session)
    chosen = fees_for or min(targets, key=lambda i: targets[i], default=None)
    table = views.fee_record(session, plugins, chosen, strategy) if chosen is not None else None
    return render(
        request,
        "carriers.html",
        caller,
        rows=views.carrier_matrix(session, plugins),
        fees=table,
        targets=targets,
        strategies=list(fees.STRATEGIES),
    )


@router.get("/carriers/fees")
def carriers_fees(
    request: Request,
    fees_for: int = Query(ge=1, le=2**31 - 1),
    strategy: str = "conservative",
    caller: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """The fee table alone (htmx swaps it in after a switch, so a carrier switched off leaves it)."""
    table = views.fee_record(session, plugins, fees_for, strategy)
    return render(
        request,
        "_fees.html",
        caller,
        fees=table,
        targets=integrations.aliases(session),
        strategies=list(fees.STRATEGIES),
    )


@router.post("/carriers/{integration_id}/strategies/{key}")
def carriers_strategy(
    integration_id: int,
    key: str,
    value: str = Form(max_length=64),
    _: Caller = Depends(require(Permission.CARRIERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    fees.set_strategy(session, plugins, integration_id, key, value)
    return back(f"/carriers?fees_for={integration_id}#fees")


def _matrix_row(
    session: Session, plugins: PluginManager, integration_id: int, area: str, carrier: str
) -> dict[str, Any]:
    for row in views.carrier_matrix(session, plugins):
        if (row["integration_id"], row["area"], row["carrier"]) == (integration_id, area, carrier):
            return row
    raise InputError("carrier", f"{carrier} does not serve {area}")


@router.post("/carriers/switch")
def carriers_switch(
    request: Request,
    integration_id: int = Form(ge=1, le=2**31 - 1),
    area: str = Form(max_length=64),
    carrier: str = Form(max_length=64),
    enabled: bool = Form(),
    confirm: bool = Form(False),
    caller: Caller = Depends(require(Permission.CARRIERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """Switch at once; switching off an area's last carrier first returns a warning to confirm."""
    if not enabled and not confirm:
        impact = views.switch_impact(session, plugins, integration_id, area, carrier)
        if impact.warnings:
            row = _matrix_row(session, plugins, integration_id, area, carrier)
            return render(request, "_carrier_row.html", caller, row=row, impact=impact)
    done = carriers.set_enabled(
        session, plugins, carrier, area, enabled=enabled, integration_ids=[integration_id]
    )
    session.flush()
    row = _matrix_row(session, plugins, integration_id, area, carrier)
    answer = render(request, "_carrier_row.html", caller, row=row, done=done)
    answer.headers["HX-Trigger"] = "carriers-changed"  # the fee table lists enabled carriers only
    return answer


# ---------------------------------------------------------------------- orders
def _flag(value: str | None) -> bool:
    return value not in (None, "", "0", "false", "off")


@router.get("/orders")
def orders_page(
    request: Request,
    status: str | None = None,
    integration_id: str | None = None,
    pending_review: str | None = None,
    late_risk: str | None = None,
    include_closed: str | None = None,
    offset: int = 0,
    limit: int = 50,
    caller: Caller = READ,
    session: Session = DB,
) -> Response:
    chosen = None
    if status:
        try:
            chosen = OrderStatus(status)
        except ValueError:
            raise InputError("status", f"unknown status {status!r}") from None
    iid = None
    if integration_id:
        if not integration_id.isdigit():
            raise InputError("integration_id", "must be a number")
        iid = int(integration_id)
    review, late, closed = _flag(pending_review), _flag(late_risk), _flag(include_closed)
    filters: dict[str, object] = {
        "status": status or "",
        "integration_id": iid,
        "pending_review": review,
        "late_risk": late,
        "include_closed": closed,
    }
    page = views.order_page(
        session,
        status=chosen,
        integration_id=iid,
        pending_review=review,
        late_risk=late,
        include_closed=closed,
        offset=offset,
        limit=limit,
    )
    query = "&".join(
        f"{k}={'1' if v is True else v}" for k, v in filters.items() if v not in (None, "", False)
    )
    return render(
        request,
        "orders.html",
        caller,
        page=page,
        filters=filters,
        query=query,
        statuses=[s.value for s in OrderStatus],
        integrations=integrations.aliases(session),
    )


@router.get("/orders/{order_id}")
def order_page(
    request: Request,
    order_id: int,
    caller: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    order = views.order_record(session, plugins, order_id)
    return render(
        request, "order.html", caller, order=order, typed={"idempotency_key": secrets.token_urlsafe(16)}
    )


@router.post("/orders/{order_id}/carrier")
def order_assign(
    order_id: int,
    carrier: str = Form(max_length=64),
    _: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    orders.assign_carrier(session, plugins, order_id, carrier)
    return back(f"/orders/{order_id}")


@router.post("/orders/{order_id}/ship")
async def order_ship(
    request: Request,
    order_id: int,
    caller: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """The Create shipment form; a refusal shows the order again with the form as typed (422)."""
    values = await _form_values(request)
    items = [t for t in values.get("items", "").replace("\n", ",").split(",") if t.strip()]
    try:
        views.ship(
            session,
            plugins,
            order_id,
            values.get("carrier"),
            values.get("service"),
            values.get("tracking"),
            items,
            values.get("idempotency_key") or None,
        )
    except InputError as refused:
        session.rollback()
        order = views.order_record(session, plugins, order_id)
        return render(request, "order.html", caller, 422, order=order, ship_error=refused, typed=values)
    return back(f"/orders/{order_id}")


@router.post("/orders/{order_id}/{action}")
def order_hold_release(
    order_id: int,
    action: str,
    _: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
) -> Response:
    if action == "hold":
        orders.hold(session, order_id)
    elif action == "release":
        orders.release(session, order_id)
    else:
        raise InputError("action", "must be hold or release")
    return back(f"/orders/{order_id}")


# ---------------------------------------------------------------------- prices
@router.get("/prices")
def prices_page(
    request: Request, caller: Caller = READ, session: Session = DB, plugins: PluginManager = PLUGINS
) -> Response:
    return render(request, "prices.html", caller, **views.price_overview(session, plugins))


@router.post("/prices/{integration_id}/rules-enabled")
def prices_switch(
    integration_id: int,
    enabled: bool = Form(),
    _: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
) -> Response:
    pricing.configure(session, integration_id, rules_enabled=enabled)
    return back("/prices")


def _rule_form(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, object], int | None]:
    """A rule form's params (``param.<name>``; empty means the type's default), conditions
    (``cond.<name>``; categories and brands comma-separated) and priority."""
    params = {k.removeprefix("param."): v for k, v in values.items() if k.startswith("param.") and v != ""}
    conditions: dict[str, object] = {}
    for key, text in values.items():
        name = key.removeprefix("cond.")
        if key.startswith("cond.") and text.strip():
            listed = name in ("categories", "brands")
            conditions[name] = [p.strip() for p in text.split(",") if p.strip()] if listed else text.strip()
    priority = values.get("priority", "").strip()
    if priority and not priority.lstrip("-").isdigit():
        raise InputError("priority", "must be a whole number")
    return params, conditions, int(priority) if priority else None


async def _form_values(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/prices/rules")
async def prices_add_rule(
    request: Request,
    _: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """The add-rule form, built from the rule type's params model."""
    values = await _form_values(request)
    params, conditions, priority = _rule_form(values)
    integration = values.get("integration_id") or ""
    if integration and not integration.isdigit():
        raise InputError("integration_id", "must be a number")
    new = pricing.NewRule(
        values.get("rule_type", ""),
        params,
        conditions,
        int(integration) if integration else None,
        values.get("name") or None,
        100 if priority is None else priority,
    )
    pricing.add_rule(session, plugins, new)
    return back("/prices")


def _edit_page(
    request: Request,
    caller: Caller,
    plugins: PluginManager,
    rule: dict[str, Any],
    error: InputError | None = None,
) -> Response:
    types = {t.key: t for t in pricing.rule_types(plugins)}
    if rule["rule_type"] not in types:
        raise InputError(
            "rule_type", f"rule type {rule['rule_type']!r} is not installed: it cannot be edited"
        )
    return render(
        request,
        "rule_edit.html",
        caller,
        422 if error else 200,
        rule=rule,
        rule_type=types[rule["rule_type"]],
        error=error,
    )


@router.get("/prices/rules/{rule_id}/edit")
def prices_edit_form(
    request: Request,
    rule_id: int,
    caller: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """The rule's form, filled with what is stored (the add form's fields, for its type)."""
    return _edit_page(request, caller, plugins, asdict(pricing.get_rule(session, rule_id)))


@router.post("/prices/rules/{rule_id}/edit")
async def prices_edit_rule(
    request: Request,
    rule_id: int,
    caller: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """Save the edit; a refusal shows the form again as typed, the named field marked (422)."""
    values = await _form_values(request)
    stored = asdict(pricing.get_rule(session, rule_id))
    typed = {
        **stored,
        "name": values.get("name", ""),
        "priority": values.get("priority", ""),
        "enabled": values.get("enabled") != "false",
        "params": {k.removeprefix("param."): v for k, v in values.items() if k.startswith("param.")},
        "conditions": {k.removeprefix("cond."): v for k, v in values.items() if k.startswith("cond.")},
    }
    try:
        params, conditions, priority = _rule_form(values)
        change = pricing.RuleChange(
            params=params,
            conditions=conditions,
            name=values.get("name") or None,
            priority=priority,
            enabled=typed["enabled"],
        )
        pricing.update_rule(session, plugins, rule_id, change)
    except InputError as refused:
        session.rollback()
        return _edit_page(request, caller, plugins, typed, refused)
    return back("/prices")


@router.post("/prices/rules/{rule_id}/remove")
def prices_remove_rule(
    rule_id: int, _: Caller = Depends(require(Permission.PRICES)), session: Session = DB
) -> Response:
    pricing.remove_rule(session, rule_id)
    return back("/prices")


@router.get("/prices/{integration_id}/preview")
def prices_preview(
    request: Request,
    integration_id: int,
    offset: int = 0,
    limit: int = 50,
    caller: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    """A page of the diff at once; the count (and the Apply button) arrive after, through htmx."""
    diff = views.preview_page(session, plugins, integration_id, offset, limit)
    session.rollback()
    return render(request, "preview.html", caller, diff=diff)


@router.get("/prices/{integration_id}/preview/count")
def prices_preview_count(
    request: Request,
    integration_id: int,
    caller: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    count = views.preview_count(session, plugins, integration_id)
    session.rollback()
    return render(request, "_preview_count.html", caller, count=count, integration_id=integration_id)


@router.post("/prices/{integration_id}/apply")
def prices_apply(
    request: Request,
    integration_id: int,
    caller: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    integration = integrations.get_integration(session, integration_id)
    queued = pricing.apply(session, plugins, integration_id)
    return render(request, "applied.html", caller, queued=queued, alias=integration.alias)


# ---------------------------------------------------------------------- products
@router.get("/products")
def products_page(
    request: Request,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
    caller: Caller = READ,
    session: Session = DB,
) -> Response:
    page = views.product_page(session, q=q, offset=offset, limit=limit)
    return render(request, "products.html", caller, page=page, q=q or "")


@router.get("/products/{sku:path}")
def product_page(request: Request, sku: str, caller: Caller = READ, session: Session = DB) -> Response:
    return render(request, "product.html", caller, product=views.product_record(session, sku))


@router.post("/import/products")
def products_import(
    request: Request,
    file: UploadFile = File(...),
    caller: Caller = Depends(require(Permission.PRODUCTS)),
    session: Session = DB,
) -> Response:
    report = views.import_upload(session, file.file, file.filename)
    return render(request, "_import_result.html", caller, report=asdict(report))


# ---------------------------------------------------------------------- errors, usage
@router.get("/errors")
def errors_page(request: Request, caller: Caller = READ, session: Session = DB) -> Response:
    return render(request, "errors.html", caller, rows=views.error_records(session))


@router.post("/errors/{error_id}/retry")
def errors_retry(
    error_id: int,
    _: Caller = Depends(require(Permission.ERRORS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Response:
    session.commit()  # the retry works in its own transactions; hold no lock meanwhile (SQLite)
    quarantine.retry(session_factory(), plugins, [error_id])
    return back("/errors")


@router.get("/usage")
def usage_page(
    request: Request, month: str | None = None, caller: Caller = READ, session: Session = DB
) -> Response:
    chosen = month or f"{datetime.now(UTC):%Y-%m}"
    record = views.usage_record(session, chosen)
    return render(
        request, "usage.html", caller, usage=record, chart=charts.usage_bars(record["days"], record["limit"])
    )
