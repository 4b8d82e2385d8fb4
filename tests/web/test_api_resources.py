"""What the ``/api/v1`` resources answer: the CLI's names, 422 naming the field, pages that page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import TO_SHIP_STATUSES, Order, OrderStatus, OutboxEntry, OutboxKind
from core.plugins import PluginManager
from core.services import orders
from tests.web.conftest import Shop, bearer, order_status, seed


def test_integrations_show_status_streams_and_error_counts(client: TestClient, shop: Shop) -> None:
    rows = client.get("/api/v1/integrations", headers=bearer(shop, "host")).json()
    assert [r["alias"] for r in rows] == ["fake-uk"]
    assert rows[0]["errors"] == 1 and rows[0]["status"] == "incomplete"
    assert rows[0]["credentials"] == ["api_key"]  # names only, never values
    assert "good-key-123" not in client.get("/api/v1/integrations/fake-uk", headers=bearer(shop, "host")).text
    retried = client.post("/api/v1/integrations/fake-uk/retry", headers=bearer(shop, "owner")).json()
    assert retried["status"] == "live"


def test_switching_off_the_last_carrier_warns_first_and_sends_orders_to_review(
    client: TestClient, shop: Shop, session: Session
) -> None:
    host = bearer(shop, "host")
    impact = client.get(
        "/api/v1/carriers/impact",
        params={"integration_id": shop.integration_id, "area": "UK", "carrier": "royal_mail"},
        headers=host,
    ).json()
    assert impact["to_review"] == 3 and "no enabled carrier" in impact["warnings"][0]
    assert order_status(session, shop.order_ids[0]) is OrderStatus.AWAITING_SHIPMENT  # nothing changed
    body = {"integration_id": shop.integration_id, "area": "UK", "carrier": "royal_mail", "enabled": False}
    done = client.put("/api/v1/carriers", json=body, headers=host).json()
    assert done["to_review"] == 3
    pending = client.get("/api/v1/orders", params={"pending_review": True}, headers=host).json()
    assert sorted(o["id"] for o in pending["items"]) == shop.order_ids
    matrix = client.get("/api/v1/carriers", headers=host).json()
    uk = [r for r in matrix if r["area"] == "UK"]
    assert {r["carrier"]: r["enabled"] for r in uk} == {"royal_mail": False, "ups": False}
    assert all(r["enabled_in_area"] == 0 for r in uk)


def test_an_operator_assigns_a_carrier_and_the_order_leaves_review(
    client: TestClient, shop: Shop, session: Session
) -> None:
    body = {"integration_id": shop.integration_id, "area": "UK", "carrier": "royal_mail", "enabled": False}
    client.put("/api/v1/carriers", json=body, headers=bearer(shop, "host"))
    order_id = shop.order_ids[0]
    detail = client.get(f"/api/v1/orders/{order_id}", headers=bearer(shop, "operator")).json()
    assert detail["status"] == "pending_review"
    assert {c["code"]: c["enabled"] for c in detail["carrier_choices"]} == {"ups": False, "royal_mail": False}
    assert detail["ship_to"]["city"] == "London"
    answer = client.post(
        f"/api/v1/orders/{order_id}/carrier", json={"carrier": "ups"}, headers=bearer(shop, "operator")
    )
    assert answer.status_code == 200 and answer.json()["carrier"] == "ups"
    assert order_status(session, order_id) is OrderStatus.AWAITING_SHIPMENT
    refused = client.post(
        f"/api/v1/orders/{order_id}/carrier", json={"carrier": "seur"}, headers=bearer(shop, "operator")
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "carrier"


def test_hold_and_release(client: TestClient, shop: Shop, session: Session) -> None:
    op = bearer(shop, "operator")
    order_id = shop.order_ids[1]
    assert client.post(f"/api/v1/orders/{order_id}/hold", headers=op).json()["status"] == "on_hold"
    again = client.post(f"/api/v1/orders/{order_id}/hold", headers=op)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"][-1] == "order"
    assert (
        client.post(f"/api/v1/orders/{order_id}/release", headers=op).json()["status"] == "awaiting_shipment"
    )


def test_an_admin_adds_a_rule_previews_and_applies(client: TestClient, shop: Shop, session: Session) -> None:
    admin = bearer(shop, "admin")
    client.put(f"/api/v1/prices/{shop.integration_id}/rules-enabled", json={"enabled": True}, headers=admin)
    rule = {"rule_type": "percent", "params": {"percent": "10"}, "integration_id": shop.integration_id}
    made = client.post("/api/v1/prices/rules", json=rule, headers=admin)
    assert made.status_code == 201, made.text
    overview = client.get("/api/v1/prices", headers=admin).json()
    assert overview["integrations"][0]["rules_enabled"] is True
    assert [r["rule_type"] for r in overview["rules"]] == ["percent"]
    assert any(t["key"] == "percent" and t["params_schema"]["properties"] for t in overview["rule_types"])
    diff = client.get(f"/api/v1/prices/{shop.integration_id}/preview?count=true", headers=admin).json()
    assert diff["change_count"] == 3
    first = diff["changes"][0]
    assert first["old_price"] is None and Decimal(first["new_price"]) == Decimal("11.00")
    assert first["currency"] == "GBP" and first["rule_id"] == made.json()["id"]
    assert session.scalar(select(OutboxEntry.id).where(OutboxEntry.kind == OutboxKind.PRICE)) is None
    applied = client.post(f"/api/v1/prices/{shop.integration_id}/apply", headers=admin).json()
    assert applied["queued"] == 3
    session.expire_all()
    prices = session.scalars(select(OutboxEntry.price).where(OutboxEntry.kind == OutboxKind.PRICE)).all()
    assert sorted(prices) == [Decimal("11.00"), Decimal("12.10"), Decimal("13.20")]
    removed = client.delete(f"/api/v1/prices/rules/{made.json()['id']}", headers=admin)
    assert removed.status_code == 204


SWITCH = {"integration_id": 1, "area": "UK", "carrier": "ups", "enabled": True}
BAD_PERCENT = {"percent": "lots"}


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("PUT", "/api/v1/carriers", {**SWITCH, "enabled": None}, "enabled"),
        ("PUT", "/api/v1/carriers", {**SWITCH, "area": "NOWHERE"}, "area"),
        ("PUT", "/api/v1/carriers", {**SWITCH, "integration_id": 0}, "integration_id"),
        ("POST", "/api/v1/prices/rules", {"params": {}}, "rule_type"),
        ("POST", "/api/v1/prices/rules", {"rule_type": "percent", "params": BAD_PERCENT}, "params.percent"),
        ("POST", "/api/v1/prices/rules", {"rule_type": "no-such-type"}, "rule_type"),
        ("POST", "/api/v1/prices/rules", {"rule_type": "percent", "priority": -5}, "priority"),
        ("GET", "/api/v1/orders?limit=0", None, "limit"),
        ("GET", "/api/v1/orders?offset=-1", None, "offset"),
        ("GET", "/api/v1/orders?status=lost", None, "status"),
        ("GET", "/api/v1/usage?month=November", None, "month"),
        ("GET", "/api/v1/prices/1/preview?limit=100000", None, "limit"),
        ("POST", "/api/v1/errors/retry", {"ids": []}, "ids"),
        ("GET", "/api/v1/fees", None, "integration_id"),
        ("GET", "/api/v1/fees?integration_id=1&strategy=cheap", None, "strategy"),
        ("PUT", "/api/v1/fees/1/strategies/bigbuy_mip.carrier_strategy", {"value": "slowest"}, "value"),
        ("PATCH", "/api/v1/prices/rules/1", {"priority": -1}, "priority"),
        ("GET", "/api/v1/products?q=" + "x" * 201, None, "q"),
    ],
)  # fmt: skip
def test_bad_input_is_422_naming_the_field(
    client: TestClient, shop: Shop, method: str, url: str, body: object, field: str
) -> None:
    answer = client.request(method, url, json=body, headers=bearer(shop, "owner"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == field, answer.json()


def test_a_missing_thing_is_404(client: TestClient, shop: Shop) -> None:
    owner = bearer(shop, "owner")
    assert client.get("/api/v1/orders/99999", headers=owner).status_code == 404
    assert client.get("/api/v1/products/NOPE", headers=owner).status_code == 404
    assert client.get("/api/v1/integrations/nope", headers=owner).status_code == 404


def test_lists_are_paged(
    client: TestClient, migrated: object, session: Session, console_plugins: PluginManager
) -> None:
    shop = seed(session, console_plugins, orders=7, products=7)
    host = bearer(shop, "host")
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get("/api/v1/orders", params={"limit": 3, "offset": offset}, headers=host).json()
        assert len(page["items"]) <= 3
        seen += [o["id"] for o in page["items"]]
        offset = page["next_offset"]
    assert sorted(seen) == sorted(shop.order_ids) and len(seen) == 7
    products = client.get("/api/v1/products", params={"limit": 5, "offset": 5}, headers=host).json()
    assert [p["sku"] for p in products["items"]] == ["MUG-005", "MUG-006"] and products["next_offset"] is None
    found = client.get("/api/v1/products", params={"q": "MUG-00"}, headers=host).json()
    assert len(found["items"]) == 7
    admin = bearer(shop, "admin")
    client.put(f"/api/v1/prices/{shop.integration_id}/rules-enabled", json={"enabled": True}, headers=admin)
    preview = f"/api/v1/prices/{shop.integration_id}/preview"
    diff = client.get(f"{preview}?limit=4&offset=4&count=true", headers=admin).json()
    assert diff["change_count"] == 7 and len(diff["changes"]) == 3 and diff["next_offset"] is None
    first = client.get(f"{preview}?limit=4", headers=admin).json()
    assert first["change_count"] is None and len(first["changes"]) == 4 and first["next_offset"] == 4


def test_usage_counts_fba_as_half_per_day(client: TestClient, shop: Shop) -> None:
    usage = client.get("/api/v1/usage", params={"month": "2026-11"}, headers=bearer(shop, "host")).json()
    assert usage["mfn_orders"] == 3 and usage["counted"] == 3
    first = next(d for d in usage["days"] if d["day"] == "2026-11-01")
    assert first == {"day": "2026-11-01", "mfn_orders": 3, "fba_orders": 0, "counted_to_date": 3}
    assert len(usage["days"]) == 30


def test_errors_list_and_retry(client: TestClient, shop: Shop) -> None:
    rows = client.get("/api/v1/errors", headers=bearer(shop, "operator")).json()
    assert [(r["id"], r["reference"], r["state"]) for r in rows] == [(shop.error_id, "202-BAD", "open")]
    outcome = client.post(
        "/api/v1/errors/retry", json={"ids": [shop.error_id]}, headers=bearer(shop, "operator")
    )
    assert outcome.status_code == 200 and set(outcome.json()) == {"imported", "still_failing", "requeued"}


def test_catalogue_import_by_upload(client: TestClient, shop: Shop) -> None:
    csv = b"sku,title,rrp,currency\nNEW-1,New mug,9.50,GBP\nBAD,,not-money,GBP\n"
    answer = client.post(
        "/api/v1/products/import", files={"file": ("c.csv", csv, "text/csv")}, headers=bearer(shop, "admin")
    )
    report = answer.json()
    assert answer.status_code == 200 and report["created"] == 1 and report["bad"] == 1
    assert report["errors"][0]["line"] == 3
    assert client.get("/api/v1/products/NEW-1", headers=bearer(shop, "admin")).json()["title"] == "New mug"


def test_me_says_what_the_role_may_change(client: TestClient, shop: Shop) -> None:
    assert client.get("/api/v1/me", headers=bearer(shop, "host")).json()["may"] == ["carriers"]
    assert "users" in client.get("/api/v1/me", headers=bearer(shop, "owner")).json()["may"]


def test_the_integration_lifecycle(client: TestClient, shop: Shop, session: Session) -> None:
    owner = bearer(shop, "owner")
    types = client.get("/api/v1/channel-types", headers=owner).json()
    fake = next(t for t in types if t["key"] == "fake")
    assert fake["credential_fields"] == ["api_key"] and fake["settings_fields"][0]["name"] == "history_days"
    new = {"channel": "fake", "alias": "fake-de", "credentials": {"api_key": "good-key-123"}}
    made = client.post("/api/v1/integrations", json=new, headers=owner)
    assert made.status_code == 201 and made.json()["status"] == "live"
    refused = client.post(
        "/api/v1/integrations",
        json={**new, "alias": "fake-fr", "credentials": {"api_key": "wrong"}},
        headers=owner,
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "credentials"
    assert client.get("/api/v1/integrations/fake-fr", headers=owner).status_code == 404  # nothing kept
    bad = client.post(
        "/api/v1/integrations", json={**new, "alias": "x", "settings": {"history_days": 99}}, headers=owner
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "history-days"
    changed = client.patch(
        "/api/v1/integrations/fake-de", json={"settings": {"history_days": 7}}, headers=owner
    )
    assert changed.json()["settings"]["history_days"] == 7
    assert client.post("/api/v1/integrations/fake-de/disable", headers=owner).json()["disabled_at"]
    assert client.post("/api/v1/integrations/fake-de/enable", headers=owner).json()["disabled_at"] is None
    removal = client.delete("/api/v1/integrations/fake-de", headers=owner).json()
    assert removal == {
        "integration_id": made.json()["id"],
        "alias": "fake-de",
        "archived": False,
        "orders_kept": 0,
        "orders_deleted": 0,
    }


def test_closed_orders_show_only_when_asked(client: TestClient, shop: Shop, session: Session) -> None:
    from core.services import orders

    orders.cancel(session, shop.order_ids[2])
    session.commit()
    host = bearer(shop, "host")
    open_ids = [o["id"] for o in client.get("/api/v1/orders", headers=host).json()["items"]]
    assert open_ids == shop.order_ids[:2]  # soonest ship-by first
    every = client.get("/api/v1/orders", params={"include_closed": True}, headers=host).json()["items"]
    assert [o["id"] for o in every] == shop.order_ids


def test_the_late_risk_filter_lists_what_the_cli_flags_late(
    client: TestClient, shop: Shop, session: Session
) -> None:
    """Paid orders due within a day (or overdue); an unpaid one is not the warehouse's to rush."""
    unpaid, overdue, later = (session.get(Order, i) for i in shop.order_ids)
    assert unpaid is not None and overdue is not None and later is not None
    unpaid.status = OrderStatus.AWAITING_PAYMENT
    unpaid.ship_by = overdue.ship_by = datetime.now(UTC) - timedelta(hours=1)
    later.ship_by = datetime.now(UTC) + timedelta(days=3)
    session.commit()
    late = client.get("/api/v1/orders", params={"late_risk": True}, headers=bearer(shop, "operator")).json()
    flagged = [
        r.order_id for r in orders.ship_queue(session, now=utcnow(), statuses=TO_SHIP_STATUSES) if r.late_risk
    ]
    assert [o["id"] for o in late["items"]] == flagged == [overdue.id]
