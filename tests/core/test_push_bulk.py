"""The outbound push at catalogue scale: 200,000 queued SKUs, past every parameter limit.

PostgreSQL's protocol stops at 65,535 bound parameters and SQLite at 32,766; a queue of
200,000 SKUs once failed the whole push and left every row SENDING. Here the queue is filled
through ``enqueue_quantities`` (itself once limited the same way), pushed in feed-sized chunks,
and a channel that goes away half-way leaves the answered chunks done and the rest pending.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from core.db import bulk
from core.db.base import utcnow
from core.db.models import IntegrationStatus, Listing, OutboxEntry, OutboxState, Product
from core.db.session import session_factory
from core.dto import Fulfilment
from core.errors import TransientChannelError
from core.plugins import PluginManager
from core.services import catalog, outbox_push, sync
from tests.core import factories
from tests.fakes.channel import CHANNEL, FakeChannelPlugin

SKUS = 200_000
PRODUCTS = cast(Table, Product.__table__)
LISTINGS = cast(Table, Listing.__table__)

pytestmark = pytest.mark.slow


@pytest.fixture
def queued(session: Session, plugins: PluginManager) -> Iterator[tuple[sessionmaker[Session], int]]:
    """200,000 MFN listings of one integration, each with a queued quantity (stock = n % 7)."""
    CHANNEL.reset()
    plugins.register(FakeChannelPlugin(), "fake")
    integration = factories.integration(session, "fake-uk", status=IntegrationStatus.LIVE)
    now = utcnow()
    bulk.insert_rows(
        session,
        PRODUCTS,
        ("sku", "stock_on_hand", "created_at", "updated_at"),
        ((f"SKU-{n:06d}", n % 7, now, now) for n in range(SKUS)),
    )
    ids = dict(session.execute(select(Product.sku, Product.id)).all())
    bulk.insert_rows(
        session,
        LISTINGS,
        ("product_id", "integration_id", "channel_sku", "fulfilment"),
        ((pid, integration.id, sku, Fulfilment.MFN) for sku, pid in ids.items()),
    )
    assert catalog.enqueue_quantities(session, ids.values()) == SKUS
    session.commit()
    yield session_factory(), integration.id


def _states(session: Session) -> dict[OutboxState, int]:
    session.expire_all()
    return dict(session.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all())


def test_200k_queued_skus_go_out_in_feed_sized_chunks_and_a_failure_half_way_strands_nothing(
    session: Session, plugins: PluginManager, queued: tuple[sessionmaker[Session], int]
) -> None:
    sessions, integration_id = queued
    CHANNEL.fail_after_pushes = 3  # the channel answers three feeds, then goes away
    with pytest.raises(TransientChannelError):
        sync.run_stream(sessions, plugins, integration_id, "outbound")
    answered = 3 * outbox_push.PUSH_CHUNK
    assert _states(session) == {OutboxState.DONE: answered, OutboxState.PENDING: SKUS - answered}

    CHANNEL.fail_after_pushes = None
    second = sync.run_stream(sessions, plugins, integration_id, "outbound")

    assert second.error is None and second.counts == {"quantity_done": SKUS - answered}
    assert _states(session) == {OutboxState.DONE: SKUS}
    assert [len(push) for push in CHANNEL.quantity_pushes] == [outbox_push.PUSH_CHUNK] * (
        SKUS // outbox_push.PUSH_CHUNK
    )
    pushed = {u.sku: u.quantity for push in CHANNEL.quantity_pushes for u in push}
    assert len(pushed) == SKUS and pushed["SKU-000013"] == 13 % 7  # each SKU once, its own value
