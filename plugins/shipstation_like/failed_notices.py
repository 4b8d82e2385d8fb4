"""Notifications the channel refused for good: visible, and queued again on request.

A permanent refusal (Amazon's 400, say a carrier name it does not accept) marks the notice
failed and the notify pass never retries it by itself, because the same call would fail the
same way. Once the cause is fixed (a carrier mapping, the order on the channel), a person
re-queues it with ``channelhub shipments retry``; the next notify pass sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from core.api import NotFoundError, Order, reopen_failed_notifications, utcnow
from plugins.shipstation_like.notify import QueuedNotice
from plugins.shipstation_like.tables import Notice, NoticeAction, NoticeState


def failed_notices(session: Session) -> list[QueuedNotice]:
    """Notify rows the channel refused permanently, oldest first."""
    rows = session.execute(
        select(Notice, Order.channel_order_id)
        .join(Order, Order.id == Notice.order_id)
        .where(Notice.action == NoticeAction.NOTIFY, Notice.state == NoticeState.FAILED)
        .order_by(Notice.id)
    )
    return [
        QueuedNotice(
            n.id,
            n.shipment_id,
            channel_order_id,
            n.integration_id,
            NoticeState.FAILED.value,
            n.attempts,
            n.next_attempt_at,
            n.possibly_sent,
            n.last_error,
        )
        for n, channel_order_id in rows
    ]


def requeue_failed(session: Session, notice_ids: Sequence[int] | None = None) -> int:
    """Put failed notices (these, or all) back in the queue, due now; the caller commits."""
    query = select(Notice.id, Notice.shipment_id).where(
        Notice.action == NoticeAction.NOTIFY, Notice.state == NoticeState.FAILED
    )
    if notice_ids is not None:
        query = query.where(Notice.id.in_(list(notice_ids)))
    found = session.execute(query).all()
    if notice_ids is not None:
        missing = sorted(set(notice_ids) - {row.id for row in found})
        if missing:
            raise NotFoundError(f"no failed notification with id {', '.join(map(str, missing))}")
    if not found:
        return 0
    now = utcnow()
    changed = cast(
        CursorResult[Any],
        session.execute(
            update(Notice)
            .where(Notice.id.in_([row.id for row in found]), Notice.state == NoticeState.FAILED)
            .values(state=NoticeState.QUEUED, next_attempt_at=now, done_at=None)
            .execution_options(synchronize_session=False)
        ),
    )
    reopen_failed_notifications(session, sorted({row.shipment_id for row in found}))
    return int(changed.rowcount)
