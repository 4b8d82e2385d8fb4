"""The ``orders`` stream: new and updated orders, committed as pages arrive.

A batch is flushed when it reached ``ORDER_BATCH`` orders or when no further page is ready
yet (so at Amazon's pace each page commits at once); the cursor and the new orders' carrier
decisions are saved in the same transaction as the batch, so the cursor advances only once
the batch is committed and no order is committed without its decision. Quarantined orders
are asked for again first.

Each page is validated (mapped to its rows) in the prefetch thread as it arrives: that is
pure Python, so it runs while the stream waits on the database for the batch before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from core.db.base import utcnow
from core.dto import OrdersPage, RecordFailure
from core.logs import get_logger
from core.services import (
    order_import,
    order_validation,
    quarantine,
)
from core.services.order_import import PreparedOrder
from core.services.prefetch import prefetched
from core.services.streams.runner import Runner
from core.types import ChannelConnector

log = get_logger(__name__)


ORDER_BATCH = 3_500
"""Orders committed per transaction when the channel is faster than the write (a backfill).

Big enough that each batch's statements (lease, SKU lookup, product weights, stock queue,
commit) cost little per order: 1,000 a batch wrote about 18% slower than 4,000. Small enough
for flat memory: a batch and the prefetched pages (validated, so each order is held with its
rows), some 7,000 orders in all, keep an import's peak memory within 20% of a small one's
(4,000 a batch with 40 pages ahead measured +20.2% at 500,000 orders)."""


PREFETCH_PAGES = 35
"""Pages read ahead while a batch is written: a whole batch at Amazon's 100 orders a page."""

PAGE_GRACE = 0.05
"""Seconds a batch waits for the next page before it commits. A backfill's next page is a few
milliseconds behind (the reader fetches, decodes and validates it, sharing the interpreter
with the writer): without the wait a batch would commit after nearly every page, paying the
per-batch statements for 100 orders, not 3,500. At a channel's paced rate (a page every few
seconds) each page still commits almost at once."""


@dataclass(frozen=True, slots=True)
class _CheckedPage:
    good: list[PreparedOrder]
    bad: list[RecordFailure]
    cursor: str | None


def _checked(pages: Iterable[OrdersPage], integration_id: int) -> Iterator[_CheckedPage]:
    """Each page through validation: its good orders as rows, its bad ones as failures."""
    for page in pages:
        good, bad = order_validation.validate_orders(integration_id, page.orders)
        yield _CheckedPage(good, [*page.failures, *bad], page.cursor)


def _orders(runner: Runner, connector: ChannelConnector) -> None:
    integration = runner.integration
    cursor = runner.saved_cursor()
    history = int(integration.settings.get("history_days", 30))
    since = utcnow() - timedelta(days=history)
    pending: list[PreparedOrder] = []
    failures: list[RecordFailure] = []
    last_cursor = saved = cursor
    analysed = False  # statistics refreshed at most once per run, and only if the planner is behind
    all_new = False  # the last batch found none of its orders stored: the next skips the lookup

    def flush(page_cursor: str | None) -> None:
        nonlocal analysed, saved, all_new
        with runner.sessions() as session:
            runner.fence(session)
            written = quarantine.take_checked(
                session,
                integration.id,
                pending,
                failures,
                page_cursor,
                runner.choose,
                look_up_stored=not all_new,
            )
            result = written.imported
            if written.quarantined:
                runner.run.add("errors", written.quarantined)
            runner.commit_batch(session, page_cursor, save_cursor=True)
        runner.run.add("created", result.created)
        all_new = result.created > 0 and not (result.updated or result.unchanged)
        if not analysed and runner.run.counts["created"] >= order_import.ANALYZE_AFTER:
            analysed = True
            with runner.sessions() as session:
                order_import.refresh_statistics(session, runner.run.counts["created"])
                session.commit()
        runner.run.add("updated", result.updated)
        runner.run.add("unchanged", result.unchanged)
        if written.resolved:
            runner.run.add("errors_resolved", written.resolved)
        runner.progress("orders", len(pending) + len(failures))
        pending.clear()
        failures.clear()
        saved = page_cursor

    _retry_quarantined(runner, connector)
    with runner.sessions() as session:  # a first import (none stored yet) skips it from the start
        all_new = not order_import.has_orders(session, integration.id)
    pages = prefetched(_checked(connector.fetch_orders(cursor, since=since), integration.id), PREFETCH_PAGES)
    for page in pages:
        pending.extend(page.good)
        failures.extend(page.bad)
        last_cursor = page.cursor
        if len(pending) >= ORDER_BATCH or not pages.ready(PAGE_GRACE):
            flush(last_cursor)  # the batch is big enough, or the channel is slower than we write
        else:
            runner.keeper.beat_if_due()  # renewed between pages too, should the clock thread lag
    if pending or failures or last_cursor != saved:
        flush(last_cursor)


def _retry_quarantined(runner: Runner, connector: ChannelConnector) -> None:
    """Ask the channel again for quarantined orders before the new ones; the cursor stays."""
    with runner.sessions() as session:
        refs = quarantine.retryable_orders(session, runner.integration.id)
    page = quarantine.refetch_orders(connector, refs)
    if page is None:
        return
    with runner.sessions() as session:
        runner.fence(session)
        written = quarantine.take_orders(
            session, runner.integration.id, page.orders, page.failures, choose=runner.choose
        )
        runner.commit_batch(session)
    runner.run.add("created", written.imported.created)
    runner.run.add("updated", written.imported.updated)
    if written.resolved:
        runner.run.add("errors_resolved", written.resolved)


class OrdersStream:
    """The ``orders`` stream, as the sync engine runs it."""

    name = "orders"

    def run(self, runner: Runner, connector: ChannelConnector) -> None:
        _orders(runner, connector)
