"""The outbound push a chunk at a time: coalescing across chunks, one verdict statement per feed.

The chunk size is shrunk to 3 so a handful of SKUs spans several feeds: a SKU queued in the
first and the last chunk must still go out once, with its newest value, and each pushed
chunk must cost one UPDATE of the outbox, whatever the number of rows and distinct verdicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.db.models import Integration, OutboxEntry, OutboxKind, OutboxState
from core.services import catalog, outbox_push
from tests.core import factories
from tests.core.test_sync import run, world  # noqa: F401 - the fixture
from tests.fakes.channel import CHANNEL

SKUS = ("A", "B", "C", "D", "E", "F", "G")


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_push, "PUSH_CHUNK", 3)


@pytest.fixture
def listed(session: Session, world: tuple) -> Iterator[None]:  # noqa: F811
    integration = session.get(Integration, world[2])
    assert integration is not None
    for sku in SKUS:
        factories.listing(session, factories.product(session, sku, stock=1, stock_source="hub"), integration)
    session.commit()
    yield


@pytest.fixture
def outbox_updates() -> Iterator[list[str]]:
    """Every UPDATE of the outbox sent while the test runs, on any engine (the stream has its own)."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    yield statements
    event.remove(Engine, "before_cursor_execute", seen)


@pytest.mark.usefixtures("small_chunks", "listed")
def test_a_sku_queued_in_the_first_and_last_chunk_goes_out_once_with_its_newest_value(
    session: Session,
    world: tuple,  # noqa: F811
) -> None:
    catalog.set_stock(session, "A", 5)
    for sku in SKUS[1:]:
        catalog.set_stock(session, sku, 2)
    catalog.set_stock(session, "A", 9)  # queued again after every other SKU
    catalog.set_price(session, "B", Decimal("4.00"))
    catalog.set_price(session, "C", Decimal("6.00"))
    catalog.set_price(session, "B", Decimal("4.50"))
    session.commit()

    result = run(world, "outbound")

    assert [[(u.sku, u.quantity) for u in push] for push in CHANNEL.quantity_pushes] == [
        [("B", 2), ("C", 2), ("D", 2)],
        [("E", 2), ("F", 2), ("G", 2)],
        [("A", 9)],  # at its newest row's place, once
    ]
    assert [[(u.sku, u.price.amount) for u in push] for push in CHANNEL.price_pushes] == [
        [("C", Decimal("6.00")), ("B", Decimal("4.50"))]
    ]
    assert result.counts == {"quantity_done": 7, "price_done": 2}
    session.expire_all()
    rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)).all()
    assert {r.state for r in rows} == {OutboxState.DONE}
    superseded = [(r.kind, r.sku) for r in rows if r.last_error == outbox_push.SUPERSEDED]
    assert superseded == [(OutboxKind.QUANTITY, "A"), (OutboxKind.PRICE, "B")]
    assert {r.sku: r.quantity for r in rows if r.kind is OutboxKind.QUANTITY and r.sent_at} == {
        "A": 9,
        **dict.fromkeys(SKUS[1:], 2),
    }
    assert all(r.attempts == (0 if r.last_error == outbox_push.SUPERSEDED else 1) for r in rows)


@pytest.mark.usefixtures("small_chunks", "listed")
def test_each_pushed_chunk_is_one_update_of_the_outbox_whatever_its_verdicts(
    session: Session,
    world: tuple,  # noqa: F811
    outbox_updates: list[str],
) -> None:
    for sku in SKUS:
        catalog.set_stock(session, sku, 3)
    catalog.set_stock(session, "G", 4)  # one SKU superseded: prepare's one extra UPDATE
    session.commit()
    CHANNEL.rejected_skus = {"B", "E"}  # accepted and refused SKUs in the same chunks
    outbox_updates.clear()

    result = run(world, "outbound")

    assert len(CHANNEL.quantity_pushes) == 3
    assert len(outbox_updates) == 1 + 3, outbox_updates
    assert result.counts == {"quantity_done": 5, "quantity_failed": 2, "errors": 2}
    session.expire_all()
    clean = select(OutboxEntry.sku, OutboxEntry.state).where(OutboxEntry.last_error.is_(None))
    assert dict(session.execute(clean).all()) == dict.fromkeys("ACDFG", OutboxState.DONE)
    failed = session.scalars(select(OutboxEntry.sku).where(OutboxEntry.state == OutboxState.FAILED)).all()
    assert sorted(failed) == ["B", "E"]
