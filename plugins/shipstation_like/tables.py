"""The plugin's own tables (prefix ``shipstation_``), on their own metadata.

Core's ``shipments`` and ``shipment_items`` rows say what a parcel holds and whether it was
announced; these tables say *which* order of it the channel hears about, what contact the
label used, and what was redacted when. The notification rows double as the retry queue:
a lease (``claim_token`` + ``lease_until``) marks the rows a worker is sending, so a worker that
dies mid-call leaves rows another worker picks up later with ``possibly_sent``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Integration, Order, PluginBase, Shipment, enum_column, plugin_metadata, utcnow


class NoticeAction(enum.StrEnum):
    """What one order of one shipment needs from the channel."""

    NOTIFY = "notify"  # the single confirmation the channel order gets
    MANUAL = "manual"  # combined shipment: someone must update this order on the channel
    NOT_REQUIRED = "not_required"  # the order was (or is being) confirmed by another shipment


class NoticeState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


class ShipstationBase(PluginBase):
    """Separate metadata: core's model comparison never sees plugin tables and vice versa."""

    __abstract__ = True
    metadata = plugin_metadata()


NOTIFY_ACTION = f"action = '{NoticeAction.NOTIFY.value}'"


class Notice(ShipstationBase):
    """One order of one shipment and what the channel is told about it.

    At most one ``notify`` row exists per order (a partial unique index), so two shipments
    created at once for the same order cannot both notify: the second insert fails.
    """

    __tablename__ = "shipstation_notices"
    __table_args__ = (
        Index(
            "uq_shipstation_notices_notify_once",
            "order_id",
            unique=True,
            sqlite_where=text(NOTIFY_ACTION),
            postgresql_where=text(NOTIFY_ACTION),
        ),
        Index("ix_shipstation_notices_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey(Shipment.id, ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey(Order.id, ondelete="CASCADE"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey(Integration.id, ondelete="CASCADE"))
    action: Mapped[NoticeAction] = mapped_column(enum_column(NoticeAction, name="shipstation_noticeaction"))
    state: Mapped[NoticeState | None] = mapped_column(
        enum_column(NoticeState, name="shipstation_noticestate")
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    possibly_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class LabelContact(ShipstationBase):
    """The phone and email printed on the label: the buyer's, or the integration's prefill."""

    __tablename__ = "shipstation_label_contacts"

    shipment_id: Mapped[int] = mapped_column(ForeignKey(Shipment.id, ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(300))


class Redaction(ShipstationBase):
    """That an order's personal data was redacted, by which rule and when: never the values."""

    __tablename__ = "shipstation_redactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey(Order.id, ondelete="CASCADE"), unique=True)
    rule: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    redacted_at: Mapped[datetime]
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
