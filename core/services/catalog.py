"""Stock and price changes in the hub, and the outbox rows that carry them to channels.

The hub is the truth for stock and listing prices. Every change is written together with
the outbox rows that will tell each channel, in the same transaction, so a crash can lose
neither the change nor the notice of it (the transactional outbox pattern). The outbound
stream later coalesces rows per SKU and sends them in bulk.

Quantities pushed are *available* stock: on hand minus units committed to unshipped orders
from every channel, never below zero, so two channels cannot sell the same unit. The value is
computed by :func:`quantities_to_push` when the outbound stream sends, from committed data,
never stored at queue time: a quantity row in the outbox only says "this listing's quantity is
due", so an order import and a stock edit racing each other cannot leave a stale value behind.
A product whose stock the hub never learned (unknown, not zero) pushes nothing; a listing the
integration's product filters exclude pushes 0; FBA listings are never pushed (Amazon owns
that stock).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, FromClause, Select, and_, func, insert, literal, select, update
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.members import member_of
from core.db.models import (
    COMMITTED_STATUSES,
    Listing,
    Order,
    OrderItem,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Product,
    StockSource,
)
from core.db.session import dialect_insert
from core.dto import Fulfilment
from core.errors import InputError, NotFoundError
from core.logs import get_logger
from core.services.prices import decimals_of, parse_price

log = get_logger(__name__)

UNSHIPPED = COMMITTED_STATUSES
"""Order statuses whose units are still committed (taken from stock, not yet shipped)."""

CHUNK = 1_000
"""Ids per ``IN (...)`` list: well under every backend's bound-parameter limit."""

MAX_QUANTITY = 1_000_000_000
"""Largest on-hand quantity accepted (fits a 32-bit INTEGER column with room to spare)."""

T = TypeVar("T")


