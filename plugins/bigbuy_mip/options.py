"""Per-integration options of the plugin, and finding integrations by the alias people type."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import Integration, NotFoundError, find_integration, member_of
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


def strategies(session: Session, integration_ids: Sequence[int]) -> dict[int, CarrierStrategy]:
    """The stored carrier strategy of each integration that has one (others: cheapest)."""
    rows = session.execute(
        select(IntegrationOptions.integration_id, IntegrationOptions.carrier_strategy).where(
            member_of(IntegrationOptions.integration_id, integration_ids)
        )
    )
    return {integration_id: CarrierStrategy(value) for integration_id, value in rows if value}
