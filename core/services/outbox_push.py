"""The outbox's side of a push: claim rows in bulk, coalesce them per SKU, write verdicts in bulk.

A million queued SKUs must cost a handful of statements, not one per row: the claim is one
``UPDATE ... RETURNING``, and each pushed chunk (one channel feed) gets one statement per
outcome (done, failed, no result, each skip reason), whatever the number of rows.

Claimed rows are in state SENDING. Rows only leave SENDING with a verdict, or through
:func:`release` when the push fails half-way (the channel went away); a runner that lost its
lease, or a worker killed outright, leaves them SENDING, and the next run claims them again with the
pending ones (quantities and prices are absolute values, so re-sending the newest is harmless).
Nothing stays SENDING for longer than until the next run of the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from core.db.members import member_of
from core.db.models import OutboxEntry, OutboxKind, OutboxState

OUTBOX = cast(Table, OutboxEntry.__table__)

PUSH_CHUNK = 25_000
"""SKUs handed to the connector per call: one Amazon JSON_LISTINGS_FEED holds at most 25,000.

Verdicts are written and committed per chunk, so a push that fails half-way keeps the
verdicts of the chunks the channel already answered.
"""


@dataclass(frozen=True, slots=True)
class QueuedValue:
    """The newest queued row of one SKU: the value to send."""

    row_id: int
    quantity: int | None
    price: Decimal | None
    currency: str | None


@dataclass(slots=True)
class Claim:
    """Claimed rows coalesced per SKU: the newest value, and the older rows it supersedes.

    SKUs are in the order of their first queued row, so pushes follow the order of changes.
    """

    latest: dict[str, QueuedValue] = field(default_factory=dict)
    older: dict[str, list[int]] = field(default_factory=dict)

    def row_ids(self, skus: Sequence[str]) -> list[int]:
        """Every claimed row of these SKUs (the newest and the ones it coalesced)."""
        ids = [self.latest[sku].row_id for sku in skus]
        for sku in skus:
            ids.extend(self.older.get(sku, ()))
        return ids


def chunks(skus: Iterable[str], size: int = PUSH_CHUNK) -> Iterator[list[str]]:
    """``skus`` in lists of at most ``size``."""
    iterator = iter(skus)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _scope(integration_id: int, kind: OutboxKind) -> Any:
    return (OUTBOX.c.integration_id == integration_id) & (OUTBOX.c.kind == kind)


def claim(session: Session, integration_id: int, kind: OutboxKind) -> Claim:
    """Mark every pending (or left-SENDING) row of one kind SENDING, in one statement."""
    rows = list(
        session.execute(
            update(OUTBOX)
            .where(
                _scope(integration_id, kind),
                OUTBOX.c.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
            )
            .values(state=OutboxState.SENDING, attempts=OUTBOX.c.attempts + 1)
            .returning(OUTBOX.c.id, OUTBOX.c.sku, OUTBOX.c.quantity, OUTBOX.c.price, OUTBOX.c.currency)
        )
    )
    rows.sort(key=lambda row: row[0])
    result = Claim()
    latest, older = result.latest, result.older
    for row_id, sku, quantity, price, currency in rows:
        previous = latest.get(sku)
        if previous is not None:
            older.setdefault(sku, []).append(previous.row_id)
        # re-inserting keeps the SKU's first position: dict order is insertion order of the key
        latest[sku] = QueuedValue(row_id, quantity, price, currency)
    return result


def mark(session: Session, row_ids: Sequence[int], **values: Any) -> None:
    """One verdict for many rows, in one statement."""
    if row_ids:
        session.execute(update(OUTBOX).where(member_of(OUTBOX.c.id, row_ids)).values(**values))


def mark_sent(
    session: Session, sent: Sequence[tuple[int, int]], *, submission_id: str | None, sent_at: datetime
) -> None:
    """Accepted quantity rows, each with the quantity actually sent: one statement per quantity.

    The quantity is computed at push time (``catalog.quantities_to_push``), so the row records
    what the channel now holds rather than what was current when the row was queued. Rows are
    grouped by that quantity (a feed holds far fewer distinct quantities than SKUs): an
    executemany of one UPDATE per row cost more than the rest of the push together.
    """
    by_quantity: dict[int, list[int]] = {}
    for row_id, quantity in sent:
        by_quantity.setdefault(quantity, []).append(row_id)
    for quantity, row_ids in by_quantity.items():
        mark(
            session,
            row_ids,
            state=OutboxState.DONE,
            quantity=quantity,
            sent_at=sent_at,
            submission_id=submission_id,
        )


def mark_failed(
    session: Session, failed: Sequence[tuple[int, str | None]], submission_id: str | None
) -> None:
    """Rows the channel rejected, each with its own message, in one executemany."""
    if not failed:
        return
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"))
        .values(state=OutboxState.FAILED, last_error=bindparam("error"), submission_id=submission_id),
        [{"row_id": row_id, "error": error} for row_id, error in failed],
    )


def release(session: Session, integration_id: int, kind: OutboxKind) -> None:
    """A push stopped half-way: rows still SENDING go back to PENDING for the next run."""
    session.execute(
        update(OUTBOX)
        .where(_scope(integration_id, kind), OUTBOX.c.state == OutboxState.SENDING)
        .values(state=OutboxState.PENDING)
    )
