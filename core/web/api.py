"""``/api/v1``: the console's resources as JSON, in the CLI's ``--json`` convention.

Reading needs a session or a token (401 without); changing needs the role
(:data:`core.services.users.PERMISSIONS`, 403 without). Bad input answers 422 with the field
named in ``detail[0].loc``, and nothing is stored.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from core.db.models import OrderStatus, User
from core.db.session import session_factory
from core.plugins import PluginManager
from core.services import (
    carriers,
    fees,
    integrations,
    orders,
    pricing,
    quarantine,
    records,
    users,
)
from core.services.users import Permission
from core.web import views
from core.web.db import db_session, plugin_manager
from core.web.json import ConventionJSONResponse
from core.web.security import Caller, check_csrf, current_caller, require

router = APIRouter(
    prefix="/api/v1",
    default_response_class=ConventionJSONResponse,
    dependencies=[Depends(check_csrf)],
)
OFFSET = Query(0, ge=0, le=2**31 - 1)
LIMIT = Query(50, ge=1, le=views.MAX_LIMIT)


DB = Depends(db_session)
PLUGINS = Depends(plugin_manager)
READ = Depends(current_caller)


@router.get("/me", tags=["access"])
def me(caller: Caller = READ, session: Session = DB) -> Any:
    """Who the session or token acts as, and what they may change."""
    user = session.get(User, caller.id)
    assert user is not None
    return {**records.user_record(user), "may": sorted(p.value for p in users.PERMISSIONS[caller.role])}


# ---------------------------------------------------------------------- integrations
@router.get("/integrations", tags=["integrations"])
def list_integrations(_: Caller = READ, session: Session = DB) -> Any:
    """Every integration: status and reason, open errors, each stream's cursor, runs and lease."""
    return views.integration_records(session)


@router.get("/integrations/{name}", tags=["integrations"])
def show_integration(name: str, _: Caller = READ, session: Session = DB) -> Any:
    return views.integration_record(session, name)


class NewIntegration(BaseModel):
    channel: str = Field(min_length=1, max_length=64)
    alias: str = Field(min_length=1, max_length=100)
    marketplace: str | None = Field(default=None, max_length=16)
    settings: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, str] = Field(default_factory=dict)
    verify: bool = True


class IntegrationChange(BaseModel):
    settings: dict[str, Any] | None = None
    credentials: dict[str, str] | None = None
    verify: bool = True


@router.get("/channel-types", tags=["integrations"])
def channel_types(_: Caller = READ, plugins: PluginManager = PLUGINS) -> Any:
    """Each installed channel type with its marketplaces, settings fields and credential names."""
    return [asdict(t) for t in integrations.channel_types(plugins)]


