"""Issue 15 item 4: the quantity sent is computed from committed data when the push runs.

Two interleavings, each driven step by step (no sleeps, no threads racing on luck): an order
import that commits while a stock edit's transaction is still open, and one that commits while
the outbound stream is waiting for the channel's answer. Neither may leave a stale value as
the last one pushed (the observed oversell: 50 pushed while 48 were available).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Integration, OutboxEntry, OutboxState
from core.dto import ChannelProduct, Fulfilment, PushResult, QuantityUpdate
from core.services import catalog, order_import, sync
from tests.core import factories
from tests.core.test_sync import channel_order, world  # noqa: F401 - the fixture
from tests.fakes.channel import CHANNEL, FakeConnector


def pushed(world: tuple) -> list[list[tuple[str, int]]]:  # noqa: F811
    return [[(u.sku, u.quantity) for u in push] for push in CHANNEL.quantity_pushes]


def outbound(world: tuple) -> sync.StreamRun:  # noqa: F811
    sessions, plugins, integration_id = world
    return sync.run_stream(sessions, plugins, integration_id, "outbound")


def stock(session: Session, integration_id: int, on_hand: int) -> None:
    integration = session.get(Integration, integration_id)
    assert integration is not None
    factories.listing(
        session, factories.product(session, "MUG", stock=on_hand, stock_source="hub"), integration
    )
    session.commit()


@pytest.mark.postgres
def test_an_order_import_committing_inside_a_stock_edit_cannot_push_a_stale_value(
    session: Session,
    world: tuple,  # noqa: F811
) -> None:
    """On PostgreSQL both transactions run at once; each alone saw the other's old data."""
    sessions: sessionmaker[Session] = world[0]
    integration_id = world[2]
    stock(session, integration_id, 10)
    editor, importer = sessions(), sessions()
    try:
        catalog.set_stock(editor, "MUG", 50)  # flushed, not committed: the importer sees 10
        result = order_import.upsert_orders(importer, integration_id, [channel_order(1, quantity=2)])
        assert result.created == 1
        importer.commit()  # 2 units committed; the editor's snapshot never saw them
        editor.commit()
    finally:
        editor.close()
        importer.close()
    outbound(world)
    assert pushed(world) == [[("MUG", 48)]]  # 50 on hand - 2 committed, not 50 and not 10 - 2


def test_an_order_import_committing_during_a_push_is_sent_next_not_lost(
    session: Session,
    world: tuple,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sessions, _, integration_id = world
    stock(session, integration_id, 50)
    catalog.set_stock(session, "MUG", 50)
    session.commit()
    send = FakeConnector.push_quantities

    def order_arrives_mid_push(self: FakeConnector, updates: Sequence[QuantityUpdate]) -> PushResult:
        with sessions() as other:  # the channel is slow; meanwhile an order import commits
            order_import.upsert_orders(other, integration_id, [channel_order(1, quantity=2)])
            other.commit()
        monkeypatch.setattr(FakeConnector, "push_quantities", send)
        return send(self, updates)

    monkeypatch.setattr(FakeConnector, "push_quantities", order_arrives_mid_push)
    outbound(world)
    assert pushed(world) == [[("MUG", 50)]]  # right when it was read
    rows = session.execute(select(OutboxEntry.state, OutboxEntry.quantity).order_by(OutboxEntry.id)).all()
    assert [tuple(r) for r in rows] == [(OutboxState.DONE, 50), (OutboxState.PENDING, None)]
    outbound(world)
    assert pushed(world) == [[("MUG", 50)], [("MUG", 48)]]  # the last value sent is the true one


def test_an_excluded_listing_stays_at_zero_through_every_push_until_the_filter_goes(
    session: Session,
    world: tuple,  # noqa: F811
) -> None:
    _, _, integration_id = world
    stock(session, integration_id, 10)
    product = catalog.get_product(session, "MUG")
    assert catalog.set_exclusions(session, integration_id, [product.id]) == 1
    session.commit()
    outbound(world)
    catalog.set_stock(session, "MUG", 20)  # a stock edit
    session.commit()
    outbound(world)
    CHANNEL.orders = [channel_order(1, quantity=2)]  # an order import
    sync.run_stream(world[0], world[1], integration_id, "orders")
    outbound(world)
    CHANNEL.products = [
        ChannelProduct("MUG", Fulfilment.MFN, "Mug", None, None, 99),
        ChannelProduct("NEW", Fulfilment.MFN, "New", None, None, 5),
    ]
    assert sync.run_stream(world[0], world[1], integration_id, "products").counts["stock_adopted"] == 1
    outbound(world)
    assert pushed(world) == [[("MUG", 0)], [("MUG", 0)], [("MUG", 0)]]  # adoption pushed nothing
    assert catalog.set_exclusions(session, integration_id, []) == 1  # the filter is removed
    session.commit()
    outbound(world)
    assert pushed(world)[-1] == [("MUG", 18)]  # its real available quantity: 20 on hand - 2 committed
