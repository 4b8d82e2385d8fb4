"""The ``orders`` stream: new and updated orders, committed as pages arrive.

A batch is flushed when it reached ``ORDER_BATCH`` orders or when no further page is ready
yet (so at Amazon's pace each page commits at once); the cursor and the new orders' carrier
decisions are saved in the same transaction as the batch, so the cursor advances only once
the batch is committed and no order is committed without its decision. Quarantined orders
are asked for again first.
"""

from __future__ import annotations

from datetime import timedelta

from core.db.base import utcnow
from core.dto import (
    ChannelOrder,
    RecordFailure,
)
from core.logs import get_logger
from core.services import (
    order_import,
    quarantine,
)
from core.services.order_import import CarrierChooser
from core.services.prefetch import prefetched
from core.services.streams.runner import Runner
from core.types import ChannelConnector

log = get_logger(__name__)


ORDER_BATCH = 4_000
"""Orders committed per transaction when the channel is faster than the write (a backfill).

Big enough that each batch's statements (lease, SKU lookup, product weights, stock queue,
commit) cost little per order: 1,000 a batch wrote about 18% slower. Small enough for flat
memory: a batch and the prefetched pages, some 8,000 orders in all, keep an import's peak
memory within 20% of a small one's (5,000 a batch went over). At a channel's paced rate
every page commits at once anyway."""


PREFETCH_PAGES = 40
"""Pages read ahead while a batch is written: a whole batch at Amazon's 100 orders a page."""


def _orders(runner: Runner, connector: ChannelConnector, choose: CarrierChooser | None) -> None:
    integration = runner.integration
    cursor = runner.saved_cursor()
    history = int(integration.settings.get("history_days", 30))
    since = utcnow() - timedelta(days=history)
    pending: list[ChannelOrder] = []
    failures: list[RecordFailure] = []
    last_cursor = saved = cursor
    analysed = False  # statistics refreshed at most once per run, and only if the planner is behind
    all_new = False  # the last batch found none of its orders stored: the next skips the lookup

    def flush(page_cursor: str | None) -> None:
        nonlocal analysed, saved, all_new
        with runner.sessions() as session:
            runner.fence(session)
            written = quarantine.take_orders(
                session, integration.id, pending, failures, page_cursor, choose, look_up_stored=not all_new
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

    _retry_quarantined(runner, connector, choose)
    pages = prefetched(connector.fetch_orders(cursor, since=since), depth=PREFETCH_PAGES)
    for page in pages:
        pending.extend(page.orders)
        failures.extend(page.failures)
        last_cursor = page.cursor
        if len(pending) >= ORDER_BATCH or not pages.ready():
            flush(last_cursor)  # the batch is big enough, or the channel is slower than we write
        else:
            runner.keeper.beat_if_due()  # renewed between pages too, should the clock thread lag
    if pending or failures or last_cursor != saved:
        flush(last_cursor)


def _retry_quarantined(runner: Runner, connector: ChannelConnector, choose: CarrierChooser | None) -> None:
    """Ask the channel again for quarantined orders before the new ones; the cursor stays."""
    with runner.sessions() as session:
        refs = quarantine.retryable_orders(session, runner.integration.id)
    page = quarantine.refetch_orders(connector, refs)
    if page is None:
        return
    with runner.sessions() as session:
        runner.fence(session)
        written = quarantine.take_orders(
            session, runner.integration.id, page.orders, page.failures, choose=choose
        )
        runner.commit_batch(session)
    runner.run.add("created", written.imported.created)
    runner.run.add("updated", written.imported.updated)
    if written.resolved:
        runner.run.add("errors_resolved", written.resolved)


class OrdersStream:
    """The ``orders`` stream, as the sync engine runs it."""

    name = "orders"

    def run(self, runner: Runner, connector: ChannelConnector, choose: CarrierChooser | None) -> None:
        _orders(runner, connector, choose)
