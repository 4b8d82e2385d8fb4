"""Core's shipment use case with and without a fulfilment plugin: core stores the parcel, its
items and the orders' move to Shipped; the plugin's hook answer (or refusal) decides the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import NotifyState, OrderStatus, Shipment, ShipmentItem
from core.dto import NewShipment
from core.errors import InputError, PluginError
from core.hookspecs import hookimpl
from core.plugins import PluginManager
from core.services.fulfilment import ItemRequest, create_shipment
from core.types import Carrier, CarrierService
from tests.core import factories


class OneCarrier:
    @hookimpl
    def channelhub_carriers(self) -> Iterator[Carrier]:
        yield Carrier("royal_mail", "Royal Mail", (CarrierService("tracked48", "Tracked 48"),))


class Refusing:
    @hookimpl
    def channelhub_shipment_created(self, session: Session, shipment: NewShipment) -> NotifyState:
        raise InputError("order", f"order {shipment.order_ids[0]} is being shipped elsewhere")


class WrongAnswer:
    @hookimpl
    def channelhub_shipment_created(self) -> object:
        return "sent"


def manager(*extra: object) -> PluginManager:
    m = PluginManager()
    for n, plugin in enumerate((OneCarrier(), *extra)):
        assert m.register(plugin, f"p{n}"), m.failures
    return m


def test_without_a_fulfilment_plugin_the_shipment_is_stored_and_marked_manual(session: Session) -> None:
    on = factories.integration(session)
    mug = factories.product(session, "MUG", stock=10)
    order = factories.order(session, on, items=((mug, 3),))
    split = create_shipment(
        session,
        manager(),
        [order],
        carrier_code="royal_mail",
        items=[ItemRequest.parse(f"{order.items[0].sku}:1")],
    )
    assert split.notify_state is NotifyState.MANUAL  # nobody will tell the channel: a person must
    assert order.status is OrderStatus.AWAITING_SHIPMENT and mug.stock_on_hand == 10
    rest = create_shipment(session, manager(), [order], carrier_code="royal_mail", tracking=" TRK9 ")
    session.commit()
    items = session.execute(
        select(ShipmentItem.shipment_id, ShipmentItem.quantity).order_by(ShipmentItem.shipment_id)
    )
    assert [tuple(r) for r in items] == [(split.id, 1), (rest.id, 2)]
    assert (rest.tracking_number, rest.service_code) == ("TRK9", None)
    assert order.status is OrderStatus.SHIPPED and mug.stock_on_hand == 7  # the units left the warehouse


def test_a_plugin_refusing_the_shipment_stores_nothing(session: Session) -> None:
    on = factories.integration(session)
    order = factories.order(session, on, items=((factories.product(session), 1),))
    session.commit()
    with pytest.raises(InputError, match="being shipped elsewhere"):
        create_shipment(session, manager(Refusing()), [order], carrier_code="royal_mail")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Shipment)) == 0
    assert session.scalar(select(func.count()).select_from(ShipmentItem)) == 0
    assert session.get_one(type(order), order.id).status is OrderStatus.AWAITING_SHIPMENT


def test_a_hook_answer_that_is_not_a_notify_state_is_a_plugin_error(session: Session) -> None:
    on = factories.integration(session)
    order = factories.order(session, on, items=((factories.product(session), 1),))
    with pytest.raises(PluginError, match="must return NotifyState"):
        create_shipment(session, manager(WrongAnswer()), [order], carrier_code="royal_mail")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"carrier_code": "dhl"}, "carrier", "unknown carrier 'dhl' (known: royal_mail)"),
        ({"carrier_code": "royal_mail", "service": "express"}, "service", "has no service 'express'"),
        ({}, "carrier", "no single assigned carrier"),
        ({"carrier_code": "royal_mail", "items": [ItemRequest("NOPE")]}, "items", "matches no line"),
        ({"carrier_code": "royal_mail", "items": [ItemRequest("SKU-1", 5)]}, "items", "5 asked, 2 left"),
    ],
)
def test_bad_requests_name_the_field_and_store_nothing(
    session: Session, kwargs: dict[str, object], field: str, message: str
) -> None:
    on = factories.integration(session)
    order = factories.order(session, on, items=((factories.product(session), 2),))
    with pytest.raises(InputError) as caught:
        create_shipment(session, manager(), [order], **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field and message in str(caught.value)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Shipment)) == 0


def test_item_request_parsing_names_the_field() -> None:
    assert ItemRequest.parse(" L1:2 ") == ItemRequest("L1", 2)
    for text in (":2", "L1:0", "L1:x"):
        with pytest.raises(InputError) as caught:
            ItemRequest.parse(text)
        assert caught.value.field == "items"