@router.post("/integrations", tags=["integrations"], status_code=201)
def add_integration(
    body: NewIntegration,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Connect a marketplace: Live when the channel accepts the credentials (else 422, nothing kept)."""
    integration = integrations.add(
        session,
        plugins,
        body.channel,
        body.alias,
        body.settings,
        body.credentials,
        marketplace=body.marketplace,
        verify=body.verify,
    )
    return views.integration_record(session, integration.alias)


@router.patch("/integrations/{name}", tags=["integrations"])
def update_integration(
    name: str,
    body: IntegrationChange,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Change settings and/or credentials (merged over the stored ones), verified like an add."""
    integration = integrations.update(
        session, plugins, name, settings=body.settings, credentials=body.credentials, verify=body.verify
    )
    return views.integration_record(session, integration.alias)


@router.post("/integrations/{name}/disable", tags=["integrations"])
def disable_integration(
    name: str, _: Caller = Depends(require(Permission.INTEGRATIONS)), session: Session = DB
) -> Any:
    """Stop syncing it (orders and listings stay) until it is enabled."""
    return views.integration_record(session, integrations.disable(session, name).alias)


@router.post("/integrations/{name}/enable", tags=["integrations"])
def enable_integration(
    name: str,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    return views.integration_record(session, integrations.enable(session, plugins, name).alias)


@router.delete("/integrations/{name}", tags=["integrations"])
def remove_integration(
    name: str,
    keep_orders: bool = True,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
) -> Any:
    """Remove it; with orders (kept by default) it is archived for them instead of deleted."""
    return asdict(integrations.remove(session, name, keep_orders=keep_orders))


@router.post("/integrations/{name}/retry", tags=["integrations"])
def retry_integration(
    name: str,
    _: Caller = Depends(require(Permission.INTEGRATIONS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Check the credentials again: Live when the channel accepts them, Error with the reason."""
    integration = integrations.verify(session, integrations.find(session, name).id, plugins)
    return views.integration_record(session, integration.alias)


# ---------------------------------------------------------------------- carriers
class CarrierSwitch(BaseModel):
    integration_id: int = Field(ge=1, le=2**31 - 1)
    area: str = Field(min_length=1, max_length=64)
    carrier: str = Field(min_length=1, max_length=64)
    enabled: bool


@router.get("/carriers", tags=["carriers"])
def carrier_matrix(_: Caller = READ, session: Session = DB, plugins: PluginManager = PLUGINS) -> Any:
    """The integration x area x carrier matrix, with how many carriers each area has on."""
    return views.carrier_matrix(session, plugins)


@router.get("/carriers/impact", tags=["carriers"])
def carrier_impact(
    integration_id: int = Query(ge=1, le=2**31 - 1),
    area: str = Query(min_length=1, max_length=64),
    carrier: str = Query(min_length=1, max_length=64),
    _: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """What switching the carrier off would do (changes nothing): warnings and orders moved."""
    return asdict(views.switch_impact(session, plugins, integration_id, area, carrier))


@router.put("/carriers", tags=["carriers"])
def switch_carrier(
    body: CarrierSwitch,
    _: Caller = Depends(require(Permission.CARRIERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Switch a carrier on or off in an area of one integration, at once."""
    done = carriers.set_enabled(
        session, plugins, body.carrier, body.area, enabled=body.enabled, integration_ids=[body.integration_id]
    )
    return asdict(done)


class StrategyChoice(BaseModel):
    value: str = Field(min_length=1, max_length=64)


@router.get("/fees", tags=["carriers"])
def fee_table(
    integration_id: int = Query(ge=1, le=2**31 - 1),
    strategy: str = Query(
        "conservative", description="conservative (max column) or competitive (min column)"
    ),
    _: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """The shipping fees to configure on the channel, per area, enabled carrier and band."""
    return views.fee_record(session, plugins, integration_id, strategy)


@router.put("/fees/{integration_id}/strategies/{key}", tags=["carriers"])
def switch_strategy(
    integration_id: int,
    key: str,
    body: StrategyChoice,
    _: Caller = Depends(require(Permission.CARRIERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Switch a plugin's per-integration strategy (bigbuy_mip: carrier strategy cheapest or fastest)."""
    return asdict(fees.set_strategy(session, plugins, integration_id, key, body.value))


# ---------------------------------------------------------------------- orders
class CarrierChoice(BaseModel):
    carrier: str = Field(min_length=1, max_length=64)
    service: str | None = Field(default=None, min_length=1, max_length=64)


@router.get("/orders", tags=["orders"])
def list_orders(
    status: OrderStatus | None = None,
    integration_id: int | None = Query(None, ge=1, le=2**31 - 1),
    pending_review: bool = False,
    late_risk: bool = False,
    include_closed: bool = False,
    offset: int = OFFSET,
    limit: int = LIMIT,
    _: Caller = READ,
    session: Session = DB,
) -> Any:
    """Open orders (``include_closed``: shipped and cancelled too), soonest ship-by first."""
    return views.order_page(
        session,
        status=status,
        integration_id=integration_id,
        pending_review=pending_review,
        late_risk=late_risk,
        include_closed=include_closed,
        offset=offset,
        limit=limit,
    )


@router.get("/orders/{order_id}", tags=["orders"])
def show_order(
    order_id: int, _: Caller = READ, session: Session = DB, plugins: PluginManager = PLUGINS
) -> Any:
    """Items, address (REDACTED after redaction), shipments and their notification state."""
    return views.order_record(session, plugins, order_id)


@router.post("/orders/{order_id}/carrier", tags=["orders"])
def assign_carrier(
    order_id: int,
    body: CarrierChoice,
    _: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Choose the carrier: a Pending review order continues to fulfilment."""
    orders.assign_carrier(session, plugins, order_id, body.carrier, body.service)
    return views.order_record(session, plugins, order_id)


class NewShipmentBody(BaseModel):
    """A parcel for the order: all its remaining units, or ``items`` (``SKU`` or ``SKU:QTY``)."""

    carrier: str | None = Field(default=None, min_length=1, max_length=64)
    service: str | None = Field(default=None, min_length=1, max_length=64)
    tracking: str | None = Field(default=None, max_length=100)
    items: list[str] = Field(default_factory=list, max_length=500)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)


@router.post("/orders/{order_id}/shipments", tags=["orders"], status_code=201)
def create_shipment(
    order_id: int,
    body: NewShipmentBody,
    _: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Ship the order (or some of its items): the order with its shipments and their notify state.

    The channel is told later, by the fulfilment plugin's notification run (``--with-workers``
    or ``channelhub shipments notify``); until then the shipment's notify state is pending.
    """
    views.ship(
        session,
        plugins,
        order_id,
        body.carrier,
        body.service,
        body.tracking,
        body.items,
        body.idempotency_key,
    )
    return views.order_record(session, plugins, order_id)


@router.post("/orders/{order_id}/hold", tags=["orders"])
def hold_order(
    order_id: int,
    _: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    orders.hold(session, order_id)
    return views.order_record(session, plugins, order_id)


@router.post("/orders/{order_id}/release", tags=["orders"])
def release_order(
    order_id: int,
    _: Caller = Depends(require(Permission.ORDERS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    orders.release(session, order_id)
    return views.order_record(session, plugins, order_id)


# ---------------------------------------------------------------------- prices
class RulesSwitch(BaseModel):
    enabled: bool


class NewRuleBody(BaseModel):
    rule_type: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    conditions: dict[str, Any] = Field(default_factory=dict)
    integration_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    priority: int = Field(default=100, ge=pricing.PRIORITY_RANGE[0], le=pricing.PRIORITY_RANGE[1])


@router.get("/prices", tags=["prices"])
def price_overview(_: Caller = READ, session: Session = DB, plugins: PluginManager = PLUGINS) -> Any:
    """Rules on/off per integration, every rule, and every rule type's params schema."""
    return views.price_overview(session, plugins)


@router.put("/prices/{integration_id}/rules-enabled", tags=["prices"])
def switch_rules(
    integration_id: int,
    body: RulesSwitch,
    _: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
) -> Any:
    return asdict(pricing.configure(session, integration_id, rules_enabled=body.enabled))


@router.post("/prices/rules", tags=["prices"], status_code=201)
def add_rule(
    body: NewRuleBody,
    _: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    new = pricing.NewRule(
        body.rule_type, body.params, body.conditions, body.integration_id, body.name, body.priority
    )
    return asdict(pricing.add_rule(session, plugins, new))


class RuleChangeBody(BaseModel):
    """Only the fields sent change; ``params`` and ``conditions`` replace the stored ones whole."""

    params: dict[str, Any] | None = None
    conditions: dict[str, Any] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    priority: int | None = Field(default=None, ge=pricing.PRIORITY_RANGE[0], le=pricing.PRIORITY_RANGE[1])
    enabled: bool | None = None


@router.patch("/prices/rules/{rule_id}", tags=["prices"])
def update_rule(
    rule_id: int,
    body: RuleChangeBody,
    _: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Change a rule (its type stays); params are checked by the type's model, 422 naming the field."""
    change = pricing.RuleChange(body.params, body.conditions, body.name, body.priority, body.enabled)
    return asdict(pricing.update_rule(session, plugins, rule_id, change))


@router.delete("/prices/rules/{rule_id}", tags=["prices"], status_code=204)
def remove_rule(rule_id: int, _: Caller = Depends(require(Permission.PRICES)), session: Session = DB) -> None:
    pricing.remove_rule(session, rule_id)


@router.get("/prices/{integration_id}/preview", tags=["prices"])
def preview_prices(
    integration_id: int,
    offset: int = OFFSET,
    limit: int = LIMIT,
    count: bool = Query(False, description="Also count every change (prices the whole catalogue)."),
    _: Caller = READ,
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """The diff rules would make (old price, new price, rule, floor flag), a page at a time.

    ``change_count`` is None unless ``count=true``: a page alone costs the same at any catalogue
    size, the count prices every listing.
    """
    try:
        return views.preview_page(session, plugins, integration_id, offset, limit, count=count)
    finally:
        session.rollback()


@router.post("/prices/{integration_id}/apply", tags=["prices"])
def apply_prices(
    integration_id: int,
    _: Caller = Depends(require(Permission.PRICES)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Queue every previewed price in the outbox."""
    integrations.get_integration(session, integration_id)
    return {"integration_id": integration_id, "queued": pricing.apply(session, plugins, integration_id)}


# ---------------------------------------------------------------------- products
@router.get("/products", tags=["products"])
def list_products(
    q: str | None = Query(None, max_length=200),
    offset: int = OFFSET,
    limit: int = LIMIT,
    _: Caller = READ,
    session: Session = DB,
) -> Any:
    """Products by SKU; ``q`` finds those whose SKU (then title, any case) starts with it."""
    return views.product_page(session, q=q, offset=offset, limit=limit)


@router.get("/products/{sku}", tags=["products"])
def show_product(sku: str, _: Caller = READ, session: Session = DB) -> Any:
    """One product: stock, each listing and what is queued for it."""
    return views.product_record(session, sku)


@router.post("/products/import", tags=["products"])
def import_products(
    file: UploadFile = File(...),
    _: Caller = Depends(require(Permission.PRODUCTS)),
    session: Session = DB,
) -> Any:
    """Catalogue import (CSV with a header, or JSON Lines), as ``channelhub products import``."""
    report = views.import_upload(session, file.file, file.filename)
    data = asdict(report)
    data["errors"] = [{"line": line, "reason": reason} for line, reason in report.errors]
    return data


# ---------------------------------------------------------------------- errors, usage
class ErrorRetry(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=1000)


@router.get("/errors", tags=["errors"])
def list_errors(include_closed: bool = False, _: Caller = READ, session: Session = DB) -> Any:
    """Records a sync could not take (field names, never values)."""
    return views.error_records(session, include_closed)


@router.post("/errors/retry", tags=["errors"])
def retry_errors(
    body: ErrorRetry,
    _: Caller = Depends(require(Permission.ERRORS)),
    session: Session = DB,
    plugins: PluginManager = PLUGINS,
) -> Any:
    """Try quarantined records again now (orders are fetched again from the channel)."""
    session.commit()  # the retry works in its own transactions; hold no lock meanwhile (SQLite)
    return asdict(quarantine.retry(session_factory(), plugins, body.ids))


@router.get("/usage", tags=["usage"])
def usage(month: str = Query(pattern=r"^\d{4}-\d{2}$"), _: Caller = READ, session: Session = DB) -> Any:
    """Orders per day of a month, MFN 1 and FBA 0.5 against the subscription's limit."""
    return views.usage_record(session, month)
