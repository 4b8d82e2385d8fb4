"""Two notifiers at once never send one shipment twice: row locks (SKIP LOCKED) on PostgreSQL,
one writer at a time on SQLite, and the compare-and-set claim on both."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from core.api import find_order
from core.db.base import utcnow
from core.errors import InputError
from core.services.fulfilment import create_shipment
from plugins.shipstation_like.notify import NotifySummary, notify_pending, pending_notices
from tests.shipstation_like.conftest import Shop
from tests.shipstation_like.test_notify import ship_orders


def test_parallel_notifiers_send_each_shipment_once(shop: Shop) -> None:
    ids = ship_orders(shop, 200)
    shop.channel.delay = 0.02  # keep calls overlapping
    shop.channel.throttle_calls = 3
    summaries: list[NotifySummary] = []
    errors: list[BaseException] = []
    # One clock for both workers, moved on only between passes. With a clock per thread, a fast
    # thread's clock ran minutes ahead and expired the other's lease while its call was still in
    # flight: that models a worker stalled past its lease, not two healthy workers in parallel.
    clock = [utcnow()]
    between_passes = threading.Barrier(2, timeout=60)

    def worker() -> None:
        try:
            for _ in range(40):
                summaries.append(notify_pending(shop.factory, shop.plugins, limit=15, now=clock[0]))
                if between_passes.wait() == 0:  # both passes are over: no claim is in flight
                    clock[0] += timedelta(minutes=5)
                between_passes.wait()
                with shop.factory() as session:
                    if not pending_notices(session):
                        return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors
    assert shop.channel.confirmed == {i: 1 for i in ids}
    assert sum(s.sent for s in summaries) == 200
    assert len([s for s in summaries if s.claimed]) > 1  # both threads did work


@pytest.mark.postgres
def test_two_people_shipping_one_order_at_once_make_one_shipment(shop: Shop) -> None:
    with shop.factory() as session, session.begin():
        shop.order(session, "DUP-1")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def ship() -> None:
        with shop.factory() as session:
            order = find_order(session, "DUP-1")
            start.wait()
            try:
                with session.begin_nested():
                    create_shipment(session, shop.plugins, [order], carrier_code="trk")
                session.commit()
                outcomes.append("created")
            except InputError as exc:
                session.rollback()
                outcomes.append(exc.field)

    threads = [threading.Thread(target=ship) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["created", "order"]
    notify_pending(shop.factory, shop.plugins)
    assert shop.channel.confirmed == {"DUP-1": 1}
