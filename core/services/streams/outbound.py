"""The ``outbound`` stream: the outbox, coalesced per SKU (last value wins), quantities and
prices in separate bulk pushes; a row is done only when the channel's result says so."""

from __future__ import annotations

from sqlalchemy.orm import Session

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
from core.services.stream_lock import LockLost
from core.services.streams.runner import AfterOrders, Runner
from core.types import ChannelConnector

log = get_logger(__name__)


def _outbound(runner: Runner, connector: ChannelConnector, _after: object) -> None:
    for kind in (OutboxKind.QUANTITY, OutboxKind.PRICE):
        _push(runner, connector, kind)


def _push(runner: Runner, connector: ChannelConnector, kind: OutboxKind) -> None:
    """Send the claimed outbox rows of one kind, one feed-sized chunk at a time.

    Each chunk's verdicts are written in bulk and committed with a lease renewal before the
    next chunk goes out. If the push fails half-way, the rows not yet answered go back to
    PENDING (see ``outbox_push``). If our lease was lost they stay SENDING: a new owner may
    have claimed them already, and the next claim takes SENDING rows anyway.
    """
    integration_id = runner.integration.id
    with runner.sessions() as session:
        runner.fence(session)
        claimed = outbox_push.claim(session, integration_id, kind)
        runner.commit_batch(session)
    if not claimed.latest:
        return
    try:
        for chunk in outbox_push.chunks(claimed.latest):
            if kind is OutboxKind.QUANTITY:
                _push_quantity_chunk(runner, connector, claimed, chunk)
            else:
                _push_price_chunk(runner, connector, claimed, chunk)
    except LockLost:
        raise  # the rows may be the new owner's claim now; left SENDING, they are claimed again
    except BaseException:
        with runner.sessions() as session:
            outbox_push.release(session, integration_id, kind)
            session.commit()
        raise


def _push_quantity_chunk(
    runner: Runner, connector: ChannelConnector, claimed: outbox_push.Claim, chunk: list[str]
) -> None:
    """Send one chunk's quantities, computed now from committed data (issue 15 item 4).

    The value queued with a row is ignored: ``catalog.quantities_to_push`` decides what each
    SKU gets (or why it gets nothing) at the moment of the push. Skipped rows are DONE with
    their reason; accepted rows record the quantity actually sent, for ``products show``.
    """
    with runner.sessions() as session:
        due = catalog.quantities_to_push(session, runner.integration.id, chunk)
    sent = {sku: q.quantity for sku, q in due.items() if q.quantity is not None}
    skipped: dict[str, list[str]] = {}
    for sku, q in due.items():
        if q.quantity is None:
            skipped.setdefault(q.reason, []).append(sku)
    runner.keeper.check()  # a push is a write too: never after our stream was taken over
    result = (
        connector.push_quantities([QuantityUpdate(sku, qty) for sku, qty in sent.items()]) if sent else None
    )
    with runner.sessions() as session:
        runner.fence(session)
        for reason, skus in skipped.items():
            outbox_push.mark(session, claimed.row_ids(skus), state=OutboxState.DONE, last_error=reason)
            runner.run.add(f"{OutboxKind.QUANTITY.value}_{OutboxState.DONE.value}", len(skus))
        if result is not None:
            accepted = _write_verdicts(runner, session, OutboxKind.QUANTITY, claimed, list(sent), result)
            outbox_push.mark_sent(
                session,
                [(row_id, sent[sku]) for sku in accepted for row_id in claimed.row_ids([sku])],
                submission_id=result.submission_id,
                sent_at=utcnow(),
            )
        runner.commit_batch(session)
    runner.progress("outbound", len(chunk))


def _push_price_chunk(
    runner: Runner, connector: ChannelConnector, claimed: outbox_push.Claim, chunk: list[str]
) -> None:
    """Send one chunk's newest queued prices (FBA prices are ours to set, unlike their stock)."""
    latest = claimed.latest
    runner.keeper.check()  # a push is a write too: never after our stream was taken over
    result = connector.push_prices(
        [
            PriceUpdate(sku, Money(value.price, value.currency or ""))
            for sku in chunk
            if (value := latest[sku]).price is not None
        ]
    )
    with runner.sessions() as session:
        runner.fence(session)
        accepted = _write_verdicts(runner, session, OutboxKind.PRICE, claimed, chunk, result)
        outbox_push.mark(
            session,
            claimed.row_ids(accepted),
            state=OutboxState.DONE,
            sent_at=utcnow(),
            submission_id=result.submission_id,
        )
        runner.commit_batch(session)
    runner.progress("outbound", len(chunk))


def _write_verdicts(
    runner: Runner,
    session: Session,
    kind: OutboxKind,
    claimed: outbox_push.Claim,
    skus: list[str],
    result: PushResult,
) -> list[str]:
    """Write the rejected and unanswered rows of a pushed chunk in bulk; return the accepted SKUs.

    The caller marks the accepted ones (what it records on them depends on the kind).
    """
    verdicts = {r.sku: r for r in result.results}
    done = [sku for sku in skus if (v := verdicts.get(sku)) is not None and v.ok]
    unanswered = [sku for sku in skus if sku not in verdicts]
    rejected = [verdicts[sku] for sku in skus if sku in verdicts and not verdicts[sku].ok]
    outbox_push.mark(
        session,
        claimed.row_ids(unanswered),
        state=OutboxState.PENDING,
        last_error="no result from the channel; will resend",
    )
    outbox_push.mark_failed(
        session,
        [(row_id, v.message) for v in rejected for row_id in claimed.row_ids([v.sku])],
        result.submission_id,
    )
    runner.record_failures(
        session, [RecordFailure(v.sku, f"{kind.value} rejected: {v.message}") for v in rejected]
    )
    for state, count in (
        (OutboxState.DONE, len(done)),
        (OutboxState.PENDING, len(unanswered)),
        (OutboxState.FAILED, len(rejected)),
    ):
        if count:
            runner.run.add(f"{kind.value}_{state.value}", count)
    return done


class OutboundStream:
    """The ``outbound`` stream, as the sync engine runs it."""

    name = "outbound"

    def run(self, runner: Runner, connector: ChannelConnector, after_orders: AfterOrders | None) -> None:
        _outbound(runner, connector, after_orders)
