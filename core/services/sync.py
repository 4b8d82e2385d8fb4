"""The sync engine: channel-agnostic streams that keep the hub and each integration in step.

Streams, per integration, each with its own cursor and lock (``core.services.stream_lock``):

- ``orders``: new and updated orders, committed as pages arrive (a batch is flushed when it
  reached ``ORDER_BATCH`` orders or when no further page is ready yet, so at Amazon's pace each
  page commits at once); the cursor is saved in the same transaction as the batch, so it
  advances only once the batch is committed;
- ``products``: the channel's listings (price edits made on the channel come back here);
- ``inventory``: channel-held (FBA) stock, read-only for the hub;
- ``mcf``: tracking for orders the channel fulfils for us;
- ``outbound``: the outbox, coalesced per SKU (last value wins), quantities and prices in
  separate bulk pushes; a row is done only when the channel's result says so.

A runner holds its stream under a lease renewed on a clock (``stream_lock.LeaseKeeper``) and
checks it before every write, so a runner that lost its stream stops before writing again. A
worker that dies mid-stream leaves a lock that expires and a cursor at the last committed
batch; the next run resumes there and the upsert makes the repeat harmless.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db.base import utcnow
from core.db.models import (
    Integration,
    IntegrationStatus,
    JobRun,
    JobStatus,
    Listing,
    Order,
    OrderStatus,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Shipment,
    SyncCursor,
)
from core.dto import (
    ChannelOrder,
    ChannelProduct,
    Fulfilment,
    FulfilmentUpdate,
    InventoryLevel,
    Money,
    PriceUpdate,
    QuantityUpdate,
    RecordFailure,
)
from core.errors import ChannelAuthError, ConfigError, InputError
from core.logs import describe_error, get_logger
from core.plugins import PluginManager
from core.services import (
    carrier_selection,
    carrier_sweep,
    catalog,
    integrations,
    order_import,
    quarantine,
    stream_lock,
)
from core.services.prefetch import prefetched
from core.services.stream_lock import LeaseKeeper, LockLost
from core.timing import STREAM_MINUTES, get_timing

log = get_logger(__name__)

STREAMS: dict[str, timedelta] = {name: timedelta(minutes=m) for name, m in STREAM_MINUTES.items()}
"""Default interval per stream at Amazon's pace (DESIGN.md section 3); :func:`interval` scales it."""

ORDER_BATCH = 1_000
"""Orders committed per transaction: big enough for bulk speed, small enough for flat memory."""

Progress = Callable[[str, int], None]
"""Called with (what, how many more) as a stream advances, e.g. to move a progress bar."""


def interval(integration: Integration, stream: str) -> timedelta:
    """The stream's interval for this integration (``settings["intervals"][stream]`` minutes),
    divided by the deployment's time scale like every other time constant."""
    minutes = (integration.settings.get("intervals") or {}).get(stream)
    timing = get_timing()
    return timing.scale_minutes(float(minutes)) if minutes else timing.interval(stream)


def process_prefix() -> str:
    """What every lock owner id of this process starts with (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:"


def worker_id() -> str:
    return f"{process_prefix()}{uuid.uuid4().hex[:6]}"


@dataclass
class StreamRun:
    """The outcome of one run of one stream, as shown to people and stored on the job log."""

    integration: str
    stream: str
    ran: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add(self, key: str, value: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + value

    def summary(self) -> str:
        """The counts in one line, for people: ``created 417, updated 3`` or ``nothing new``."""
        return describe_counts(self.counts)


COUNT_WORDS = {
    "price_done": "prices accepted",
    "price_failed": "prices refused",
    "quantity_done": "stock levels accepted",
    "quantity_failed": "stock levels refused",
    "mcf_updated": "Amazon-fulfilled (MCF) orders updated",
    "mcf_unmatched": "Amazon-fulfilled (MCF) orders not found here",
    "errors": "records set aside with an error",
    "stock_adopted": "stock levels adopted from the channel",
    "stock_conflicts": "SKUs with differing channel stock (lower kept)",
}
"""Plain words for the counts whose keys say little to people (outbound pushes, MCF)."""


def describe_counts(counts: Mapping[str, int]) -> str:
    """A run's counts in plain words, zeros left out: ``created 417, listings updated 3``."""
    words = [f"{COUNT_WORDS.get(k, k.replace('_', ' '))} {v}" for k, v in sorted(counts.items()) if v]
    return ", ".join(words) or "nothing new"


