"""Exactly one channel notification per order: throttles, crashes, combined and split rules."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.db.models import NotifyState, Order, OrderStatus, Shipment
from core.services.fulfilment import ItemRequest, create_shipment
from plugins.shipstation_like.notify import (
    LEASE,
    NotifySummary,
    manual_updates,
    notify_pending,
    pending_notices,
)
from plugins.shipstation_like.tables import Notice, NoticeAction, NoticeState
from tests.shipstation_like.conftest import T0, Shop, WorkerDied


def ship_orders(shop: Shop, count: int, prefix: str = "ORD") -> list[str]:
    ids = [f"{prefix}-{n:04d}" for n in range(count)]
    with shop.factory() as session, session.begin():
        for channel_order_id in ids:
            order = shop.order(session, channel_order_id)
            create_shipment(
                session, shop.plugins, [order], carrier_code="trk", tracking=f"T{channel_order_id}", now=T0
            )
    return ids


def drain(shop: Shop, *, step: timedelta = timedelta(hours=2), passes: int = 50, limit: int = 500) -> int:
    """Run the worker step with the clock moving on until nothing is queued; passes used."""
    now = T0
    for n in range(1, passes + 1):
        notify_pending(shop.factory, shop.plugins, now=now, limit=limit)
        with shop.factory() as session:
            if not pending_notices(session):
                return n
        now += step
    raise AssertionError("notifications still queued after every pass")


def test_500_shipments_notify_exactly_once_while_throttled(shop: Shop) -> None:
    ids = ship_orders(shop, 500)
    shop.channel.throttle_calls = 4

    passes = drain(shop)

    assert shop.channel.throttled == 4 and passes == 5
    assert shop.channel.confirmed == {i: 1 for i in ids}
    assert shop.channel.calls == [1] * 500  # each throttled pass stopped at its first call
    with shop.factory() as session:
        states = set(session.scalars(select(Shipment.notify_state)))
        attempts = set(session.scalars(select(Shipment.notify_attempts)))
    assert states == {NotifyState.SENT} and attempts == {5}


def test_throttled_notice_waits_for_its_backoff(shop: Shop) -> None:
    ship_orders(shop, 2)
    shop.channel.throttle_calls = 1
    first = notify_pending(shop.factory, shop.plugins, now=T0)
    assert (first.claimed, first.retry_later, first.sent) == (2, 2, 0)
    with shop.factory() as session:
        queued = pending_notices(session)
    assert {q.state for q in queued} == {"queued"} and all(
        "throttled" in (q.last_error or "") for q in queued
    )
    assert all(q.next_attempt_at == T0 + timedelta(seconds=60) for q in queued)  # retry_after beats 30 s
    assert notify_pending(shop.factory, shop.plugins, now=T0 + timedelta(seconds=59)).claimed == 0
    assert notify_pending(shop.factory, shop.plugins, now=T0 + timedelta(seconds=60)).sent == 2


def test_crash_after_the_channel_accepted_never_notifies_twice(shop: Shop) -> None:
    ids = ship_orders(shop, 3)
    shop.channel.crash_after_accept = 1

    with pytest.raises(WorkerDied):
        notify_pending(shop.factory, shop.plugins, now=T0)

    with shop.factory() as session:
        assert {q.state for q in pending_notices(session)} == {"sending"}
    assert notify_pending(shop.factory, shop.plugins, now=T0 + LEASE).claimed == 0  # lease still held
    retry = notify_pending(shop.factory, shop.plugins, now=T0 + LEASE + timedelta(seconds=1))

    # the pass died after its first send: that one is found confirmed, the others were never sent
    assert (retry.recovered, retry.already_confirmed, retry.sent) == (3, 1, 3)
    assert shop.channel.confirmed == {i: 1 for i in ids}
    with shop.factory() as session:
        assert pending_notices(session) == []
        assert set(session.scalars(select(Shipment.notify_state))) == {NotifyState.SENT}


def test_permanent_refusal_is_recorded_and_not_retried(shop: Shop) -> None:
    ids = ship_orders(shop, 2)
    shop.channel.permanent_for = {ids[0]}
    summary = notify_pending(shop.factory, shop.plugins, now=T0)
    assert (summary.sent, summary.failed) == (1, 1)
    assert notify_pending(shop.factory, shop.plugins, now=T0 + timedelta(days=1)).claimed == 0
    with shop.factory() as session:
        failed = session.scalars(select(Shipment).where(Shipment.notify_state == NotifyState.FAILED)).all()
    assert len(failed) == 1 and failed[0].notify_error == "invalid carrier"


def test_combined_shipment_notifies_one_order_and_lists_the_others(shop: Shop) -> None:
    with shop.factory() as session, session.begin():
        orders = [shop.order(session, f"C-{n}") for n in range(3)]
        shipment = create_shipment(session, shop.plugins, orders, carrier_code="trk", tracking="T1", now=T0)
        shipment_id = shipment.id
        assert shipment.notify_state is NotifyState.PENDING
        assert {o.status for o in orders} == {OrderStatus.SHIPPED}

    notify_pending(shop.factory, shop.plugins, now=T0)

    assert shop.channel.confirmed == {"C-0": 1}
    with shop.factory() as session:
        assert manual_updates(session) == [
            (shipment_id, "C-1", shop.integration_id),
            (shipment_id, "C-2", shop.integration_id),
        ]


def test_split_order_first_shipment_carries_every_item_later_ones_do_not_notify(shop: Shop) -> None:
    with shop.factory() as session, session.begin():
        order = shop.order(session, "S-1", items=[("A", 2), ("B", 1)])
        first = create_shipment(
            session, shop.plugins, [order], carrier_code="trk", items=[ItemRequest.parse("A:1")], now=T0
        )
        assert order.status is OrderStatus.AWAITING_SHIPMENT and first.notify_state is NotifyState.PENDING
    notify_pending(shop.factory, shop.plugins, now=T0)
    with shop.factory() as session, session.begin():
        order = session.scalars(select(Order).where(Order.channel_order_id == "S-1")).one()
        second = create_shipment(session, shop.plugins, [order], carrier_code="trk", now=T0)
        assert second.notify_state is NotifyState.NOT_REQUIRED and order.status is OrderStatus.SHIPPED
    assert notify_pending(shop.factory, shop.plugins, now=T0 + timedelta(hours=1)).claimed == 0

    (confirmation,) = shop.channel.received
    assert {(line.channel_item_id, line.quantity) for line in confirmation.lines} == {("A", 2), ("B", 1)}
    with shop.factory() as session:
        actions = session.execute(select(Notice.action, Notice.state).order_by(Notice.id)).all()
    assert actions == [(NoticeAction.NOTIFY, NoticeState.DONE), (NoticeAction.NOT_REQUIRED, None)]


def test_combined_with_an_already_notified_order_notifies_the_next(shop: Shop) -> None:
    with shop.factory() as session, session.begin():
        split = shop.order(session, "P-1", items=[("A", 2)])
        create_shipment(
            session, shop.plugins, [split], carrier_code="trk", items=[ItemRequest("A", 1)], now=T0
        )
        other = shop.order(session, "P-2")
        shipment = create_shipment(session, shop.plugins, [split, other], carrier_code="trk", now=T0)
        assert shipment.notify_state is NotifyState.PENDING
    notify_pending(shop.factory, shop.plugins, now=T0)
    assert shop.channel.confirmed == {"P-1": 1, "P-2": 1}
    with shop.factory() as session:
        assert manual_updates(session) == []


def test_label_contact_uses_the_integration_prefill_when_the_buyer_is_hidden(shop: Shop) -> None:
    from plugins.shipstation_like.tables import LabelContact

    with shop.factory() as session, session.begin():
        hidden = shop.order(session, "H-1")
        hidden.buyer_email = None
        shown = shop.order(session, "H-2")
        shown.ship_phone = "+44 113 496 0000"
        a = create_shipment(session, shop.plugins, [hidden], carrier_code="trk", now=T0)
        b = create_shipment(session, shop.plugins, [shown], carrier_code="trk", now=T0)
        contacts = {c.shipment_id: (c.phone, c.email) for c in session.scalars(select(LabelContact))}
    assert contacts[a.id] == ("+44 20 7946 0000", "shipping@seller.example")
    assert contacts[b.id] == ("+44 113 496 0000", "ada@example.com")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda o: setattr(o, "status", OrderStatus.ON_HOLD), "order", "only orders awaiting shipment"),
        (lambda o: None, "carrier", "unknown carrier 'nope'"),
    ],
)
def test_bad_shipment_requests_name_the_field(shop: Shop, change, field: str, words: str) -> None:  # type: ignore[no-untyped-def]
    from core.errors import InputError

    with shop.factory() as session:
        order = shop.order(session, "X-1")
        change(order)
        with pytest.raises(InputError) as error:
            create_shipment(session, shop.plugins, [order], carrier_code="nope", now=T0)
    assert error.value.field == field and words in error.value.problem


def test_a_pass_stops_sending_the_moment_its_claim_is_gone(shop: Shop) -> None:
    ids = ship_orders(shop, 4)
    original = shop.channel.confirm

    def confirm_then_lose_the_claim(confirmations):  # type: ignore[no-untyped-def]
        results = original(confirmations)
        with shop.factory() as session, session.begin():  # another pass took the rows over
            session.execute(
                update(Notice).where(Notice.state == NoticeState.SENDING).values(claim_token="other-pass")
            )
        return results

    shop.channel.confirm = confirm_then_lose_the_claim  # type: ignore[method-assign]
    summary = notify_pending(shop.factory, shop.plugins, now=T0)
    assert summary.calls == 1 and summary.sent == 0  # the answer was not ours to record either
    assert shop.channel.confirmed == {ids[0]: 1}, "sent after the claim was lost"


def test_a_pass_longer_than_its_lease_keeps_its_claim(shop: Shop) -> None:
    ids = ship_orders(shop, 5)
    shop.channel.delay = 0.6  # 3 s of calls under a 1.2 s lease
    lease = timedelta(seconds=1.2)
    passes: list[NotifySummary] = []
    first = threading.Thread(
        target=lambda: passes.append(notify_pending(shop.factory, shop.plugins, lease=lease))
    )
    first.start()
    while not shop.channel.calls:  # the first pass holds the rows and is sending
        time.sleep(0.01)
    rivals = []
    while first.is_alive():
        rivals.append(notify_pending(shop.factory, shop.plugins, lease=lease).claimed)
        time.sleep(0.05)
    first.join()
    assert len(rivals) > 10 and set(rivals) == {0}, "a rival pass reclaimed rows of a live pass"
    assert passes[0].sent == 5 and shop.channel.confirmed == {i: 1 for i in ids}
