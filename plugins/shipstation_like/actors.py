"""Background jobs the scheduler enqueues. Thin: open a session, call the service, commit."""

from __future__ import annotations

from datetime import timedelta

from core.api import ActorSpec, get_plugin_manager, get_timing, session_factory, session_scope, utcnow
from plugins.shipstation_like.notify import DEFAULT_LIMIT, notify_pending
from plugins.shipstation_like.redaction import redact_due


def notify_shipments() -> None:
    """Send due shipment notifications. Idempotent: claims with leases, so repeats are harmless."""
    notify_pending(session_factory(), get_plugin_manager(), limit=DEFAULT_LIMIT, lease=get_timing().lease)


def redact_personal_data() -> None:
    """Redact every order due now (daily). Idempotent: redacted orders are skipped."""
    with session_scope() as session:
        redact_due(session, get_plugin_manager(), utcnow())


ACTORS = [
    ActorSpec(
        "shipstation_notify_shipments", notify_shipments, queue="shipstation", every=timedelta(minutes=1)
    ),
    ActorSpec(
        "shipstation_redact_personal_data", redact_personal_data, queue="shipstation", every=timedelta(days=1)
    ),
]
