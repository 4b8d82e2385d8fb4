"""Per-integration options of the plugin, and finding integrations by the alias people type."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.members import member_of
from core.db.models import Integration
from core.errors import InputError, NotFoundError
from plugins.bigbuy_mip.models import DEFAULT_COMMISSION_PERCENT, CarrierStrategy, IntegrationOptions


def find_integration(session: Session, alias: str) -> Integration:
    integration = session.scalar(select(Integration).where(Integration.alias == alias))
    if integration is None:
        known = ", ".join(session.scalars(select(Integration.alias).order_by(Integration.alias))) or "none"
        raise NotFoundError(f"no integration named {alias!r} (known: {known})")
    return integration


def integrations(session: Session, alias: str | None) -> list[Integration]:
    """The named integration, or every integration when no name is given."""
    if alias is not None:
        return [find_integration(session, alias)]
    found = list(session.scalars(select(Integration).order_by(Integration.alias)))
    if not found:
        raise NotFoundError("no integrations yet: add one first (channelhub integrations add ...)")
    return found


def get_options(session: Session, integration_id: int) -> IntegrationOptions:
    """The stored options, or the defaults (not added to the session) when none are stored."""
    stored = session.get(IntegrationOptions, integration_id)
    if stored is not None:
        return stored
    return IntegrationOptions(
        integration_id=integration_id,
        rules_enabled=False,
        carrier_strategy=CarrierStrategy.CHEAPEST.value,
        commission_percent=DEFAULT_COMMISSION_PERCENT,
        floor_shipping=Decimal(0),
    )


def update_options(session: Session, integration_id: int, **changes: Any) -> IntegrationOptions:
    """Change some options, creating the row on first change; flushes so errors surface here."""
    if "commission_percent" in changes and not Decimal(0) <= changes["commission_percent"] < 100:
        raise InputError("commission", "must be a percentage from 0 up to (not including) 100")
    if "floor_shipping" in changes and changes["floor_shipping"] < 0:
        raise InputError("shipping", "must be 0 or more")
    options = get_options(session, integration_id)
    for key, value in changes.items():
        setattr(options, key, value)
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
