"""The ``outbound`` stream: the outbox, coalesced per SKU (last value wins), quantities and
prices in separate bulk pushes; a row is done only when the channel's result says so."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from core.db.base import utcnow
from core.db.models import (
    OutboxKind,
    OutboxState,
)
from core.dto import (
    Money,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    RecordFailure,
)
from core.logs import get_logger
from core.services import (
    catalog,
    outbox_push,
)
from core.services.streams.runner import Runner
from core.types import ChannelConnector

log = get_logger(__name__)


def _outbound(runner: Runner, connector: ChannelConnector) -> None:
    for kind in (OutboxKind.QUANTITY, OutboxKind.PRICE):
        _push(runner, connector, kind)


def _push(runner: Runner, connector: ChannelConnector, kind: OutboxKind) -> None:
    """Send the queued outbox rows of one kind, one feed-sized chunk at a time.

    Each chunk's verdicts are written in one statement and committed with a lease renewal
    (the fence) on a writer thread while the next chunk is read, priced and pushed: the
    database updates the rows of one feed while Python builds the next, so the push runs at
    the pace of the slower of the two, not of their sum. One write is in flight at a time and
    the next waits for it (verdicts commit in order; a lost lease stops the push at the next
    chunk at the latest), so at most two chunks are in memory. Rows have no verdict until the
    channel answered: if the push fails half-way, or our lease was lost, the rest simply stay
    PENDING for the next run (see ``outbox_push``).
    """
    integration_id = runner.integration.id
    push = _push_quantity_chunk if kind is OutboxKind.QUANTITY else _push_price_chunk
    with runner.sessions() as session:
        runner.fence(session)
        bound = outbox_push.prepare(session, integration_id, kind)
        runner.commit_batch(session)
    if bound is None:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbound-verdicts") as writer:
        in_flight: InFlight | None = None
        after = 0
        while True:
            with runner.sessions() as session:
                claimed = outbox_push.claim(
                    session, integration_id, kind, after=after, bound=bound, size=outbox_push.PUSH_CHUNK
                )
            if claimed is None:
                break
            verdicts, sent, failures = push(runner, connector, claimed)
            _settle(runner, kind, in_flight)
            in_flight = writer.submit(_record, runner, claimed, verdicts, sent, failures), verdicts
            after = claimed.last_id
        _settle(runner, kind, in_flight)


InFlight = tuple[Future[None], dict[str, outbox_push.Verdict]]
"""A chunk whose verdicts the writer thread is committing, and those verdicts."""


def _settle(runner: Runner, kind: OutboxKind, in_flight: InFlight | None) -> None:
    """Wait for a chunk's verdicts to commit (raising the writer's error, e.g. ``LockLost``); count it."""
    if in_flight is not None:
        future, verdicts = in_flight
        future.result()
        _count(runner, kind, verdicts)
        runner.progress("outbound", len(verdicts))


def _record(
    runner: Runner,
    claimed: outbox_push.Claim,
    verdicts: dict[str, outbox_push.Verdict],
    sent: dict[str, int],
    failures: list[RecordFailure],
) -> None:
    """Commit one pushed chunk's verdicts and quarantined rejections under our lease."""
    with runner.sessions() as session:
        runner.fence(session)
        outbox_push.write_verdicts(session, claimed, verdicts, sent)
        runner.record_failures(session, failures)
        runner.commit_batch(session)


Pushed = tuple[dict[str, outbox_push.Verdict], dict[str, int], list[RecordFailure]]
"""A pushed chunk: each SKU's verdict, the quantities sent, and the rejections to quarantine."""


def _push_quantity_chunk(runner: Runner, connector: ChannelConnector, claimed: outbox_push.Claim) -> Pushed:
    """Send one chunk's quantities, computed now from committed data (issue 15 item 4).

    The value queued with a row is ignored: ``catalog.quantities_to_push`` decides what each
    SKU gets (or why it gets nothing) at the moment of the push. Skipped rows are DONE with
    their reason; accepted rows record the quantity actually sent, for ``products show``.
    """
    with runner.sessions() as session:
        due = catalog.quantities_to_push(session, runner.integration.id, claimed.latest)
    verdicts: dict[str, outbox_push.Verdict] = {}
    skipped: dict[str, outbox_push.Verdict] = {}
    sent: dict[str, int] = {}
    for sku, q in due.items():
        if q.quantity is None:
            verdict = skipped.get(q.reason)
            if verdict is None:
                verdict = skipped[q.reason] = outbox_push.Verdict(OutboxState.DONE, last_error=q.reason)
            verdicts[sku] = verdict
        else:
            sent[sku] = q.quantity
    if not sent:
        return verdicts, sent, []
    runner.keeper.check()  # a push is a write too: never after our stream was taken over
    result = connector.push_quantities([QuantityUpdate(sku, qty) for sku, qty in sent.items()])
    failures = _channel_verdicts(OutboxKind.QUANTITY, sent, result, verdicts)
    return verdicts, sent, failures


def _push_price_chunk(runner: Runner, connector: ChannelConnector, claimed: outbox_push.Claim) -> Pushed:
    """Send one chunk's newest queued prices (FBA prices are ours to set, unlike their stock)."""
    runner.keeper.check()  # a push is a write too: never after our stream was taken over
    result = connector.push_prices(
        [
            PriceUpdate(sku, Money(value.price, value.currency or ""))
            for sku, value in claimed.latest.items()
            if value.price is not None
        ]
    )
    verdicts: dict[str, outbox_push.Verdict] = {}
    failures = _channel_verdicts(OutboxKind.PRICE, claimed.latest, result, verdicts)
    return verdicts, {}, failures


def _channel_verdicts(
    kind: OutboxKind, skus: Iterable[str], result: PushResult, verdicts: dict[str, outbox_push.Verdict]
) -> list[RecordFailure]:
    """Add the channel's answer for each pushed SKU to ``verdicts``; return the rejections to quarantine.

    Accepted: DONE with the submission; rejected: FAILED with the channel's message; not in
    the result: PENDING again, for the next run.
    """
    answers = {r.sku: r for r in result.results}
    accepted = outbox_push.Verdict(OutboxState.DONE, submission_id=result.submission_id, sent_at=utcnow())
    unanswered = outbox_push.Verdict(OutboxState.PENDING, last_error=outbox_push.UNANSWERED)
    failures: list[RecordFailure] = []
    for sku in skus:
        answer = answers.get(sku)
        if answer is None:
            verdicts[sku] = unanswered
        elif answer.ok:
            verdicts[sku] = accepted
        else:
            verdicts[sku] = outbox_push.Verdict(
                OutboxState.FAILED, last_error=answer.message, submission_id=result.submission_id
            )
            failures.append(RecordFailure(sku, f"{kind.value} rejected: {answer.message}"))
    return failures


def _count(runner: Runner, kind: OutboxKind, verdicts: dict[str, outbox_push.Verdict]) -> None:
    """Run counts per outcome (``quantity_done``, ``price_failed``, ...), one per SKU."""
    counts: dict[OutboxState, int] = {}
    for verdict in verdicts.values():
        counts[verdict.state] = counts.get(verdict.state, 0) + 1
    for state, count in counts.items():
        runner.run.add(f"{kind.value}_{state.value}", count)


class OutboundStream:
    """The ``outbound`` stream, as the sync engine runs it."""

    name = "outbound"

    def run(self, runner: Runner, connector: ChannelConnector) -> None:
        _outbound(runner, connector)
