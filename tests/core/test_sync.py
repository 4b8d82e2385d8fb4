"""The sync engine against the fake channel: idempotent import, cursors, outbound, rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import (
    Integration,
    IntegrationStatus,
    Listing,
    Order,
    OrderStatus,
    OutboxEntry,
    OutboxState,
    Product,
    SyncCursor,
    SyncError,
)
from core.db.session import session_factory
from core.dto import (
    Address,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    Fulfilment,
    InventoryLevel,
    Money,
    RecordFailure,
)
from core.errors import ChannelAuthError, TransientChannelError
from core.plugins import PluginManager
from core.services import catalog, order_import, orders, outbox_push, scheduler, stream_lock, sync
from core.services.streams import orders as orders_stream
from tests.core import factories
from tests.fakes.channel import CHANNEL, FakeChannelPlugin

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def channel_order(
    n: int,
    *,
    status: ChannelOrderStatus = ChannelOrderStatus.UNSHIPPED,
    fulfilment: Fulfilment = Fulfilment.MFN,
    sku: str = "MUG",
    quantity: int = 1,
) -> ChannelOrder:
    return ChannelOrder(
        channel_order_id=f"202-{n:07d}",
        status=status,
        fulfilment=fulfilment,
        purchase_date=NOW - timedelta(hours=n % 48),
        currency="GBP",
        items=(ChannelOrderItem(f"item-{n}", sku, quantity, Money(Decimal("9.99"), "GBP"), title="Mug"),),
        total=Money(Decimal("9.99") * quantity, "GBP"),
        ship_by=NOW + timedelta(days=2),
        buyer_name="Ada Buyer",
        buyer_email="ada@example.com",
        shipping_address=Address(
            "Ada Buyer", "1 High St", city="Leeds", postal_code="LS1 1AA", country_code="GB"
        ),
    )


@pytest.fixture
def world(
    session: Session, plugins: PluginManager
) -> Iterator[tuple[sessionmaker[Session], PluginManager, int]]:
    CHANNEL.reset()
    plugins.register(FakeChannelPlugin(), "fake")
    integration = factories.integration(session, "fake-uk", status=IntegrationStatus.LIVE)
    session.commit()
    yield session_factory(), plugins, integration.id
    CHANNEL.reset()


def run(world: tuple[sessionmaker[Session], PluginManager, int], stream: str) -> sync.StreamRun:
    sessions, plugins, integration_id = world
    return sync.run_stream(sessions, plugins, integration_id, stream)


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_import_is_idempotent_and_the_cursor_advances(session: Session, world: tuple) -> None:
    CHANNEL.orders = [channel_order(n) for n in range(250)]
    first = run(world, "orders")
    assert first.counts["created"] == 250
    assert count(session, Order) == 250
    cursor = session.scalar(select(SyncCursor.cursor).where(SyncCursor.stream == "orders"))
    assert cursor == "250"

    again = run(world, "orders")
    assert again.counts.get("created", 0) == 0
    assert count(session, Order) == 250

    # re-fetching from the start (a lost cursor) duplicates nothing either
    session.execute(SyncCursor.__table__.update().values(cursor=None))
    session.commit()
    assert run(world, "orders").counts.get("created", 0) == 0
    assert count(session, Order) == 250


def test_a_crash_mid_import_resumes_from_the_last_committed_batch(
    session: Session, world: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(orders_stream, "ORDER_BATCH", 100)
    CHANNEL.orders = [channel_order(n) for n in range(500)]
    CHANNEL.fail_after_pages = 3
    with pytest.raises(TransientChannelError):
        run(world, "orders")
    assert count(session, Order) == 300
    assert session.scalar(select(SyncCursor.cursor).where(SyncCursor.stream == "orders")) == "300"
    # the failed run released its lock and recorded the error with a later retry
    state = session.scalar(select(SyncCursor).where(SyncCursor.stream == "orders"))
    assert state is not None and state.locked_by is None and state.consecutive_failures == 1
    CHANNEL.fail_after_pages = None
    assert run(world, "orders").counts["created"] == 200
    assert count(session, Order) == 500


def test_mapping_rules_fba_shipped_without_buyer_data_and_money_as_decimal(
    session: Session, world: tuple
) -> None:
    CHANNEL.orders = [channel_order(1), channel_order(2, fulfilment=Fulfilment.FBA)]
    run(world, "orders")
    mfn, fba = session.scalars(select(Order).order_by(Order.channel_order_id)).all()
    assert mfn.status is OrderStatus.AWAITING_SHIPMENT and mfn.buyer_name == "Ada Buyer"
    assert mfn.ship_by == NOW + timedelta(days=2) and mfn.total == Decimal("9.99") and mfn.currency == "GBP"
    assert fba.status is OrderStatus.SHIPPED
    assert (fba.buyer_name, fba.buyer_email, fba.ship_line1, fba.buyer_data_available) == (
        None,
        None,
        None,
        False,
    )


def test_a_malformed_order_is_recorded_and_the_rest_of_the_page_imports(
    session: Session, world: tuple
) -> None:
    bad_currency = channel_order(3)
    bad_currency = dataclasses.replace(bad_currency, total=Money(Decimal("1"), "EUR"))
    CHANNEL.orders = [channel_order(1), bad_currency, channel_order(2)]
    CHANNEL.bad_orders = [RecordFailure("202-9999999", "OrderTotal: not a number")]
    result = run(world, "orders")
    assert result.counts["created"] == 2 and result.counts["errors"] == 2
    errors = dict(session.execute(select(SyncError.reference, SyncError.reason)).all())
    assert errors == {
        "202-0000003": "total: is in EUR but the order is in GBP",
        "202-9999999": "OrderTotal: not a number",
    }


def test_channel_cancel_cancels_in_the_hub_and_releases_stock(session: Session, world: tuple) -> None:
    _, _, integration_id = world
    product = factories.product(session, "MUG", stock=5)
    factories.listing(session, product, session.get(Integration, integration_id))  # type: ignore[arg-type]
    session.commit()
    CHANNEL.orders = [channel_order(1, quantity=2)]
    run(world, "orders")
    run(world, "outbound")
    CHANNEL.orders = [channel_order(1, quantity=2, status=ChannelOrderStatus.CANCELLED)]
    session.execute(SyncCursor.__table__.update().values(cursor=None))
    session.commit()
    assert run(world, "orders").counts["updated"] == 1
    order = session.scalar(select(Order))
    assert order is not None and order.status is OrderStatus.CANCELLED
    run(world, "outbound")
    assert [[(u.sku, u.quantity) for u in push] for push in CHANNEL.quantity_pushes] == [
        [("MUG", 3)],
        [("MUG", 5)],
    ]
    session.expire_all()
    assert [r.quantity for r in session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))] == [3, 5]


def test_hub_cancel_restocks_new_orders_but_not_shipped_ones(session: Session, world: tuple) -> None:
    _, _, integration_id = world
    integration = session.get(Integration, integration_id)
    assert integration is not None
    product = factories.product(session, "MUG", stock=5)
    factories.listing(session, product, integration)
    new = factories.order(session, integration, "N-1", items=((product, 2),))
    shipped = factories.order(session, integration, "S-1", items=((product, 1),), status=OrderStatus.SHIPPED)
    orders.cancel(session, new.id)
    orders.cancel(session, shipped.id)
    session.commit()
    assert count(session, OutboxEntry) == 1  # only the New cancel restocked
    run(world, "outbound")
    assert [[(u.sku, u.quantity) for u in push] for push in CHANNEL.quantity_pushes] == [[("MUG", 5)]]
    assert session.scalar(select(Product.stock_on_hand)) == 5


def test_products_and_inventory_import_one_product_per_sku(session: Session, world: tuple) -> None:
    sessions, plugins, integration_id = world
    other = factories.integration(session, "fake-de", status=IntegrationStatus.LIVE)
    session.commit()
    CHANNEL.products = [
        ChannelProduct("MUG", Fulfilment.MFN, "Mug", "B0MUG", Money(Decimal("12.50"), "GBP"), 7)
    ]
    CHANNEL.inventory = [InventoryLevel("MUG-FBA", 40, asin="B0MUGF")]
    run(world, "products")
    run(world, "inventory")
    sync.run_stream(sessions, plugins, other.id, "products")
    assert count(session, Product) == 2
    listings = {(lst.integration_id, lst.channel_sku): lst for lst in session.scalars(select(Listing))}
    assert listings[(integration_id, "MUG")].channel_price == Decimal("12.50")
    assert listings[(integration_id, "MUG-FBA")].fulfilment is Fulfilment.FBA
    assert listings[(integration_id, "MUG-FBA")].channel_quantity == 40
    assert listings[(other.id, "MUG")].product_id == listings[(integration_id, "MUG")].product_id

    # a price edited on the channel comes back with the next product import
    CHANNEL.products = [
        ChannelProduct("MUG", Fulfilment.MFN, "Mug", "B0MUG", Money(Decimal("11.00"), "GBP"), 7)
    ]
    run(world, "products")
    session.expire_all()
    assert session.get(Listing, listings[(integration_id, "MUG")].id).channel_price == Decimal("11.00")  # type: ignore[union-attr]


def test_outbound_coalesces_per_sku_and_marks_rows_by_the_channel_result(
    session: Session, world: tuple
) -> None:
    _, _, integration_id = world
    integration = session.get(Integration, integration_id)
    assert integration is not None
    for sku in ("MUG", "CUP", "BAD"):
        factories.listing(session, factories.product(session, sku, stock=1), integration)
    fba = factories.product(session, "FBA-1", stock=1)
    factories.listing(session, fba, integration, Fulfilment.FBA)
    for qty in (5, 6, 7):
        catalog.set_stock(session, "MUG", qty)
    catalog.set_stock(session, "CUP", 2)
    catalog.set_stock(session, "BAD", 1)
    catalog.set_price(session, "MUG", Decimal("9.49"))
    session.commit()
    CHANNEL.rejected_skus = {"BAD"}

    result = run(world, "outbound")

    assert [(u.sku, u.quantity) for u in CHANNEL.quantity_pushes[0]] == [("MUG", 7), ("CUP", 2), ("BAD", 1)]
    assert [(u.sku, u.price.amount) for u in CHANNEL.price_pushes[0]] == [("MUG", Decimal("9.49"))]
    states = session.execute(select(OutboxEntry.sku, OutboxEntry.state)).all()
    assert {sku: state for sku, state in states if sku == "BAD"} == {"BAD": OutboxState.FAILED}
    assert all(state is OutboxState.DONE for sku, state in states if sku != "BAD")
    assert result.counts["quantity_done"] == 2 and result.counts["quantity_failed"] == 1
    assert session.scalar(select(SyncError.reason)) == "quantity rejected: rejected"
    assert all(u.sku != "FBA-1" for push in CHANNEL.quantity_pushes for u in push)

    assert run(world, "outbound").counts == {}  # nothing left to send
    assert len(CHANNEL.quantity_pushes) == 1


def test_outbound_rows_of_a_failed_push_are_resent_latest_value_only(session: Session, world: tuple) -> None:
    _, _, integration_id = world
    integration = session.get(Integration, integration_id)
    assert integration is not None
    factories.listing(session, factories.product(session, "MUG", stock=1), integration)
    catalog.set_stock(session, "MUG", 3)
    session.commit()
    CHANNEL.fail_after_pushes = 0  # the channel goes away mid-push: no verdict, the row stays queued
    with pytest.raises(TransientChannelError):
        run(world, "outbound")
    session.expire_all()
    assert {(r.state, r.attempts) for r in session.scalars(select(OutboxEntry))} == {(OutboxState.PENDING, 0)}
    catalog.set_stock(session, "MUG", 4)
    session.commit()
    CHANNEL.fail_after_pushes = None
    run(world, "outbound")
    assert [[(u.sku, u.quantity) for u in push] for push in CHANNEL.quantity_pushes] == [[("MUG", 4)]]
    session.expire_all()
    rows = {(r.state, r.last_error, r.attempts) for r in session.scalars(select(OutboxEntry))}
    assert rows == {(OutboxState.DONE, outbox_push.SUPERSEDED, 0), (OutboxState.DONE, None, 1)}


def test_one_runner_per_stream_and_a_dead_runners_lease_expires(session: Session, world: tuple) -> None:
    sessions, _, integration_id = world
    with sessions() as s:
        assert stream_lock.claim(s, integration_id, "orders", "worker-a", timedelta(seconds=60))
    skipped = run(world, "orders")
    assert skipped.ran is False
    with sessions() as s:  # worker-a died: its lease runs out
        s.execute(SyncCursor.__table__.update().values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
        s.commit()
    CHANNEL.orders = [channel_order(1)]
    assert run(world, "orders").counts["created"] == 1


def test_auth_failure_moves_the_integration_to_error_with_the_reason(session: Session, world: tuple) -> None:
    _, _, integration_id = world
    integration = session.get(Integration, integration_id)
    assert integration is not None
    integration.set_credentials({"api_key": "revoked-key"})
    session.commit()
    with pytest.raises(ChannelAuthError):
        run(world, "orders")
    session.expire_all()
    refreshed = session.get(Integration, integration_id)
    assert refreshed is not None and refreshed.status is IntegrationStatus.ERROR
    assert refreshed.status_reason == "api key refused by the fake channel"
    # still scheduled, on a slower schedule: errors never silently switch syncing off
    assert [i.alias for i in sync.syncable(session)] == ["fake-uk"]


def test_two_schedulers_enqueue_each_due_stream_once(session: Session, world: tuple) -> None:
    sessions, _, _ = world
    sent: list[tuple[object, ...]] = []
    first = scheduler.tick(sessions, [], lambda *args: sent.append(args))
    second = scheduler.tick(sessions, [], lambda *args: sent.append(args))
    assert len(first.streams) == len(sync.STREAMS) and second.streams == []
    assert sorted(args[2] for args in sent) == sorted(sync.STREAMS)


def test_usage_counts_fba_as_half(session: Session, world: tuple) -> None:
    CHANNEL.orders = [channel_order(1), channel_order(2), channel_order(3, fulfilment=Fulfilment.FBA)]
    run(world, "orders")
    assert orders.usage(session, "2026-11").counted == Decimal("2.5")
    assert orders.usage(session, "2026-10").counted == 0


def test_settings_stream_rejects_unknown_streams(world: tuple) -> None:
    with pytest.raises(Exception, match="unknown stream 'stock'"):
        run(world, "stock")


def _count_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of channel order ids each lookup of stored orders asks for, as they happen."""
    lookups: list[int] = []
    real = order_import._stored

    def counted(session: Session, integration_id: int, keys: list[str]) -> dict[str, object]:
        lookups.append(len(keys))
        return real(session, integration_id, keys)

    monkeypatch.setattr(order_import, "_stored", counted)
    return lookups


