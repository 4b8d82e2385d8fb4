"""The quarantine: records a stream could not take are kept, shown and retried, never lost.

A bad record (a field missing or malformed, a value the database cannot hold) used to be
skipped while the cursor moved past it. Now each one is an open ``sync_errors`` row with the
record as the channel sent it (encrypted with the credentials cipher: it holds buyer data),
the reason (field names only), the cursor where it was seen and how often it was tried.

Orders are retried by asking the channel for them again (the fix happens on the channel's
side) through the optional :class:`core.types.RefetchesOrders` capability: on every orders
run and on ``channelhub errors retry``. An entry closes when the record imports (resolved)
or when someone dismisses it; either way its payload is dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from core.crypto import get_cipher
from core.db.base import utcnow
from core.db.members import member_of
from core.db.models import Integration, OutboxEntry, OutboxState, SyncCursor, SyncError
from core.dto import ChannelOrder, OrdersPage, RecordFailure
from core.errors import NotFoundError
from core.logs import describe_error, get_logger, scrub_values
from core.plugins import PluginManager
from core.services import integrations, order_import, order_validation
from core.types import RefetchesOrders

log = get_logger(__name__)

RETRY_PER_RUN = 100
"""Quarantined orders asked for again at the start of each orders run (oldest attempt first)."""

UNREFERENCED = "<no id>"
"""Reference prefix of a record without an id: it cannot be fetched again, only dismissed."""


def _open() -> Any:
    return SyncError.resolved_at.is_(None) & SyncError.dismissed_at.is_(None)


def _encrypt(payload: Mapping[str, Any] | None) -> bytes | None:
    if payload is None:
        return None
    return get_cipher().encrypt(json.dumps(payload, default=str, sort_keys=True).encode())


def decrypt_payload(entry: SyncError) -> dict[str, Any] | None:
    """The record as the channel sent it (for diagnosis); None once the entry is closed."""
    if entry.payload is None:
        return None
    result: dict[str, Any] = json.loads(get_cipher().decrypt(entry.payload))
    return result


def _reference(failure: RecordFailure) -> str:
    reference = failure.reference or UNREFERENCED
    if reference.startswith("<") and failure.payload is not None:
        # several id-less records must not collapse into one entry
        digest = hashlib.sha256(
            json.dumps(failure.payload, default=str, sort_keys=True).encode()
        ).hexdigest()[:12]
        reference = f"{UNREFERENCED} {digest}"
    return reference[:200]


def record(
    session: Session,
    integration_id: int,
    stream: str,
    failures: Iterable[RecordFailure],
    cursor: str | None = None,
) -> int:
    """Quarantine each failure (a repeat of an open entry counts as one more attempt).

    Runs in the caller's transaction, beside the batch it belongs to. Returns how many.
    """
    now = utcnow()
    count = 0
    for failure in failures:
        reference = _reference(failure)
        reason = scrub_values(failure.reason, failure.payload)[:2000]
        entry = session.scalar(
            select(SyncError).where(
                SyncError.integration_id == integration_id,
                SyncError.stream == stream,
                SyncError.reference == reference,
                _open(),
            )
        )
        if entry is None:
            session.add(
                SyncError(
                    integration_id=integration_id,
                    stream=stream,
                    reference=reference,
                    reason=reason,
                    payload=_encrypt(failure.payload),
                    cursor=cursor,
                    attempts=1,
                    created_at=now,
                    last_attempt_at=now,
                )
            )
        else:
            entry.reason = reason
            entry.attempts += 1
            entry.last_attempt_at = now
            if failure.payload is not None:
                entry.payload = _encrypt(failure.payload)
        log.warning("record quarantined", stream=stream, reference=reference, reason=reason)
        count += 1
    session.flush()
    return count


def _has_open(session: Session, integration_id: int, stream: str) -> bool:
    """Whether the stream has any open entry: one index probe, usually answering no."""
    probe = select(SyncError.id).where(
        SyncError.integration_id == integration_id, SyncError.stream == stream, _open()
    )
    return session.scalar(probe.limit(1)) is not None


def resolve(session: Session, integration_id: int, stream: str, references: Iterable[str]) -> int:
    """Close the open entries of records that have now been taken; their payloads go.

    One statement whatever the number of references (bound as one array): it runs for every
    committed batch of every import, almost always finding nothing to close.
    """
    refs = list(dict.fromkeys(references))
    if not refs or not _has_open(session, integration_id, stream):
        return 0
    closed = session.execute(
        update(SyncError)
        .where(
            SyncError.integration_id == integration_id,
            SyncError.stream == stream,
            member_of(SyncError.reference, refs),
            _open(),
        )
        .values(resolved_at=utcnow(), payload=None)
        .execution_options(synchronize_session=False)
    )
    return int(closed.rowcount)  # type: ignore[attr-defined]


def drop_payloads(session: Session, seen_before: datetime) -> int:
    """Redaction of the quarantine: payloads of entries first seen before ``seen_before`` go.

    A quarantined order never reached the order tables, so it falls under the "not shipped
    here" rule (buyer data kept at most 14 days); the entry itself (reference, reason) stays.
    """
    result = session.execute(
        update(SyncError)
        .where(SyncError.payload.is_not(None), SyncError.created_at <= seen_before)
        .values(payload=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class WriteResult:
    """One batch of orders through validation and the write path."""

    imported: order_import.ImportResult = field(default_factory=order_import.ImportResult)
    quarantined: int = 0
    resolved: int = 0


def take_orders(
    session: Session,
    integration_id: int,
    orders: Sequence[ChannelOrder],
    failures: Sequence[RecordFailure] = (),
    cursor: str | None = None,
    choose: order_import.CarrierChooser | None = None,
    *,
    look_up_stored: bool = True,
) -> WriteResult:
    """Validate each order, write the good ones, quarantine the rest; the caller commits.

    Validation is its own step before the write (:func:`take_checked` takes orders already
    through it). ``look_up_stored``: see :func:`core.services.order_import.upsert_prepared`.
    """
    good, bad = order_validation.validate_orders(integration_id, orders)
    return take_checked(
        session, integration_id, good, [*failures, *bad], cursor, choose, look_up_stored=look_up_stored
    )


def take_checked(
    session: Session,
    integration_id: int,
    good: Sequence[order_import.PreparedOrder],
    bad: Sequence[RecordFailure] = (),
    cursor: str | None = None,
    choose: order_import.CarrierChooser | None = None,
    *,
    look_up_stored: bool = True,
) -> WriteResult:
    """Write orders that passed :func:`core.services.order_validation.validate_orders`,
    quarantine ``bad``; the caller commits.

    If the database still refuses the batch (a constraint validation does not know), each
    order is written in its own savepoint so only the ones it refuses are quarantined and the
    rest of the batch commits.
    """
    bad = list(bad)
    try:
        with session.begin_nested():
            imported = order_import.upsert_prepared(
                session, integration_id, good, choose, look_up_stored=look_up_stored
            )
    except DBAPIError as exc:
        log.warning("batch refused by the database; writing its orders one by one", error=describe_error(exc))
        imported = order_import.ImportResult()
        for prepared in good:
            order = prepared.order
            try:
                with session.begin_nested():
                    one = order_import.upsert_prepared(session, integration_id, [prepared], choose)
            except DBAPIError as one_exc:
                bad.append(
                    RecordFailure(
                        order.channel_order_id,
                        f"the database refused the order ({describe_error(one_exc)})",
                        payload=order_validation.order_payload(order),
                    )
                )
                continue
            _merge(imported, one)
    bad.extend(imported.failures)
    failed = {f.reference for f in bad}
    taken = [p.order.channel_order_id for p in good if p.order.channel_order_id not in failed]
    return WriteResult(
        imported=imported,
        quarantined=record(session, integration_id, "orders", bad, cursor),
        resolved=resolve(session, integration_id, "orders", taken),
    )


def _merge(total: order_import.ImportResult, one: order_import.ImportResult) -> None:
    total.created += one.created
    total.updated += one.updated
    total.unchanged += one.unchanged
    total.failures.extend(one.failures)
    total.new_unshipped.extend(one.new_unshipped)


def retryable_orders(session: Session, integration_id: int, limit: int = RETRY_PER_RUN) -> list[str]:
    """Open quarantined orders that can be asked for again, least recently tried first."""
    return list(
        session.scalars(
            select(SyncError.reference)
            .where(
                SyncError.integration_id == integration_id,
                SyncError.stream == "orders",
                ~SyncError.reference.startswith("<"),
                _open(),
            )
            .order_by(SyncError.last_attempt_at, SyncError.id)
            .limit(limit)
        )
    )


def refetch_orders(connector: object, references: Sequence[str]) -> OrdersPage | None:
    """Ask the channel for these orders again; None if the connector cannot do that."""
    if not references or not isinstance(connector, RefetchesOrders):
        return None
    page = connector.fetch_orders_by_id(list(references))
    answered = {o.channel_order_id for o in page.orders} | {f.reference for f in page.failures}
    missing = [
        RecordFailure(ref, "order: the channel did not return it when asked again")
        for ref in references
        if ref not in answered
    ]
    return OrdersPage(page.orders, None, [*page.failures, *missing])


# -- reading and acting on the quarantine (CLI) ---------------------------------------------


@dataclass(frozen=True)
class ErrorView:
    """One quarantine entry as people and scripts see it: no payload, no values."""

    id: int
    integration: str
    integration_id: int
    stream: str
    reference: str
    reason: str
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    state: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "integration": self.integration,
            "integration_id": self.integration_id,
            "stream": self.stream,
            "reference": self.reference,
            "reason": self.reason,
            "attempts": self.attempts,
            "created_at": self.created_at,
            "last_attempt_at": self.last_attempt_at,
            "state": self.state,
        }


def _state(entry: SyncError) -> str:
    if entry.dismissed_at is not None:
        return "dismissed"
    return "open" if entry.resolved_at is None else "resolved"


def list_errors(
    session: Session, integration_id: int | None = None, *, include_closed: bool = False
) -> list[ErrorView]:
    query = select(SyncError, Integration.alias).join(Integration, Integration.id == SyncError.integration_id)
    if integration_id is not None:
        query = query.where(SyncError.integration_id == integration_id)
    if not include_closed:
        query = query.where(_open())
    return [
        ErrorView(
            e.id,
            alias,
            e.integration_id,
            e.stream,
            e.reference,
            e.reason,
            e.attempts,
            e.created_at,
            e.last_attempt_at,
            _state(e),
        )
        for e, alias in session.execute(query.order_by(SyncError.id))
    ]


def open_counts(session: Session) -> dict[int, int]:
    """Open quarantine entries per integration id."""
    return dict(
        session.execute(
            select(SyncError.integration_id, func.count()).where(_open()).group_by(SyncError.integration_id)
        ).all()
    )


def _entries(session: Session, ids: Sequence[int], integration_id: int | None) -> list[SyncError]:
    query = select(SyncError).where(_open())
    if ids:
        query = query.where(SyncError.id.in_(ids))
    if integration_id is not None:
        query = query.where(SyncError.integration_id == integration_id)
    entries = list(session.scalars(query.order_by(SyncError.id)))
    missing = sorted(set(ids) - {e.id for e in entries})
    if missing:
        raise NotFoundError(f"no open error with id {', '.join(map(str, missing))}")
    return entries


def dismiss(session: Session, ids: Sequence[int], integration_id: int | None = None) -> int:
    """Close entries without importing them (someone decided); their payloads go."""
    entries = _entries(session, ids, integration_id)
    now = utcnow()
    for entry in entries:
        entry.dismissed_at, entry.payload = now, None
    return len(entries)


@dataclass
class RetryOutcome:
    imported: int = 0
    still_failing: int = 0
    requeued: int = 0


def retry(
    sessions: sessionmaker[Session],
    plugins: PluginManager,
    ids: Sequence[int],
    integration_id: int | None = None,
) -> RetryOutcome:
    """Retry open entries now: orders are fetched again from the channel and imported;
    rejected pushes are queued again; other streams' records are re-read on their next run,
    which is brought forward to now.
    """
    outcome = RetryOutcome()
    with sessions() as session:
        entries = _entries(session, ids, integration_id)
        by_integration: dict[int, list[SyncError]] = {}
        for entry in entries:
            by_integration.setdefault(entry.integration_id, []).append(entry)
        plan = {iid: [(e.stream, e.reference) for e in group] for iid, group in by_integration.items()}
    for iid, targets in plan.items():
        orders = [ref for stream, ref in targets if stream == "orders" and not ref.startswith("<")]
        if orders:
            _retry_orders(sessions, plugins, iid, orders, outcome)
        with sessions() as session:
            for stream, ref in targets:
                if stream == "outbound":
                    outcome.requeued += _requeue_push(session, iid, ref)
                elif stream != "orders":
                    session.execute(
                        update(SyncCursor)
                        .where(SyncCursor.integration_id == iid, SyncCursor.stream == stream)
                        .values(next_run_at=utcnow())
                    )
                    outcome.requeued += 1
            session.commit()
    return outcome


def _retry_orders(
    sessions: sessionmaker[Session],
    plugins: PluginManager,
    integration_id: int,
    refs: list[str],
    outcome: RetryOutcome,
) -> None:
    with sessions() as session:
        integration = integrations.get_integration(session, integration_id)
        connector = integrations.build_connector(integration, plugins)
    try:
        page = refetch_orders(connector, refs)
    finally:
        connector.close()
    if page is None:
        raise NotFoundError(
            f"integration {integration.alias!r}: its channel plugin cannot fetch single orders; "
            "they are retried when the channel serves them again in the orders stream"
        )
    with sessions() as session:
        result = take_orders(session, integration_id, page.orders, page.failures)
        session.commit()
    outcome.imported += result.resolved
    outcome.still_failing += result.quarantined


def _requeue_push(session: Session, integration_id: int, sku: str) -> int:
    """The newest failed push of this SKU back to pending; the outbound stream resends it."""
    newest = session.scalar(
        select(OutboxEntry)
        .where(
            OutboxEntry.integration_id == integration_id,
            OutboxEntry.sku == sku,
            OutboxEntry.state == OutboxState.FAILED,
        )
        .order_by(OutboxEntry.id.desc())
        .limit(1)
    )
    session.execute(
        update(SyncError)
        .where(
            SyncError.integration_id == integration_id,
            SyncError.stream == "outbound",
            SyncError.reference == sku,
            _open(),
        )
        .values(resolved_at=utcnow(), payload=None)
    )
    if newest is None:
        return 0
    newest.state, newest.last_error = OutboxState.PENDING, None
    return 1
