"""An incremental orders poll yields to others waiting for the seller's searchOrders budget.

At the real plan the budget is one page per 178 s for all of a seller's marketplaces in a
region; a caught-up marketplace that queued its poll behind another's first import would take
tokens the import waits for (the soak measured the import at 40% of the plan's pace).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import SyncCursor
from core.db.session import session_factory
from core.plugins import PluginManager
from core.services import sync
from core.settings import get_settings
from plugins.amazon.connector import POLL_DEFERRALS
from plugins.amazon.marketplaces import BY_CODE, region_of
from plugins.amazon.operations import operation
from plugins.amazon.ratelimit import BucketKey, limiter_for
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from tests.amazon.test_connector import connect


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=7, orders=200, time_scale=60)) as sb:
        yield sb


def cursor(session: Session, integration_id: int) -> dict[str, object]:
    session.expire_all()
    raw = session.scalar(
        select(SyncCursor.cursor).where(
            SyncCursor.integration_id == integration_id, SyncCursor.stream == "orders"
        )
    )
    assert raw is not None
    state: dict[str, object] = json.loads(raw)
    return state


def test_a_poll_defers_while_others_wait_for_the_budget_then_waits_in_line(
    session: Session, plugins: PluginManager, sandbox: RunningSandbox
) -> None:
    integration_id = connect(session, plugins, sandbox)
    sessions = session_factory()
    assert sync.run_stream(sessions, plugins, integration_id, "orders").error is None  # caught up
    searches = sandbox.stats()["requests"]["orders.searchOrders"]

    limiter = limiter_for(get_settings().redis_url)
    key = BucketKey(sandbox.credentials.seller_id, region_of(BY_CODE["UK"]).code, "orders.searchOrders")
    plan = operation("orders.searchOrders").plan
    while limiter.reserve(key, plan) == 0:  # another marketplace's import drains the budget...
        pass
    limiter.reserve(key, plan)  # ...and waits in line for the next two tokens

    for n in range(1, POLL_DEFERRALS + 1):
        run = sync.run_stream(sessions, plugins, integration_id, "orders")
        assert run.error is None
        assert cursor(session, integration_id)["deferred"] == n
    assert sandbox.stats()["requests"]["orders.searchOrders"] == searches  # no token taken

    run = sync.run_stream(sessions, plugins, integration_id, "orders")  # waits its turn now
    assert run.error is None
    assert sandbox.stats()["requests"]["orders.searchOrders"] == searches + 1
    assert "deferred" not in cursor(session, integration_id)
    assert sandbox.stats()["throttled"].get("orders.searchOrders", 0) == 0