class _Runner:
    """State shared by the stream functions of one run: sessions, lock owner, job log."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        integration: Integration,
        stream: str,
        owner: str,
        progress: Progress | None,
        keeper: LeaseKeeper,
    ) -> None:
        self.sessions = sessions
        self.integration = integration
        self.stream = stream
        self.owner = owner
        self.progress = progress or (lambda _what, _n: None)
        self.keeper = keeper
        self.run = StreamRun(integration.alias, stream)

    def saved_cursor(self) -> str | None:
        """Where the last committed batch of this stream left off (None: from the start)."""
        with self.sessions() as session:
            return session.scalar(
                select(SyncCursor.cursor).where(
                    SyncCursor.integration_id == self.integration.id, SyncCursor.stream == self.stream
                )
            )

    def first_run(self) -> bool:
        """True until this stream of this integration has once finished without error."""
        with self.sessions() as session:
            done = session.scalar(
                select(SyncCursor.last_success_at).where(
                    SyncCursor.integration_id == self.integration.id, SyncCursor.stream == self.stream
                )
            )
            return done is None

    def fence(self, session: Session) -> None:
        """Open a batch's transaction with the lease renewal, before any read.

        The batch then writes under the lease it just proved (on PostgreSQL the stream's row
        stays locked until the commit, so no takeover slips in between), and on SQLite the
        transaction is a writer from its first statement: a transaction that read first and
        writes later fails at once ("database is locked") when another thread committed in
        between, instead of waiting its turn.
        """
        self.keeper.check()
        stream_lock.renew(session, self.integration.id, self.stream, self.owner, self.keeper.lease)

    def commit_batch(self, session: Session, cursor: str | None = None, *, save_cursor: bool = False) -> None:
        """Renew our lease and (optionally) move the cursor, in the batch's own transaction.

        The renewal is the fence: it matches only while the stream is still ours, so a runner
        whose stream was taken over raises :class:`LockLost` instead of committing.
        """
        self.keeper.check()
        stream_lock.renew(session, self.integration.id, self.stream, self.owner, self.keeper.lease)
        if save_cursor:
            session.execute(
                update(SyncCursor)
                .where(SyncCursor.integration_id == self.integration.id, SyncCursor.stream == self.stream)
                .values(cursor=cursor)
            )
        session.commit()

    def record_failures(
        self, session: Session, failures: Iterable[RecordFailure], cursor: str | None = None
    ) -> None:
        """Quarantine records this stream could not take (``core.services.quarantine``)."""
        count = quarantine.record(session, self.integration.id, self.stream, failures, cursor)
        if count:
            self.run.add("errors", count)


def run_stream(
    sessions: sessionmaker[Session],
    plugins: PluginManager,
    integration_id: int,
    stream: str,
    *,
    progress: Progress | None = None,
    after_orders: Callable[[Session, list[int]], None] | None = None,
) -> StreamRun:
    """Run one stream of one integration now, unless another runner holds it.

    ``after_orders`` is called with each committed batch's new unshipped order ids; by default
    it gives them carriers (or Pending review) when a carrier plugin is installed. Auth failures
    move the integration to Error with the reason; the stream keeps its schedule, slower, and
    is never switched off.
    """
    if stream not in STREAMS:
        raise InputError("stream", f"unknown stream {stream!r} (choose from {', '.join(STREAMS)})")
    owner = worker_id()
    with sessions() as session:
        integration = integrations.get_integration(session, integration_id)
        session.expunge(integration)
        if not integration.active:  # switched off after this run was queued
            return StreamRun(integration.alias, stream, ran=False, error="integration disabled")
        if not stream_lock.claim(session, integration_id, stream, owner):
            return StreamRun(integration.alias, stream, ran=False, error="already running elsewhere")
        job = JobRun(
            job="sync",
            integration_id=integration_id,
            stream=stream,
            worker=owner,
            counts={},
            heartbeat_at=utcnow(),
        )
        session.add(job)
        session.commit()
        job_id = job.id
    sweep = None
    if after_orders is None and plugins.carriers():
        after_orders = partial(_select_carriers, plugins=plugins)
        sweep = plugins
    keeper = LeaseKeeper(sessions, integration_id, stream, owner, job_id=job_id)
    runner = _Runner(sessions, integration, stream, owner, progress, keeper)
    every = interval(integration, stream)
    error: str | None = None
    try:
        connector = integrations.build_connector(integration, plugins)
        try:
            with keeper:
                STREAM_FUNCTIONS[stream](runner, connector, after_orders)
                if stream == "orders" and sweep is not None:
                    _sweep_carriers(runner, sweep)
        finally:
            connector.close()
        _back_to_live(sessions, integration)
    except LockLost as exc:
        error = str(exc)
    except ChannelAuthError as exc:
        error = f"channel refused the credentials: {describe_error(exc)}"
        with sessions() as session:
            integrations.mark_auth_failure(session, integration_id, describe_error(exc))
            session.commit()
        raise
    except Exception as exc:
        error = describe_error(exc)  # stored on the job and cursor: no parameters, no rows
        raise
    finally:
        runner.run.error = error
        _finish(sessions, runner, job_id, every)
    return runner.run


def _select_carriers(session: Session, order_ids: list[int], *, plugins: PluginManager) -> None:
    carrier_selection.select_carriers(session, plugins, order_ids)


def _sweep_carriers(runner: _Runner, plugins: PluginManager) -> None:
    """Carriers for every shippable order still without one (status changes, crashes)."""
    runner.keeper.check()
    with runner.sessions() as session:
        swept = carrier_sweep.sweep(session, plugins, runner.integration.id)
    if swept:
        runner.run.add("carriers_swept", swept)


def _back_to_live(sessions: sessionmaker[Session], integration: Integration) -> None:
    """A stream that just talked to the channel proves the credentials: Error becomes Live.

    A single transient refusal (an LWA 401 during an outage) must not leave the integration
    in Error once syncs succeed again.
    """
    with sessions() as session:
        session.execute(
            update(Integration)
            .where(Integration.id == integration.id, Integration.status == IntegrationStatus.ERROR)
            .values(status=IntegrationStatus.LIVE, status_reason=None)
        )
        session.commit()


def _finish(sessions: sessionmaker[Session], runner: _Runner, job_id: int, every: timedelta) -> None:
    run = runner.run
    with sessions() as session:
        failures = session.scalar(
            select(SyncCursor.consecutive_failures).where(
                SyncCursor.integration_id == runner.integration.id, SyncCursor.stream == runner.stream
            )
        )
        delay = every if run.error is None else stream_lock.backoff(every, (failures or 0) + 1)
        stream_lock.release(
            session,
            runner.integration.id,
            runner.stream,
            runner.owner,
            next_run_at=utcnow() + delay,
            error=run.error,
        )
        session.execute(
            update(JobRun)
            .where(JobRun.id == job_id)
            .values(
                status=JobStatus.SUCCEEDED if run.error is None else JobStatus.FAILED,
                finished_at=utcnow(),
                counts=run.counts,
                error=run.error,
            )
        )
        session.commit()


def _orders(
    runner: _Runner, connector: Any, after_orders: Callable[[Session, list[int]], None] | None
) -> None:
    integration = runner.integration
    cursor = runner.saved_cursor()
    history = int(integration.settings.get("history_days", 30))
    since = utcnow() - timedelta(days=history)
    pending: list[ChannelOrder] = []
    failures: list[RecordFailure] = []
    last_cursor = saved = cursor
    analysed_at = ORDER_BATCH  # re-analyse each time the import doubles the rows it created

    def flush(page_cursor: str | None) -> None:
        nonlocal analysed_at, saved
        with runner.sessions() as session:
            runner.fence(session)
            written = quarantine.take_orders(session, integration.id, pending, failures, page_cursor)
            result = written.imported
            if written.quarantined:
                runner.run.add("errors", written.quarantined)
            runner.commit_batch(session, page_cursor, save_cursor=True)
            if after_orders and result.new_unshipped:
                after_orders(session, result.new_unshipped)
                session.commit()
        runner.run.add("created", result.created)
        if runner.run.counts["created"] >= analysed_at:
            analysed_at *= 2
            with runner.sessions() as session:
                order_import.refresh_statistics(session)
                session.commit()
        runner.run.add("updated", result.updated)
        runner.run.add("unchanged", result.unchanged)
        if written.resolved:
            runner.run.add("errors_resolved", written.resolved)
        runner.progress("orders", len(pending) + len(failures))
        pending.clear()
        failures.clear()
        saved = page_cursor

    _retry_quarantined(runner, connector, after_orders)
    pages = prefetched(connector.fetch_orders(cursor, since=since))
    for page in pages:
        pending.extend(page.orders)
        failures.extend(page.failures)
        last_cursor = page.cursor
        if len(pending) >= ORDER_BATCH or not pages.ready():
            flush(last_cursor)  # the batch is big enough, or the channel is slower than we write
        else:
            runner.keeper.beat()  # at least one renewal per page, whatever the clock says
    if pending or failures or last_cursor != saved:
        flush(last_cursor)


def _retry_quarantined(
    runner: _Runner, connector: Any, after_orders: Callable[[Session, list[int]], None] | None
) -> None:
    """Ask the channel again for quarantined orders before the new ones; the cursor stays."""
    with runner.sessions() as session:
        refs = quarantine.retryable_orders(session, runner.integration.id)
    page = quarantine.refetch_orders(connector, refs)
    if page is None:
        return
    with runner.sessions() as session:
        runner.fence(session)
        written = quarantine.take_orders(session, runner.integration.id, page.orders, page.failures)
        runner.commit_batch(session)
        if after_orders and written.imported.new_unshipped:
            after_orders(session, written.imported.new_unshipped)
            session.commit()
    runner.run.add("created", written.imported.created)
    runner.run.add("updated", written.imported.updated)
    if written.resolved:
        runner.run.add("errors_resolved", written.resolved)


def _upsert_listings(
    runner: _Runner,
    session: Session,
    rows: Sequence[ChannelProduct | InventoryLevel],
    *,
    stock_only: bool,
    first_import: bool = False,
) -> None:
    """Listings of this integration by channel SKU; the same SKU elsewhere is the same product.

    MFN listing quantities are adopted as on hand for products whose stock the hub has never
    learned (``catalog.adopt_stock``); nothing is queued for them, so the listing keeps its value.
    """
    integration_id = runner.integration.id
    skus = {row.sku for row in rows}
    titles = {row.sku: getattr(row, "title", None) for row in rows}
    ids = catalog.product_ids_for(session, skus, titles)
    existing = {
        listing.channel_sku: listing
        for listing in session.scalars(
            select(Listing).where(Listing.integration_id == integration_id, Listing.channel_sku.in_(skus))
        )
    }
    now = utcnow()
    observed: dict[int, int] = {}
    for row in rows:
        listing = existing.get(row.sku)
        if listing is None:
            listing = Listing(product_id=ids[row.sku], integration_id=integration_id, channel_sku=row.sku)
            session.add(listing)
            existing[row.sku] = listing
            runner.run.add("listings_created")
        else:
            runner.run.add("listings_updated")
        listing.fulfilment = row.fulfilment
        listing.asin = row.asin or listing.asin
        listing.last_seen_at = now
        if isinstance(row, InventoryLevel):
            listing.channel_quantity = row.quantity
        elif not stock_only:
            listing.channel_quantity = row.quantity if row.quantity is not None else listing.channel_quantity
            if row.price is not None:
                listing.channel_price = row.price.amount
                listing.currency = row.price.currency
            if row.fulfilment is Fulfilment.MFN and row.quantity is not None:
                seen = observed.get(ids[row.sku])
                observed[ids[row.sku]] = row.quantity if seen is None else min(seen, row.quantity)
    if observed:
        adoption = catalog.adopt_stock(session, observed, first_import=first_import)
        if adoption.adopted:
            runner.run.add("stock_adopted", len(adoption.adopted))
        if adoption.conflicts:
            runner.run.add("stock_conflicts", len(adoption.conflicts))


def _products(runner: _Runner, connector: Any, _after: object) -> None:
    first_import = runner.first_run()
    for batch in connector.fetch_products():
        good, bad = _valid_products(batch)
        with runner.sessions() as session:
            runner.fence(session)
            _upsert_listings(runner, session, good, stock_only=False, first_import=first_import)
            runner.record_failures(session, bad)
            quarantine.resolve(session, runner.integration.id, "products", (p.sku for p in good))
            runner.commit_batch(session)
        runner.progress("products", len(batch))


def _valid_products(batch: Sequence[ChannelProduct]) -> tuple[list[ChannelProduct], list[RecordFailure]]:
    good, bad = [], []
    for product in batch:
        if not product.sku:
            bad.append(RecordFailure("<no sku>", "sku: is empty"))
        elif product.quantity is not None and product.quantity < 0:
            bad.append(RecordFailure(product.sku, f"quantity: must not be negative, got {product.quantity}"))
        else:
            good.append(product)
    return good, bad


def _inventory(runner: _Runner, connector: Any, _after: object) -> None:
    for batch in connector.fetch_inventory():
        levels = [level for level in batch if level.quantity >= 0]
        with runner.sessions() as session:
            runner.fence(session)
            _upsert_listings(runner, session, levels, stock_only=True)
            runner.record_failures(
                session,
                (RecordFailure(lv.sku, "quantity: must not be negative") for lv in batch if lv.quantity < 0),
            )
            runner.commit_batch(session)
        runner.progress("inventory", len(batch))


def _mcf(runner: _Runner, connector: Any, _after: object) -> None:
    cursor = runner.saved_cursor()
    for page in connector.fetch_fulfilment_updates(cursor):
        with runner.sessions() as session:
            for update_ in page.updates:
                _apply_fulfilment_update(runner, session, update_)
            runner.commit_batch(session, page.cursor, save_cursor=True)
        runner.progress("mcf", len(page.updates))


def _apply_fulfilment_update(runner: _Runner, session: Session, news: FulfilmentUpdate) -> None:
    """Tracking for an order the channel ships for us: a shipment that needs no notification."""
    order = session.scalar(
        select(Order).where(
            Order.integration_id == runner.integration.id, Order.channel_order_id == news.fulfilment_order_id
        )
    )
    if order is None:
        runner.run.add("mcf_unmatched")
        return
    key = f"mcf:{runner.integration.id}:{news.fulfilment_order_id}"
    shipment = session.scalar(select(Shipment).where(Shipment.idempotency_key == key))
    if shipment is None:
        shipment = Shipment(
            carrier_code=news.carrier or "amazon-mcf",
            idempotency_key=key,
            orders=[order],
            notify_state="not_required",
        )
        session.add(shipment)
    shipment.tracking_number = news.tracking_numbers[0] if news.tracking_numbers else shipment.tracking_number
    shipment.shipped_at = news.shipped_at or shipment.shipped_at
    shipment.delivered_at = news.delivered_at or shipment.delivered_at
    if news.shipped_at and order.status not in (OrderStatus.SHIPPED, OrderStatus.CANCELLED):
        order.status = OrderStatus.SHIPPED
    runner.run.add("mcf_updated")


def _outbound(runner: _Runner, connector: Any, _after: object) -> None:
    for kind in (OutboxKind.QUANTITY, OutboxKind.PRICE):
        _push(runner, connector, kind)


def _claim_outbox(runner: _Runner, kind: OutboxKind) -> dict[str, list[OutboxEntry]]:
    """Rows to send, grouped per SKU in id order; marked SENDING in their own commit.

    Rows left SENDING by a worker that died are included again: quantities and prices are
    absolute values, so re-sending the latest one is harmless, and coalescing on the newest
    row per SKU means an older value can never overtake a newer one.
    """
    with runner.sessions() as session:
        rows = session.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.integration_id == runner.integration.id,
                OutboxEntry.kind == kind,
                OutboxEntry.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
            )
            .order_by(OutboxEntry.id)
        ).all()
        groups: dict[str, list[OutboxEntry]] = {}
        for row in rows:
            groups.setdefault(row.sku, []).append(row)
            row.state = OutboxState.SENDING
            row.attempts += 1
        runner.commit_batch(session)
        for row in rows:
            session.expunge(row)
    return groups


def _push(runner: _Runner, connector: Any, kind: OutboxKind) -> None:
    groups = _claim_outbox(runner, kind)
    if not groups:
        return
    runner.keeper.check()  # a push is a write too: never after our stream was taken over
    skipped: dict[str, str] = {}
    if kind is OutboxKind.QUANTITY:
        # Computed now, from committed data, not when the rows were queued (issue 15 item 4).
        with runner.sessions() as session:
            due = catalog.quantities_to_push(session, runner.integration.id, list(groups))
        quantities = {sku: q.quantity for sku, q in due.items() if q.quantity is not None}
        skipped = {sku: q.reason for sku, q in due.items() if q.quantity is None}
        result = connector.push_quantities([QuantityUpdate(sku, qty) for sku, qty in quantities.items()])
    else:
        latest = {sku: rows[-1] for sku, rows in groups.items()}  # FBA prices are ours to set
        updates = [
            PriceUpdate(sku, Money(row.price, row.currency or ""))
            for sku, row in latest.items()
            if row.price is not None
        ]
        result = connector.push_prices(updates)
    verdicts = {r.sku: r for r in result.results}
    with runner.sessions() as session:
        now = utcnow()
        for sku, rows in groups.items():
            ids = [row.id for row in rows]
            verdict = verdicts.get(sku)
            if sku in skipped:
                values: dict[str, Any] = {"state": OutboxState.DONE, "last_error": skipped[sku]}
            elif verdict is None:
                values = {
                    "state": OutboxState.PENDING,
                    "last_error": "no result from the channel; will resend",
                }
            elif verdict.ok:
                values = {"state": OutboxState.DONE, "sent_at": now, "submission_id": result.submission_id}
            else:
                values = {
                    "state": OutboxState.FAILED,
                    "last_error": verdict.message,
                    "submission_id": result.submission_id,
                }
                runner.record_failures(
                    session, [RecordFailure(sku, f"{kind.value} rejected: {verdict.message}")]
                )
            if kind is OutboxKind.QUANTITY and sku not in skipped:
                values["quantity"] = quantities[sku]  # the value actually sent, for `products show`
            session.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(**values))
            runner.run.add(f"{kind.value}_{values['state'].value}")
        runner.commit_batch(session)
    runner.progress("outbound", len(groups))


STREAM_FUNCTIONS: dict[str, Callable[[_Runner, Any, Any], None]] = {
    "orders": _orders,
    "products": _products,
    "inventory": _inventory,
    "mcf": _mcf,
    "outbound": _outbound,
}


def syncable(session: Session, name: str | None = None) -> Iterator[Integration]:
    """Integrations that sync: Live ones, and Error ones (slower, so they recover by themselves);
    never a disabled or removed one (naming one is refused with what to do)."""
    if name is not None:
        integration = integrations.find(session, name)
        if integration.removed_at is not None:
            raise ConfigError(f"{integration.alias} was removed; it is kept for its orders only")
        if integration.disabled_at is not None:
            raise ConfigError(
                f"{integration.alias} is disabled: `channelhub integrations enable {integration.alias}` first"
            )
        yield integration
        return
    yield from session.scalars(
        select(Integration)
        .where(
            Integration.status.in_((IntegrationStatus.LIVE, IntegrationStatus.ERROR)),
            Integration.disabled_at.is_(None),
            Integration.removed_at.is_(None),
        )
        .order_by(Integration.id)
    )
