"""Usage: orders per day (MFN and FBA), the count so far, and the subscription limit line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core.db.models import Integration
from core.dto import Fulfilment
from core.settings import get_settings
from tests.core import factories
from tests.web.conftest import Shop, bearer, log_in


@pytest.fixture
def fba_on_the_third(session: Session, shop: Shop) -> None:
    integration = session.get(Integration, shop.integration_id)
    assert integration is not None
    for n in range(3):
        order = factories.order(session, integration, f"FBA-{n}", fulfilment=Fulfilment.FBA)
        order.purchase_date = datetime(2026, 11, 3, 12, tzinfo=UTC)
    session.commit()


def test_fba_counts_half_and_the_count_runs_through_the_month(
    client: TestClient, shop: Shop, fba_on_the_third: None
) -> None:
    usage = client.get("/api/v1/usage", params={"month": "2026-11"}, headers=bearer(shop, "host")).json()
    assert (usage["mfn_orders"], usage["fba_orders"], usage["counted"]) == (3, 3, 4.5)
    by_day = {d["day"]: d for d in usage["days"]}
    assert by_day["2026-11-02"]["counted_to_date"] == 3
    assert by_day["2026-11-03"] == {
        "day": "2026-11-03",
        "mfn_orders": 0,
        "fba_orders": 3,
        "counted_to_date": 4.5,
    }
    assert by_day["2026-11-30"]["counted_to_date"] == 4.5
    assert usage["limit"] == 1000  # the default CHANNELHUB_ORDER_LIMIT


def test_the_chart_draws_the_limit_from_the_setting(
    client: TestClient, shop: Shop, fba_on_the_third: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNELHUB_ORDER_LIMIT", "4")
    get_settings.cache_clear()
    log_in(client, "host")
    page = client.get("/usage?month=2026-11").text
    assert '<strong id="limit">4</strong>' in page and 'class="limit"' in page
    assert "Over the limit by 0.5" in page
    # the count (4.5) tops the scale; the limit line sits at 4/4.5 of the chart's 200 px
    assert 'y1="22.2"' in page
    monkeypatch.setenv("CHANNELHUB_ORDER_LIMIT", "0")
    get_settings.cache_clear()
    page = client.get("/usage?month=2026-11").text
    assert 'class="limit"' not in page and "no limit set" in page
    assert client.get("/api/v1/usage?month=2026-11", headers=bearer(shop, "host")).json()["limit"] is None
