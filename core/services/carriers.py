"""Carriers per integration and area: the host's switches, and what switching does to open orders.

Plugin-agnostic: carriers and the areas they serve come from every plugin's
``channelhub_carriers``; which area an order's destination falls in for a carrier comes from
``channelhub_carrier_area``. Core alone writes ``carrier_settings`` (no row = enabled); a switch
takes effect at once, there is no publish step.

Disabling a carrier in an area re-selects, in the same transaction, the open orders that carrier
was going to ship there (awaiting shipment, no shipment made yet): each gets another enabled
carrier through :func:`core.services.carrier_selection.select_carriers`, or goes to Pending review
with the reason, and the result says how many of each. Enabling one offers the same re-selection
to the area's orders in Pending review (:func:`reselect_pending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import CarrierSetting, Integration, Order, OrderStatus, shipment_orders
from core.dto import Destination, Fulfilment
from core.errors import InputError, NotFoundError
from core.plugins import PluginManager
from core.services.carrier_selection import select_carriers
from core.types import Carrier


def _carrier(plugins: PluginManager, code: str) -> Carrier:
    carriers = plugins.carriers()
    if code not in carriers:
        raise InputError("carrier", f"unknown carrier {code!r} (known: {', '.join(carriers) or 'none'})")
    return carriers[code]


def areas(plugins: PluginManager) -> dict[str, list[str]]:
    """Area code -> codes of the carriers serving it, in registration order."""
    found: dict[str, list[str]] = {}
    for carrier in plugins.carriers().values():
        for area in carrier.areas:
            found.setdefault(area, []).append(carrier.code)
    return found


def _check_area(plugins: PluginManager, carrier: Carrier, area_code: str) -> list[str]:
    serving = areas(plugins)
    if area_code not in serving:
        raise InputError("area", f"unknown area {area_code!r} (known: {', '.join(serving) or 'none'})")
    if area_code not in carrier.areas:
        raise InputError(
            "area",
            f"{carrier.code} does not serve {area_code} (carriers there: {', '.join(serving[area_code])})",
        )
    return serving[area_code]


def _targets(session: Session, integration_ids: Sequence[int] | None) -> list[Integration]:
    query = select(Integration).order_by(Integration.alias)
    if integration_ids is not None:
        query = query.where(Integration.id.in_(list(integration_ids)))
    found = list(session.scalars(query))
    if integration_ids is not None and len(found) != len(set(integration_ids)):
        missing = sorted(set(integration_ids) - {i.id for i in found})
        raise NotFoundError(f"integration {missing[0]} does not exist")
    if not found:
        raise NotFoundError("no integrations yet: add one first (channelhub integrations add ...)")
    return found


def disabled_pairs(session: Session, integration_id: int) -> set[tuple[str, str]]:
    """(area, carrier) pairs the host switched off for one integration."""
    rows = session.execute(
        select(CarrierSetting.area_code, CarrierSetting.carrier_code).where(
            CarrierSetting.integration_id == integration_id, CarrierSetting.enabled.is_(False)
        )
    )
    return {(a, c) for a, c in rows}


def _destination(order: Order) -> Destination | None:
    if not order.ship_country:
        return None
    return Destination(order.ship_country.upper(), order.ship_postal_code, order.ship_state)


def _in_area(plugins: PluginManager, carrier_code: str, area_code: str, order: Order) -> bool:
    destination = _destination(order)
    return destination is not None and plugins.carrier_area(carrier_code, destination) == area_code


@dataclass(frozen=True, slots=True)
class Switched:
    """What a switch did, per integration named, and to the orders of the area."""

    carrier: str
    area: str
    enabled: bool
    integrations: list[str]
    warnings: list[str] = field(default_factory=list)
    """Integrations whose area is left with no enabled carrier."""
    reassigned: int = 0
    """Open orders of the carrier in the area that got another carrier (disable)."""
    to_review: int = 0
    """Open orders of the carrier in the area sent to Pending review (disable)."""
    pending_in_area: list[int] = field(default_factory=list)
    """Order ids in Pending review that the carrier could now serve (enable): see reselect_pending."""


def set_enabled(
    session: Session,
    plugins: PluginManager,
    carrier_code: str,
    area_code: str,
    *,
    enabled: bool,
    integration_ids: Sequence[int] | None = None,
) -> Switched:
    """Switch a carrier on or off in an area for some integrations (all when None); flushes."""
    carrier = _carrier(plugins, carrier_code)
    serving = _check_area(plugins, carrier, area_code)
    targets = _targets(session, integration_ids)
    warnings: list[str] = []
    for integration in targets:
        row = session.scalar(
            select(CarrierSetting).where(
                CarrierSetting.integration_id == integration.id,
                CarrierSetting.area_code == area_code,
                CarrierSetting.carrier_code == carrier_code,
            )
        )
        if row is None:
            row = CarrierSetting(
                integration_id=integration.id, area_code=area_code, carrier_code=carrier_code
            )
            session.add(row)
        row.enabled = enabled
        session.flush()
        if not enabled and all((area_code, c) in disabled_pairs(session, integration.id) for c in serving):
            warnings.append(
                f"{integration.alias}: area {area_code} now has no enabled carrier; its orders "
                "will go to Pending review until one is enabled or chosen by hand"
            )
    ids = [t.id for t in targets]
    aliases = [t.alias for t in targets]
    if enabled:
        waiting = _orders(session, ids, OrderStatus.PENDING_REVIEW, None)
        pending = [o.id for o in waiting if _in_area(plugins, carrier_code, area_code, o)]
        return Switched(carrier_code, area_code, True, aliases, warnings, pending_in_area=pending)
    assigned = _orders(session, ids, OrderStatus.AWAITING_SHIPMENT, carrier_code)
    moved = [o for o in assigned if _in_area(plugins, carrier_code, area_code, o)]
    for order in moved:
        order.carrier_code = None
        order.service_code = None
    session.flush()
    summary = select_carriers(session, plugins, [o.id for o in moved])
    return Switched(
        carrier_code,
        area_code,
        False,
        aliases,
        warnings,
        reassigned=len(summary.assigned),
        to_review=len(summary.pending),
    )


def _orders(
    session: Session, integration_ids: list[int], status: OrderStatus, carrier_code: str | None
) -> list[Order]:
    """MFN orders of the integrations in ``status`` with no shipment made yet (and the carrier)."""
    query = select(Order).where(
        Order.integration_id.in_(integration_ids),
        Order.status == status,
        Order.fulfilment == Fulfilment.MFN,
        ~Order.id.in_(select(shipment_orders.c.order_id)),
    )
    if carrier_code is not None:
        query = query.where(Order.carrier_code == carrier_code)
    return list(session.scalars(query.order_by(Order.id)))


@dataclass(frozen=True, slots=True)
class Reselected:
    assigned: int
    still_pending: int


def reselect_pending(session: Session, plugins: PluginManager, order_ids: Sequence[int]) -> Reselected:
    """Run carrier selection again for orders in Pending review (after a carrier was enabled)."""
    summary = select_carriers(session, plugins, order_ids)
    return Reselected(len(summary.assigned), len(summary.pending))


@dataclass(frozen=True, slots=True)
class MatrixRow:
    integration: str
    integration_id: int
    area: str
    carrier: str
    tracking: bool
    enabled: bool


def matrix(
    session: Session, plugins: PluginManager, integration_ids: Sequence[int] | None = None
) -> list[MatrixRow]:
    """Every (integration, area, serving carrier) with its switch."""
    carriers = plugins.carriers()
    rows = []
    for integration in _targets(session, integration_ids):
        off = disabled_pairs(session, integration.id)
        for area, codes in areas(plugins).items():
            for code in codes:
                rows.append(
                    MatrixRow(
                        integration.alias,
                        integration.id,
                        area,
                        code,
                        carriers[code].tracking,
                        (area, code) not in off,
                    )
                )
    return rows