def chunked(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``, for bounded ``IN`` lists."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def get_product(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFoundError(f"no product with SKU {sku!r} (import products first, or check the SKU)")
    return product


def product_ids_for(session: Session, skus: set[str], titles: dict[str, str | None]) -> dict[str, int]:
    """Hub product ids by SKU, creating products first seen on an order or listing (stock unknown)."""
    if not skus:
        return {}
    known = dict(session.execute(select(Product.sku, Product.id).where(member_of(Product.sku, skus))).all())
    missing = skus - known.keys()
    if missing:
        now = utcnow()
        session.execute(
            dialect_insert(session, Product).on_conflict_do_nothing(index_elements=["sku"]),
            [
                {"sku": sku, "title": titles.get(sku), "created_at": now, "updated_at": now}
                for sku in sorted(missing)
            ],
        )
        known.update(
            session.execute(select(Product.sku, Product.id).where(member_of(Product.sku, missing))).all()
        )
    return known


def committed_units(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """Units of each product on unshipped MFN orders of every integration."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            member_of(OrderItem.product_id, ids),
            Order.status.in_(UNSHIPPED),
            Order.fulfilment == Fulfilment.MFN,
        )
        .group_by(OrderItem.product_id)
    )
    return {pid: int(units) for pid, units in rows if pid is not None}


def available(on_hand: int | None, committed: int) -> int | None:
    """On hand minus committed, never below 0; None while on hand is unknown."""
    return None if on_hand is None else max(on_hand - committed, 0)


class PushQuantity(NamedTuple):
    """What to send for one listing: a quantity, or None and the reason nothing is sent."""

    quantity: int | None
    reason: str = ""


SKIP_UNKNOWN = PushQuantity(None, "skipped: stock unknown (set it with `channelhub stock set`)")
SKIP_ADOPTED = PushQuantity(None, "skipped: stock adopted from the channel, not yet set in the hub")
SKIP_FBA = PushQuantity(None, "skipped: channel-held (FBA) stock")
SKIP_UNLISTED = PushQuantity(None, "skipped: no such listing on the integration")


def quantities_to_push(
    session: Session, integration_id: int, channel_skus: Collection[str]
) -> dict[str, PushQuantity]:
    """The quantity rule, set-based: what to push now for each channel SKU of an integration.

    Read from committed data when the push runs (the outbound stream calls it after claiming
    its rows), two queries whatever the number of SKUs (each bound as one parameter):

    - FBA listing: nothing (the channel owns that stock);
    - excluded by the integration's product filters: 0, whatever the stock;
    - stock unknown (never learned): nothing;
    - stock adopted from a channel and not yet set in the hub: nothing (the listing shows it);
    - otherwise on hand - committed units of unshipped MFN orders of every channel, never < 0.
    """
    result: dict[str, PushQuantity] = dict.fromkeys(channel_skus, SKIP_UNLISTED)
    if not result:
        return result
    rows = session.execute(
        select(
            Listing.channel_sku,
            Listing.product_id,
            Listing.fulfilment,
            Listing.excluded,
            Product.stock_on_hand,
            Product.stock_source,
        )
        .join(Product, Product.id == Listing.product_id)
        .where(Listing.integration_id == integration_id, member_of(Listing.channel_sku, result))
    ).all()
    counted = [
        r.product_id
        for r in rows
        if r.fulfilment is not Fulfilment.FBA and not r.excluded and r.stock_on_hand is not None
    ]
    committed = committed_units(session, counted)
    for r in rows:
        if r.fulfilment is Fulfilment.FBA:
            result[r.channel_sku] = SKIP_FBA
        elif r.excluded:
            result[r.channel_sku] = PushQuantity(0, "excluded by the integration's product filters")
        elif r.stock_on_hand is None:
            result[r.channel_sku] = SKIP_UNKNOWN
        elif r.stock_source == StockSource.CHANNEL:
            result[r.channel_sku] = SKIP_ADOPTED
        else:
            result[r.channel_sku] = PushQuantity(max(r.stock_on_hand - committed.get(r.product_id, 0), 0))
    return result


def enqueue_quantities(
    session: Session, product_ids: Iterable[int], *, integration_id: int | None = None
) -> int:
    """Mark every MFN listing of these products (on one integration, or all) as due for a push.

    Called after anything that moves available stock: a stock edit, an imported or cancelled
    order, a filter change. One ``INSERT ... SELECT`` (the ids bound as one array); the row carries no
    value: :func:`quantities_to_push` computes it at push time. Returns the rows written.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    condition: ColumnElement[bool] = member_of(Listing.product_id, ids)
    if integration_id is not None:
        condition = and_(condition, Listing.integration_id == integration_id)
    return enqueue_quantities_where(session, Product.__table__, condition)


def enqueue_quantities_where(session: Session, source: FromClause, condition: ColumnElement[bool]) -> int:
    """Queue a quantity push for the MFN listings of the products ``source`` and ``condition`` pick.

    ``source`` is joined to the listings on ``products.id`` (it is the products table, or a
    join that contains it, e.g. with an import's staging table). One statement, any size.
    """
    outbox = OutboxEntry.__table__
    chosen = (
        select(
            Listing.integration_id,
            literal(OutboxKind.QUANTITY.value, outbox.c.kind.type),
            Listing.channel_sku,
            literal(OutboxState.PENDING.value, outbox.c.state.type),
            literal(0),
            literal(utcnow(), outbox.c.created_at.type),
        )
        .select_from(source)
        .join(Listing, Listing.product_id == Product.__table__.c.id)
        .where(condition, Listing.fulfilment == Fulfilment.MFN)
    )
    columns = ["integration_id", "kind", "sku", "state", "attempts", "created_at"]
    return _insert_from_select(session, columns, chosen)


def _insert_from_select(session: Session, columns: list[str], chosen: Select[Any]) -> int:
    """``INSERT INTO outbox (columns) SELECT ...``; returns the rows written.

    SQLAlchemy reports an INSERT's row count only when asked (``preserve_rowcount``): without
    it PostgreSQL said -1 while 240 rows were written.
    """
    statement = insert(OutboxEntry).from_select(columns, chosen).execution_options(preserve_rowcount=True)
    result = session.connection().execute(statement)
    return max(result.rowcount, 0)


@dataclass
class Adoption:
    """What a listing import learned: SKUs whose stock was adopted, and conflicting ones."""

    adopted: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def adopt_stock(session: Session, observed: dict[int, int], *, first_import: bool) -> Adoption:
    """Adopt channel quantities (product id -> MFN listing quantity) as on hand where the hub has none.

    A product with unknown stock takes the channel's quantity. During the first listing import
    of an integration, a product whose stock was adopted from another channel (never set in the
    hub) and that this channel lists with a *lower* quantity takes the lower one and is
    reported as a conflict. Stock set in the hub is never overwritten.
    """
    result = Adoption()
    changes: list[dict[str, Any]] = []
    for batch in chunked(sorted(observed)):
        rows = session.execute(
            select(Product.id, Product.sku, Product.stock_on_hand, Product.stock_source).where(
                Product.id.in_(batch)
            )
        ).all()
        for pid, sku, on_hand, source in rows:
            quantity = observed[pid]
            if on_hand is None:
                result.adopted.append(sku)
            elif first_import and source == StockSource.CHANNEL and quantity != on_hand:
                result.conflicts.append(sku)
                if quantity > on_hand:
                    continue
            else:
                continue
            changes.append({"id": pid, "stock_on_hand": quantity, "stock_source": StockSource.CHANNEL.value})
    if changes:
        session.execute(update(Product), changes)  # ORM bulk UPDATE by primary key
    if result.conflicts:
        log.warning(
            "conflicting channel quantities; the lower one was adopted", skus=sorted(result.conflicts)
        )
    return result


def set_exclusions(session: Session, integration_id: int, excluded_product_ids: Collection[int]) -> int:
    """Store which products an integration's filters exclude (replacing the previous verdict).

    The plugin decides, core stores: listings that change side are queued for a quantity push
    (0 when newly excluded, the real available quantity when no longer). Returns how many
    products changed side.
    """
    wanted = set(excluded_product_ids)
    current = dict(
        session.execute(
            select(Listing.product_id, Listing.excluded).where(Listing.integration_id == integration_id)
        ).all()
    )
    flip_on = [pid for pid, was in current.items() if pid in wanted and not was]
    flip_off = [pid for pid, was in current.items() if pid not in wanted and was]
    for ids, value in ((flip_on, True), (flip_off, False)):
        for batch in chunked(ids):
            session.execute(
                update(Listing)
                .where(Listing.integration_id == integration_id, Listing.product_id.in_(batch))
                .values(excluded=value)
            )
    changed = flip_on + flip_off
    enqueue_quantities(session, changed, integration_id=integration_id)
    return len(changed)


def ship_units(session: Session, order_id: int) -> None:
    """Units of an MFN order leave the warehouse: lower on-hand stock (never below zero).

    Called when an unshipped order becomes Shipped; they were committed until now, so the
    available quantity does not change. A Shipped order later cancelled does not restock.
    Unknown stock stays unknown.
    """
    units = session.execute(
        select(OrderItem.product_id, func.sum(OrderItem.quantity))
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            OrderItem.order_id == order_id,
            Order.fulfilment == Fulfilment.MFN,
            OrderItem.product_id.is_not(None),
        )
        .group_by(OrderItem.product_id)
    ).all()
    for product_id, quantity in units:
        product = session.get(Product, product_id)
        if product is not None and product.stock_on_hand is not None:
            product.stock_on_hand = max(product.stock_on_hand - int(quantity), 0)


def check_quantity(field: str, quantity: int) -> int:
    """An on-hand quantity a person typed or a file holds: 0 to :data:`MAX_QUANTITY`."""
    if quantity < 0:
        raise InputError(field, f"must be 0 or more, got {quantity}")
    if quantity > MAX_QUANTITY:
        raise InputError(field, f"must be at most {MAX_QUANTITY:,}, got {quantity}")
    return quantity


def set_stock(session: Session, sku: str, quantity: int) -> Product:
    """Set the units on hand of a product (now owned by the hub) and queue it everywhere."""
    check_quantity("quantity", quantity)
    product = get_product(session, sku)
    product.stock_on_hand = quantity
    product.stock_source = StockSource.HUB
    session.flush()
    enqueue_quantities(session, [product.id])
    return product


@dataclass(frozen=True, slots=True)
class ProductEdit:
    """Fields ``products set`` may change; None leaves a field as it is."""

    title: str | None = None
    ean: str | None = None
    brand: str | None = None
    category: str | None = None
    weight_kg: Decimal | None = None
    cost: str | None = None
    rrp: str | None = None
    currency: str | None = None
    on_hand: int | None = None


def update_product(session: Session, sku: str, edit: ProductEdit) -> Product:
    """Change one product's data; a new RRP or stock is queued for its listings like ``stock set``.

    Every value is checked before anything is stored, so a bad one changes nothing.
    """
    product = get_product(session, sku)
    currency = (edit.currency or product.currency or "").upper() or None
    if edit.currency is not None:
        decimals_of(edit.currency)
    if (edit.rrp is not None or edit.cost is not None) and currency is None:
        raise InputError("currency", f"product {sku!r} has no currency: give --currency with a price")
    rrp = None if edit.rrp is None else parse_price("rrp", edit.rrp, currency)
    cost = None if edit.cost is None else parse_price("cost", edit.cost, currency)
    if edit.weight_kg is not None and not (0 <= edit.weight_kg <= 100_000):
        raise InputError("weight", f"must be between 0 and 100000 kg, got {edit.weight_kg}")
    if edit.on_hand is not None:
        check_quantity("on_hand", edit.on_hand)
    for name in ("title", "ean", "brand", "category", "weight_kg"):
        value = getattr(edit, name)
        if value is not None:
            setattr(product, name, value)
    product.currency = currency
    if rrp is not None:
        product.rrp = rrp
    if cost is not None:
        product.cost = cost
    if edit.on_hand is not None:
        product.stock_on_hand = edit.on_hand
        product.stock_source = StockSource.HUB
    session.flush()
    if edit.on_hand is not None:
        enqueue_quantities(session, [product.id])
    if rrp is not None:
        queue_rrp_prices(session, [product.id])
    return product


def queue_rrp_prices(session: Session, product_ids: Iterable[int]) -> int:
    """Queue each product's RRP as the price of its listings (see :func:`queue_rrp_prices_where`)."""
    return sum(
        queue_rrp_prices_where(session, Product.__table__, Product.__table__.c.id.in_(batch))
        for batch in chunked(sorted(set(product_ids)))
    )


def queue_rrp_prices_where(session: Session, source: FromClause, condition: ColumnElement[bool]) -> int:
    """Queue the RRP of the products ``source`` and ``condition`` pick as their listings' price.

    The RRP is the default listing price (DESIGN.md section 3). A listing priced in another
    currency is left alone: channelhub never converts money. Price rules, when enabled, set
    prices through ``rules apply`` instead. One ``INSERT ... SELECT``, any size.
    """
    outbox = OutboxEntry.__table__
    products = Product.__table__.c
    chosen = (
        select(
            Listing.integration_id,
            literal(OutboxKind.PRICE.value, outbox.c.kind.type),
            Listing.channel_sku,
            products.rrp,
            products.currency,
            literal(OutboxState.PENDING.value, outbox.c.state.type),
            literal(0),
            literal(utcnow(), outbox.c.created_at.type),
        )
        .select_from(source)
        .join(Listing, Listing.product_id == products.id)
        .where(
            condition,
            products.rrp.is_not(None),
            func.coalesce(Listing.currency, products.currency) == products.currency,
        )
    )
    columns = ["integration_id", "kind", "sku", "price", "currency", "state", "attempts", "created_at"]
    return _insert_from_select(session, columns, chosen)


def set_price(
    session: Session, sku: str, amount: str | Decimal, *, integration_ids: Iterable[int] | None = None
) -> list[OutboxEntry]:
    """Queue a listing price for a product on its integrations (all, or the ones given).

    The price is in each listing's own currency: channelhub never converts money; it is
    checked against each of those currencies' decimals before anything is queued.
    """
    parse_price("amount", amount, None)
    product = get_product(session, sku)
    query = select(Listing).where(Listing.product_id == product.id)
    if integration_ids is not None:
        query = query.where(member_of(Listing.integration_id, list(integration_ids)))
    listings = list(session.scalars(query))
    if not listings:
        raise NotFoundError(f"product {sku!r} is not listed on any integration to price")
    prices = [parse_price("amount", amount, listing.currency or product.currency) for listing in listings]
    return [enqueue_price(session, listing, price) for listing, price in zip(listings, prices, strict=True)]


def enqueue_price(session: Session, listing: Listing, amount: Decimal) -> OutboxEntry:
    """Queue one listing's new price (used by price rules as well as manual edits)."""
    currency = listing.currency or listing.product.currency
    if currency is None:
        raise InputError("currency", f"listing {listing.channel_sku!r} has no currency to price in")
    row = OutboxEntry(
        integration_id=listing.integration_id,
        kind=OutboxKind.PRICE,
        sku=listing.channel_sku,
        price=amount,
        currency=currency,
    )
    session.add(row)
    return row


OutboxRow = tuple[int, OutboxKind, str, int | None, Decimal | None, str | None]
"""(integration id, kind, channel SKU, quantity, price, currency) of one queued update."""

_OUTBOX_COLUMNS = (
    "integration_id",
    "kind",
    "sku",
    "quantity",
    "price",
    "currency",
    "state",
    "attempts",
    "created_at",
)


def queue_bulk(session: Session, rows: Sequence[OutboxRow]) -> int:
    """Queue many outbox rows at once (COPY on PostgreSQL, one multi-row INSERT elsewhere).

    For updates that touch a whole catalogue (price rules, product filters): one ORM object per
    row would take minutes for a million listings. The rows are the ones :func:`enqueue_price`
    and :func:`enqueue_quantities` write (pending, no attempts yet), in the caller's
    transaction, so they commit or roll back with it. Returns how many were queued.
    """
    if not rows:
        return 0
    now = utcnow()
    pending = OutboxState.PENDING
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(
            f"COPY {OutboxEntry.__tablename__} ({', '.join(_OUTBOX_COLUMNS)}) FROM STDIN"
        ) as copy:
            for integration_id, kind, sku, quantity, price, currency in rows:
                copy.write_row(
                    (integration_id, kind.value, sku, quantity, price, currency, pending.value, 0, now)
                )
        return len(rows)
    session.execute(
        insert(OutboxEntry),
        [dict(zip(_OUTBOX_COLUMNS, (*row, pending, 0, now), strict=True)) for row in rows],
    )
    return len(rows)
