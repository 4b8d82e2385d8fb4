"""The outbox's side of a push: read rows a feed at a time, coalesced per SKU; verdicts in bulk.

A million queued SKUs must cost a few statements per feed, not one per row, must touch each
row once, and must not all sit in memory at once. A run of the outbound stream:

1. :func:`prepare`: rows superseded by a newer queued row of the same SKU are DONE
   (coalescing: the newest carries the value; a quantity is computed at push time anyway),
   and the newest queued id is the run's bound, so rows queued while the run pushes wait
   for the next run;
2. :func:`claim` reads the next feed's worth of PENDING rows, in id order from where the
   last chunk ended, up to the bound; a run holds one chunk at a time, never the whole queue;
3. :func:`write_verdicts` records the channel's answer on every row of the chunk in one
   statement, by row id: only rows read before the push are marked, so a stock change
   committed meanwhile stays PENDING for the next run instead of being marked sent.

Rows stay PENDING until their verdict: nothing is marked before the push (a second UPDATE of
every row cost as much as the rest of the database work together). A push that fails
half-way, a runner that lost its lease, or a worker killed outright leave the unanswered
rows PENDING, and the next run sends them (quantities and prices are absolute values, so
re-sending the newest is harmless); the verdict's transaction holds the renewed lease
(``Runner.fence``), so a runner taken over records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Integer, Table, and_, column, func, literal, select, text, union_all, update
from sqlalchemy.orm import Session

from core.db.members import member_of
from core.db.models import OutboxEntry, OutboxKind, OutboxState

OUTBOX = cast(Table, OutboxEntry.__table__)

PUSH_CHUNK = 25_000
"""SKUs handed to the connector per call: one Amazon JSON_LISTINGS_FEED holds at most 25,000.

Verdicts are written and committed per chunk, so a push that fails half-way keeps the
verdicts of the chunks the channel already answered.
"""

SUPERSEDED = "superseded by a newer queued value of the same SKU"
UNANSWERED = "no result from the channel; will resend"


@dataclass(frozen=True, slots=True)
class QueuedValue:
    """The newest queued row of one SKU in a chunk: the value to send."""

    row_id: int
    quantity: int | None
    price: Decimal | None
    currency: str | None


@dataclass(slots=True)
class Claim:
    """One chunk of queued rows coalesced per SKU: the newest value, and older rows it supersedes.

    SKUs are in id order (the order of changes); ``last_id`` is where the next claim starts.
    Rows of one SKU in one chunk only happen when a row committed after :func:`prepare`.
    """

    last_id: int
    latest: dict[str, QueuedValue] = field(default_factory=dict)
    older: dict[str, list[int]] = field(default_factory=dict)

    def row_ids(self, sku: str) -> list[int]:
        """Every claimed row of this SKU (the newest and the ones it coalesced)."""
        return [self.latest[sku].row_id, *self.older.get(sku, ())]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a push did for a SKU, written on each of its claimed rows.

    A chunk has a handful of distinct verdicts (accepted, each skip reason, each rejection
    message), so callers share one object among the SKUs it stands for.
    """

    state: OutboxState
    last_error: str | None = None
    submission_id: str | None = None
    sent_at: datetime | None = None


def _scope(integration_id: int, kind: OutboxKind) -> Any:
    return and_(OUTBOX.c.integration_id == integration_id, OUTBOX.c.kind == kind)


def prepare(session: Session, integration_id: int, kind: OutboxKind) -> int | None:
    """Start a run: coalesce per SKU and return the run's bound (None: nothing queued).

    Coalescing is one set-based statement: the newest row of each SKU queued more than once
    stays PENDING, the older ones are DONE with the reason.
    """
    pending = and_(_scope(integration_id, kind), OUTBOX.c.state == OutboxState.PENDING)
    bound = session.scalar(select(func.max(OUTBOX.c.id)).where(pending))
    if bound is None:
        return None
    # superseded ids first, then one UPDATE by id: a join of the queue with its own aggregate
    # was planned as a nested loop recomputing the aggregate per row on fresh statistics
    ranked = (
        select(OUTBOX.c.id, func.max(OUTBOX.c.id).over(partition_by=OUTBOX.c.sku).label("newest"))
        .where(pending, OUTBOX.c.id <= bound)
        .subquery()
    )
    superseded = session.scalars(select(ranked.c.id).where(ranked.c.id < ranked.c.newest)).all()
    if superseded:
        session.execute(
            update(OUTBOX)
            .where(member_of(OUTBOX.c.id, superseded))
            .values(state=OutboxState.DONE, last_error=SUPERSEDED)
        )
    return int(bound)


