"""Integrations: connect, update, disable, enable and remove one; build and verify its connector.

Generic over channel types: everything a channel needs is read from its
:class:`~core.types.ChannelType` (settings model, credential names, marketplaces, the setting
naming the seller's account), so the CLI and the web console connect any installed channel,
a freshly scaffolded one included, through these functions.

A change that the channel must accept (new credentials, new settings) is verified before it
is kept: each runs in a savepoint that a refusal rolls back, so a failed ``add`` stores
nothing and leaves its alias free, and a failed ``update`` leaves the integration as it was.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import (
    CarrierSetting,
    Integration,
    IntegrationStatus,
    Listing,
    Order,
    OutboxEntry,
    PriceRule,
    PricingSettings,
    Shipment,
    SyncCursor,
    SyncError,
    shipment_orders,
)
from core.errors import ChannelAuthError, ChannelhubError, ConfigError, InputError, NotFoundError
from core.plugins import PluginManager
from core.settings import get_settings
from core.types import ChannelConnector, ChannelType, ConnectorContext

FieldKind = Literal["text", "integer", "number", "boolean", "choice", "list", "json"]


class VerificationFailed(ChannelhubError):
    """The channel refused the credentials of a new or changed integration; nothing was kept."""


@dataclass(frozen=True, slots=True)
class SettingField:
    """One option of a channel's settings model, described for a form or a command line.

    ``kind`` says how text typed by a person becomes the value (see :func:`parse_setting`):
    ``list`` is comma-separated (``none`` for an empty list), ``json`` is a JSON document for
    anything structured. ``choices`` lists the allowed values of a ``choice`` (or of a
    ``list``'s items).
    """

    name: str
    kind: FieldKind
    required: bool
    default: Any
    description: str | None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MarketplaceInfo:
    code: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class ChannelTypeInfo:
    """What a form needs to connect one installed channel type."""

    key: str
    title: str
    marketplaces: tuple[MarketplaceInfo, ...]
    settings_fields: tuple[SettingField, ...]
    credential_fields: tuple[str, ...]
    optional_credentials: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Removal:
    """What ``remove`` did.

    ``archived``: the integration had orders and they were kept, so its row stays (removed,
    credentials erased, never synced) to keep them attributed to it; ``orders_kept`` counts
    them. Otherwise the integration is gone, with ``orders_deleted`` orders (and shipments
    holding only those) when ``keep_orders`` was False.
    """

    integration_id: int
    alias: str
    archived: bool
    orders_kept: int
    orders_deleted: int


# ---------------------------------------------------------------------- lookups


def get_integration(session: Session, integration_id: int) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise NotFoundError(f"integration {integration_id} does not exist")
    return integration


def aliases(session: Session) -> dict[int, str]:
    """Integration id -> alias, for output that names integrations both ways."""
    return {
        integration_id: alias
        for integration_id, alias in session.execute(select(Integration.id, Integration.alias))
    }


def find(session: Session, name: str) -> Integration:
    """An integration by alias (what people type) or by numeric id."""
    integration = session.scalar(select(Integration).where(Integration.alias == name))
    if integration is None and name.isdigit():
        integration = session.get(Integration, int(name))
    if integration is None:
        known = (
            ", ".join(session.scalars(select(Integration.alias).order_by(Integration.alias))) or "none yet"
        )
        raise NotFoundError(f"no integration named {name!r} (known: {known})")
    return integration


def _find_present(session: Session, alias_or_id: str | int) -> Integration:
    """Like :func:`find`, refusing an archived (removed) integration: it can only be shown."""
    integration = find(session, str(alias_or_id))
    if integration.removed_at is not None:
        raise InputError("integration", f"{integration.alias!r} was removed (kept for its orders only)")
    return integration


# ---------------------------------------------------------------------- channel types


def channel_types(plugins: PluginManager) -> list[ChannelTypeInfo]:
    """Every installed channel type, with the fields a connect form or command offers."""
    return [describe_channel(channel) for _, channel in sorted(plugins.channel_types().items())]


def describe_channel(channel: ChannelType) -> ChannelTypeInfo:
    return ChannelTypeInfo(
        key=channel.key,
        title=channel.display_name,
        marketplaces=tuple(MarketplaceInfo(m.code, m.name, m.currency) for m in channel.marketplaces),
        settings_fields=tuple(
            _setting_field(name, info) for name, info in channel.settings_model.model_fields.items()
        ),
        credential_fields=channel.credential_fields,
        optional_credentials=channel.optional_credentials,
    )


def _setting_field(name: str, info: FieldInfo) -> SettingField:
    kind, choices = _kind(info.annotation)
    default = None if info.default is PydanticUndefined else info.default
    if info.default_factory is not None:
        default = info.default_factory()  # type: ignore[call-arg]
    return SettingField(name, kind, info.is_required(), default, info.description, choices)


def _kind(annotation: Any) -> tuple[FieldKind, tuple[str, ...]]:
    """How a settings field is typed in as text; ``X | None`` is typed like ``X``."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _kind(args[0])
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if origin in (list, tuple, set, frozenset):
        item_kind, choices = _kind(args[0]) if args else ("text", ())
        return ("list", choices) if item_kind in ("text", "choice") else ("json", ())
    simple: dict[Any, FieldKind] = {str: "text", int: "integer", float: "number", bool: "boolean"}
    return simple.get(annotation, "json"), ()


def parse_setting(field: SettingField, text: str) -> Any:
    """A value typed by a person (command line, form) as the settings model expects it.

    Numbers and choices are left as text for the model to check and name the field; lists
    are split on commas; ``json`` fields must be a JSON document.
    """
    if field.kind == "list":
        if text.strip().lower() in ("", "none"):
            return []
        items = [part.strip() for part in text.split(",") if part.strip()]
        if field.choices and not set(items) <= set(field.choices):
            raise InputError(
                field.name.replace("_", "-"),
                f"use one or more of {', '.join(field.choices)} separated by commas, got {text[:80]!r}",
            )
        return items
    if field.kind == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise InputError(field.name.replace("_", "-"), "must be a JSON document") from None
    if field.kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise InputError(field.name.replace("_", "-"), "must be true or false")
    return text


def validate_settings(channel_key: str, plugins: PluginManager, values: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's settings model applied to ``values``; the first problem names its field."""
    model = plugins.channel_type(channel_key).settings_model
    return _validated(model, values)


def _validated(model: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return model.model_validate(dict(values)).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise InputError(field.replace("_", "-"), first["msg"]) from None


# ---------------------------------------------------------------------- lifecycle


def add(
    session: Session,
    plugins: PluginManager,
    channel: str,
    alias: str,
    settings: Mapping[str, Any],
    credentials: Mapping[str, str],
    *,
    marketplace: str | None = None,
    verify: bool = True,
) -> Integration:
    """Connect one marketplace of ``channel``: Live when verified, Incomplete with ``verify=False``.

    ``marketplace`` may be left out when the channel has only one. Everything is checked
    before anything is written; a refused verification raises :class:`VerificationFailed`
    and stores nothing (the alias stays free). The scheduler verifies an Incomplete one
    later by itself.
    """
    channel_type = plugins.channel_type(channel)
    market = _marketplace(channel_type, marketplace)
    alias = alias.strip()
    if not alias:
        raise InputError("alias", "must not be empty")
    taken = session.scalar(select(Integration).where(Integration.alias == alias))
    if taken is not None:
        what = "a removed integration kept for its orders" if taken.removed_at else "another integration"
        raise InputError("alias", f"{alias!r} is already used by {what}")
    missing = [f for f in channel_type.credential_fields if not credentials.get(f)]
    if missing:
        raise InputError(missing[0].replace("_", "-"), "is required")
    unknown = sorted(set(credentials) - {*channel_type.credential_fields, *channel_type.optional_credentials})
    if unknown:
        raise InputError(unknown[0].replace("_", "-"), f"is not a {channel_type.display_name} credential")
    values = _validated(channel_type.settings_model, settings)
    _refuse_same_account(session, channel_type, market, values, alias)
    with session.begin_nested():
        integration = Integration(
            channel_key=channel_type.key,
            marketplace=market,
            alias=alias,
            settings=values,
            status=IntegrationStatus.INCOMPLETE,
        )
        integration.set_credentials({k: v for k, v in credentials.items() if v})
        session.add(integration)
        session.flush()
        if verify:
            _verify_or_refuse(integration, plugins)
    return integration


def update(
    session: Session,
    plugins: PluginManager,
    alias_or_id: str | int,
    *,
    settings: Mapping[str, Any] | None = None,
    credentials: Mapping[str, str] | None = None,
    verify: bool = True,
) -> Integration:
    """Change some settings and/or credentials (merged over the stored ones).

    Verified like ``add``: a refusal raises :class:`VerificationFailed` and keeps what was
    stored. Unverified new credentials make it Incomplete until the scheduler checks them.
    """
    integration = _find_present(session, alias_or_id)
    channel_type = plugins.channel_type(integration.channel_key)
    if credentials:
        unknown = sorted(
            set(credentials) - {*channel_type.credential_fields, *channel_type.optional_credentials}
        )
        if unknown:
            raise InputError(unknown[0].replace("_", "-"), f"is not a {channel_type.display_name} credential")
    values = _validated(channel_type.settings_model, {**integration.settings, **(settings or {})})
    _refuse_same_account(session, channel_type, integration.marketplace, values, integration.alias)
    with session.begin_nested():
        integration.settings = values
        if credentials:
            merged = {**dict(integration.credentials()), **{k: v for k, v in credentials.items() if v}}
            integration.set_credentials(merged)
        session.flush()
        if verify:
            _verify_or_refuse(integration, plugins)
        elif credentials:
            integration.status = IntegrationStatus.INCOMPLETE
            integration.status_reason = None
    return integration


def disable(session: Session, alias_or_id: str | int) -> Integration:
    """Switch syncing off: no stream runs or is scheduled and no verification is tried until
    :func:`enable`. Queued pushes wait; orders and listings stay."""
    integration = _find_present(session, alias_or_id)
    if integration.disabled_at is None:
        integration.disabled_at = utcnow()
    return integration


def enable(
    session: Session, plugins: PluginManager, alias_or_id: str | int, *, verify: bool = True
) -> Integration:
    """Switch syncing back on, after checking the credentials still work (a refusal raises
    :class:`VerificationFailed` and leaves it disabled)."""
    integration = _find_present(session, alias_or_id)
    with session.begin_nested():
        integration.disabled_at = None
        session.flush()
        if verify:
            _verify_or_refuse(integration, plugins)
    return integration


def remove(session: Session, alias_or_id: str | int, *, keep_orders: bool = True) -> Removal:
    """Remove an integration and what only it needs (listings, queued pushes, sync state,
    errors, its carrier switches and price rules).

    Orders are the seller's records (shipments, invoices, returns refer to them), so by
    default they are kept: an integration with orders is archived instead of deleted (its
    row stays for them, credentials erased, never synced again, its alias still taken).
    ``keep_orders=False`` deletes its orders too (and shipments holding only them), then the
    integration.
    """
    integration = find(session, str(alias_or_id))
    integration_id, alias = integration.id, integration.alias
    order_ids = select(Order.id).where(Order.integration_id == integration_id)
    orders = len(session.scalars(order_ids).all())
    if keep_orders and orders:
        for table in (Listing, OutboxEntry, SyncCursor, SyncError, CarrierSetting, PriceRule):
            session.execute(delete(table).where(table.integration_id == integration_id))
        session.execute(delete(PricingSettings).where(PricingSettings.integration_id == integration_id))
        integration.credentials_encrypted = None
        integration.removed_at = utcnow()
        integration.disabled_at = integration.disabled_at or integration.removed_at
        session.flush()
        return Removal(integration_id, alias, archived=True, orders_kept=orders, orders_deleted=0)
    shipments = select(shipment_orders.c.shipment_id).where(shipment_orders.c.order_id.in_(order_ids))
    shipment_ids = set(session.scalars(shipments))
    session.execute(delete(Order).where(Order.integration_id == integration_id))
    if shipment_ids:
        still_used = set(
            session.scalars(
                select(shipment_orders.c.shipment_id).where(shipment_orders.c.shipment_id.in_(shipment_ids))
            )
        )
        session.execute(delete(Shipment).where(Shipment.id.in_(shipment_ids - still_used)))
    session.delete(integration)
    session.flush()
    return Removal(integration_id, alias, archived=False, orders_kept=0, orders_deleted=orders)


def _marketplace(channel: ChannelType, code: str | None) -> str:
    codes = ", ".join(m.code for m in channel.marketplaces)
    if code is None or not code.strip():
        if len(channel.marketplaces) == 1:
            return channel.marketplaces[0].code
        raise InputError("marketplace", f"is required: one of {codes}")
    market = channel.marketplace(code.strip())
    if market is None:
        raise InputError("marketplace", f"{code!r} is not a {channel.display_name} marketplace ({codes})")
    return market.code


def _refuse_same_account(
    session: Session, channel: ChannelType, marketplace: str, settings: Mapping[str, Any], alias: str
) -> None:
    """A second integration of one seller account on one marketplace would import every
    order twice and double the channel's usage."""
    if channel.account_setting is None or settings.get(channel.account_setting) is None:
        return
    account = settings[channel.account_setting]
    others = session.execute(
        select(Integration.alias, Integration.settings).where(
            Integration.channel_key == channel.key,
            Integration.marketplace == marketplace,
            Integration.alias != alias,
            Integration.removed_at.is_(None),
        )
    )
    for other, other_settings in others:
        if other_settings.get(channel.account_setting) == account:
            field = channel.account_setting.replace("_", "-")
            raise InputError(
                field,
                f"integration {other!r} already connects this account on "
                f"{channel.display_name} {marketplace}",
            )


def _verify_or_refuse(integration: Integration, plugins: PluginManager) -> None:
    """Ask the channel; Live if it accepts, :class:`VerificationFailed` if it refuses."""
    connector = build_connector(integration, plugins)
    try:
        connector.verify_credentials()
    except ChannelAuthError as exc:
        raise VerificationFailed(
            f"{integration.alias}: the channel refused the credentials ({exc}); nothing was changed "
            "(check them, or pass --no-verify to store them unchecked)"
        ) from None
    finally:
        connector.close()
    integration.status = IntegrationStatus.LIVE
    integration.status_reason = None


# ---------------------------------------------------------------------- connectors


def mark_auth_failure(session: Session, integration_id: int, reason: str) -> None:
    """An authorisation failure during sync: Error with the reason, retried on a slower schedule."""
    integration = get_integration(session, integration_id)
    integration.status = IntegrationStatus.ERROR
    integration.status_reason = reason


def build_connector(integration: Integration, plugins: PluginManager) -> ChannelConnector:
    """Ask the integration's channel plugin for a connector, with validated settings."""
    channel = plugins.channel_type(integration.channel_key)
    marketplace = channel.marketplace(integration.marketplace)
    if marketplace is None:
        raise ConfigError(
            f"integration {integration.alias!r}: channel {channel.key!r} has no marketplace "
            f"{integration.marketplace!r}"
        )
    context = ConnectorContext(
        integration_id=integration.id,
        alias=integration.alias,
        marketplace=marketplace,
        settings=channel.settings_model.model_validate(integration.settings),
        credentials=integration.credentials(),
        redis_url=get_settings().redis_url,
    )
    return channel.connector_factory(context)


def verify(session: Session, integration_id: int, plugins: PluginManager) -> Integration:
    """Live when the channel accepts the credentials, Error (with its reason) when it refuses.

    Throttling and transient failures propagate unchanged: they say nothing about the
    credentials, so the status stays as it was and the job is retried. A disabled or removed
    integration is left as it is.
    """
    integration = get_integration(session, integration_id)
    if not integration.active:
        return integration
    connector = build_connector(integration, plugins)
    try:
        connector.verify_credentials()
    except ChannelAuthError as exc:
        integration.status = IntegrationStatus.ERROR
        integration.status_reason = str(exc)
    else:
        integration.status = IntegrationStatus.LIVE
        integration.status_reason = None
    finally:
        connector.close()
    return integration
