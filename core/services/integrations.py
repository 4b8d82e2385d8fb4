"""Integrations: connect one, build a connector for it, and verify its credentials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Integration, IntegrationStatus
from core.errors import ChannelAuthError, ConfigError, InputError, NotFoundError
from core.plugins import PluginManager
from core.settings import get_settings
from core.types import ChannelConnector, ConnectorContext


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


def validate_settings(channel_key: str, plugins: PluginManager, values: Mapping[str, Any]) -> dict[str, Any]:
    """The channel's settings model applied to ``values``; the first problem names its field."""
    model = plugins.channel_type(channel_key).settings_model
    try:
        return model.model_validate(dict(values)).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise InputError(field.replace("_", "-"), first["msg"]) from None


def add(
    session: Session,
    plugins: PluginManager,
    *,
    channel_key: str,
    marketplace: str,
    alias: str,
    settings: Mapping[str, Any],
    credentials: Mapping[str, str],
) -> Integration:
    """Store a new integration, Incomplete until :func:`verify` says the channel accepts it.

    Everything is checked before anything is written, so a typo never leaves half an
    integration behind.
    """
    channel = plugins.channel_type(channel_key)
    market = channel.marketplace(marketplace)
    if market is None:
        codes = ", ".join(m.code for m in channel.marketplaces)
        raise InputError(
            "marketplace", f"{marketplace!r} is not a {channel.display_name} marketplace ({codes})"
        )
    if not alias.strip():
        raise InputError("alias", "must not be empty")
    if session.scalar(select(Integration.id).where(Integration.alias == alias)) is not None:
        raise InputError("alias", f"{alias!r} is already used by another integration")
    missing = [f for f in channel.credential_fields if not credentials.get(f)]
    if missing:
        raise InputError(missing[0].replace("_", "-"), "is required")
    integration = Integration(
        channel_key=channel.key,
        marketplace=market.code,
        alias=alias,
        settings=validate_settings(channel_key, plugins, settings),
        status=IntegrationStatus.INCOMPLETE,
    )
    integration.set_credentials({k: v for k, v in credentials.items() if v})
    session.add(integration)
    session.flush()
    return integration


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
    credentials, so the status stays as it was and the job is retried.
    """
    integration = get_integration(session, integration_id)
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
