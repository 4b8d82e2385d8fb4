"""Bad orders from Amazon are quarantined, every good one imports, and a fixed one imports.

The sandbox's ``corrupt_record`` fault serves one order corrupted on every searchOrders page
that holds it, until cleared, like a proxy that mangles one record. Clearing it is Amazon
fixing the order: the next orders run asks for it again with getOrder and imports it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Order, SyncError
from core.db.session import session_factory
from core.plugins import PluginManager
from core.services import quarantine, sync
from plugins.amazon.marketplaces import BY_CODE
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from tests.amazon.test_connector import connect, seeded

UK = BY_CODE["UK"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=5, orders=120, throttle=False, time_scale=600)) as sb:
        yield sb


@pytest.mark.parametrize(
    ("corruption", "reason"),
    [("wrong_type", "createdTime: is missing"), ("long_field", "].sku: longer than 200 characters")],
)
def test_a_corrupted_order_is_quarantined_then_imported_once_amazon_fixes_it(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox, corruption: str, reason: str
) -> None:
    integration_id = connect(session, plugins, sandbox)
    expected = seeded(sandbox, UK.channel_id)
    victim = sorted(expected)[len(expected) // 2]
    for operation in ("orders.searchOrders", "orders.getOrder"):
        fault = {
            "operation": operation,
            "mode": "corrupt_record",
            "corruption": corruption,
            "order_id": victim,
        }
        httpx.post(f"{sandbox.base_url}/_sandbox/faults", json=fault).raise_for_status()
    try:
        first = sync.run_stream(session_factory(), plugins, integration_id, "orders")
        imported = set(session.scalars(select(Order.channel_order_id)))
        assert imported == expected - {victim}, "every good order imports on the first run"
        assert first.counts["errors"] == 1
        [entry] = quarantine.list_errors(session, integration_id)
        assert (entry.reference, entry.stream, entry.attempts) == (victim, "orders", 1)
        assert reason in entry.reason and "XXXX" not in entry.reason
        stored = session.scalars(select(SyncError)).one()
        assert stored.payload is not None and victim.encode() not in stored.payload  # encrypted
        payload = quarantine.decrypt_payload(stored) or {}  # raw (connector) or mapped (core)
        assert victim in (payload.get("orderId"), payload.get("channel_order_id"))
        assert stored.cursor is not None

        still_bad = sync.run_stream(session_factory(), plugins, integration_id, "orders")
        assert "errors_resolved" not in still_bad.counts
        session.expire_all()
        [entry] = quarantine.list_errors(session, integration_id)
        assert entry.attempts == 2, "the next run asked Amazon for it again"
    finally:
        httpx.delete(f"{sandbox.base_url}/_sandbox/faults").raise_for_status()

    fixed = sync.run_stream(session_factory(), plugins, integration_id, "orders")
    assert fixed.counts["errors_resolved"] == 1 and fixed.counts["created"] == 1
    assert session.scalar(select(Order.id).where(Order.channel_order_id == victim)) is not None
    session.expire_all()
    stored = session.scalars(select(SyncError)).one()
    assert stored.resolved_at is not None and stored.payload is None
    assert quarantine.list_errors(session, integration_id) == []