def claim(
    session: Session, integration_id: int, kind: OutboxKind, *, after: int, bound: int, size: int = PUSH_CHUNK
) -> Claim | None:
    """The next ``size`` PENDING rows with ``after < id <= bound``, coalesced; None when none are left.

    One SELECT walking the pending index (integration, kind, state, id) from ``after``.
    """
    rows = session.execute(
        select(OUTBOX.c.id, OUTBOX.c.sku, OUTBOX.c.quantity, OUTBOX.c.price, OUTBOX.c.currency)
        .where(
            _scope(integration_id, kind),
            OUTBOX.c.state == OutboxState.PENDING,
            OUTBOX.c.id > after,
            OUTBOX.c.id <= bound,
        )
        .order_by(OUTBOX.c.id)
        .limit(size)
    ).all()
    if not rows:
        return None
    result = Claim(last_id=rows[-1][0])
    latest, older = result.latest, result.older
    for row_id, sku, quantity, price, currency in rows:
        previous = latest.pop(sku, None)
        if previous is not None:
            older.setdefault(sku, []).append(previous.row_id)
        # popped and re-inserted: the SKU moves to its newest row's place, as after prepare()
        latest[sku] = QueuedValue(row_id, quantity, price, currency)
    return result


def write_verdicts(
    session: Session, claimed: Claim, verdicts: Mapping[str, Verdict], sent: Mapping[str, int]
) -> None:
    """One verdict per claimed SKU, on each of its rows, in one statement; ``sent`` are the
    quantities pushed (recorded on the rows, for ``products show``).

    The rows travel as one JSON array of ``[row id, quantity, verdict number]`` and the few
    distinct verdicts as a ``UNION ALL`` of one-row selects, joined in the database: one round trip whatever
    the chunk's size (one UPDATE per distinct quantity, or an executemany of one per row,
    cost more than the rest of a push together). Every SKU of the chunk must have a verdict.
    """
    missing = claimed.latest.keys() - verdicts.keys()
    if missing:
        raise ValueError(f"no verdict for {len(missing)} claimed SKUs, e.g. {min(missing)!r}")
    numbers: dict[Verdict, int] = {}
    rows: list[tuple[int, int | None, int]] = []
    for sku, value in claimed.latest.items():
        n = numbers.setdefault(verdicts[sku], len(numbers))
        quantity = sent.get(sku)
        rows.append((value.row_id, quantity, n))
        rows.extend((row_id, quantity, n) for row_id in claimed.older.get(sku, ()))
    chosen = union_all(
        *(
            select(
                literal(n, Integer()).label("n"),
                literal(v.state, OUTBOX.c.state.type).label("state"),
                literal(v.last_error, OUTBOX.c.last_error.type).label("last_error"),
                literal(v.submission_id, OUTBOX.c.submission_id.type).label("submission_id"),
                literal(v.sent_at, OUTBOX.c.sent_at.type).label("sent_at"),
            )
            for v, n in numbers.items()
        )
    ).subquery("verdicts")  # a VALUES list, but SQLite names no columns of one
    given = _json_rows(session, json.dumps(rows))
    session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == given.c.id, given.c.n == chosen.c.n)
        .values(
            state=chosen.c.state,
            last_error=chosen.c.last_error,
            submission_id=chosen.c.submission_id,
            sent_at=chosen.c.sent_at,
            quantity=func.coalesce(given.c.quantity, OUTBOX.c.quantity),
            attempts=OUTBOX.c.attempts + 1,
        )
    )


def _json_rows(session: Session, document: str) -> Any:
    """``[[id, quantity, n], ...]`` as a table ``(id, quantity, n)``, parsed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        sql = (
            "SELECT (e->>0)::bigint AS id, (e->>1)::integer AS quantity, (e->>2)::integer AS n "
            "FROM json_array_elements(CAST(:rows AS json)) AS e"
        )
    else:
        sql = (
            "SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS quantity, "
            "json_extract(value, '$[2]') AS n FROM json_each(:rows)"
        )
    return (
        text(sql)
        .bindparams(rows=document)
        .columns(column("id", Integer()), column("quantity", Integer()), column("n", Integer()))
        .subquery("given")
    )