def _assert_stored_once(session: Session, orders: int, *, shipped: str) -> None:
    """``orders`` orders stored, the repeated one (``shipped``) updated in place, not copied."""
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Order)) == orders
    status = session.scalar(select(Order.status).where(Order.channel_order_id == shipped))
    assert status is OrderStatus.SHIPPED


def test_a_first_import_skips_the_lookup_and_still_updates_a_repeat(
    session: Session, world: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no order stored yet, no batch is looked up before its write; an order the channel
    sends again later (updated while we paged) is refused by the unique key, looked up and
    updated, not copied."""
    monkeypatch.setattr(orders_stream, "ORDER_BATCH", 3)
    CHANNEL.page_size = 3
    CHANNEL.orders = [
        *(channel_order(n) for n in range(6)),
        dataclasses.replace(channel_order(2), status=ChannelOrderStatus.SHIPPED),
        channel_order(6),
        channel_order(7),
    ]
    lookups = _count_lookups(monkeypatch)

    result = run(world, "orders")

    assert result.error is None
    assert (result.counts["created"], result.counts["updated"]) == (8, 1)
    assert lookups == [1]  # only the refused repeat, after the third batch's write
    _assert_stored_once(session, 8, shipped="202-0000002")


def test_an_import_with_orders_stored_looks_up_until_a_batch_finds_none(
    session: Session, world: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the integration has orders, batches are looked up before their write until one
    finds none of its orders stored; a repeat in the first batch is updated, not copied."""
    monkeypatch.setattr(orders_stream, "ORDER_BATCH", 3)
    CHANNEL.page_size = 3
    CHANNEL.orders = [channel_order(n) for n in range(3)]
    run(world, "orders")
    CHANNEL.orders += [
        dataclasses.replace(channel_order(1), status=ChannelOrderStatus.SHIPPED),
        channel_order(3),
        channel_order(4),
        *(channel_order(n) for n in range(5, 11)),
    ]
    lookups = _count_lookups(monkeypatch)

    result = run(world, "orders")

    assert result.error is None
    assert (result.counts["created"], result.counts["updated"]) == (8, 1)
    assert lookups == [3, 3]  # the repeat's batch, then one of only new orders; the third skips
    _assert_stored_once(session, 11, shipped="202-0000001")
