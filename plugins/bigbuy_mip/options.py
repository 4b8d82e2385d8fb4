"""Per-integration options of the plugin, and finding integrations by the alias people type."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import Integration, NotFoundError, find_integration, get_engine
from plugins.bigbuy_mip.models import CarrierStrategy, IntegrationOptions


def integrations(session: Session, alias: str | None) -> list[Integration]:
    """The named integration, or every integration when no name is given."""
    if alias is not None:
        return [find_integration(session, alias)]
    found = list(session.scalars(select(Integration).order_by(Integration.alias)))
    if not found:
        raise NotFoundError("no integrations yet: add one first (channelhub integrations add ...)")
    return found


def set_strategy(session: Session, integration_id: int, strategy: CarrierStrategy) -> IntegrationOptions:
    """Store the integration's carrier strategy, creating its options row on first change."""
    options = session.get(IntegrationOptions, integration_id) or IntegrationOptions(
        integration_id=integration_id
    )
    options.carrier_strategy = strategy.value
    session.add(options)
    session.flush()
    return options


def strategy_for(integration_id: int) -> CarrierStrategy:
    """The integration's carrier strategy, read on its own connection (the hook has no session)."""
    with get_engine().connect() as connection:
        value = connection.scalar(
            select(IntegrationOptions.carrier_strategy).where(
                IntegrationOptions.integration_id == integration_id
            )
        )
    return CarrierStrategy(value) if value else CarrierStrategy.CHEAPEST
