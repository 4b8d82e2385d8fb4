"""Integrations: build a connector for one, and verify its credentials."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.models import Integration, IntegrationStatus
from core.errors import ChannelAuthError, ConfigError, NotFoundError
from core.plugins import PluginManager
from core.settings import get_settings
from core.types import ChannelConnector, ConnectorContext


def get_integration(session: Session, integration_id: int) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise NotFoundError(f"integration {integration_id} does not exist")
    return integration


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
