"""Creating a shipment from the console: ``POST /api/v1/orders/{id}/shipments`` and the order page's form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core.db.models import OrderStatus
from tests.web.conftest import CSRF, Shop, bearer, log_in, order_status


def test_an_operator_ships_an_order_and_it_shows_the_shipment(
    client: TestClient, shop: Shop, session: Session
) -> None:
    order_id = shop.order_ids[0]
    url = f"/api/v1/orders/{order_id}/shipments"
    body = {"tracking": "RM123456789GB", "items": ["MUG-000:1"]}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=bearer(shop, "host")).status_code == 403
    made = client.post(url, json=body, headers=bearer(shop, "operator"))
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["status"] == "shipped"
    [shipment] = record["shipments"]
    assert shipment["carrier"] == "royal_mail" and shipment["tracking_number"] == "RM123456789GB"
    assert shipment["notify_state"] == "pending"  # shipstation_like tells Amazon on its next run
    assert order_status(session, order_id) is OrderStatus.SHIPPED


def test_bad_shipments_name_the_field(client: TestClient, shop: Shop, session: Session) -> None:
    operator = bearer(shop, "operator")
    url = f"/api/v1/orders/{shop.order_ids[1]}/shipments"
    for body, field in [
        ({"items": ["NOPE:1"]}, "items"),
        ({"items": ["MUG-000:0"]}, "items"),
        ({"items": ["MUG-000:5"]}, "items"),
        ({"carrier": "pigeon"}, "carrier"),
        ({"carrier": "royal_mail", "service": "teleport"}, "service"),
        ({"idempotency_key": "short"}, "idempotency_key"),
    ]:
        answer = client.post(url, json=body, headers=operator)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["loc"][-1] == field, answer.json()
    assert order_status(session, shop.order_ids[1]) is OrderStatus.AWAITING_SHIPMENT
    assert client.post("/api/v1/orders/999/shipments", json={}, headers=operator).status_code == 404
    shipped = client.post(url, json={}, headers=operator)
    assert shipped.status_code == 201
    again = client.post(url, json={}, headers=operator)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"][-1] == "order"


def test_the_order_page_form_ships_once_and_shows_a_refusal(client: TestClient, shop: Shop) -> None:
    log_in(client, "operator")
    order_id = shop.order_ids[2]
    page = client.get(f"/orders/{order_id}").text
    assert 'id="ship-form"' in page and 'name="items" value=""' in page
    form = {
        "csrf_token": CSRF.search(page).group(1),  # type: ignore[union-attr]
        "idempotency_key": page.split('name="idempotency_key" value="')[1].split('"')[0],
        "tracking": "RM1",
    }
    refused = client.post(f"/orders/{order_id}/ship", data={**form, "items": "MUG-000:9"})
    assert (
        refused.status_code == 422
        and 'data-field="items"' in refused.text
        and 'value="MUG-000:9"' in refused.text
    )
    shipped = client.post(f"/orders/{order_id}/ship", data=form, follow_redirects=False)
    assert shipped.status_code == 303
    twice = client.post(f"/orders/{order_id}/ship", data=form)  # the same form sent again
    assert twice.status_code == 422
    detail = client.get(f"/orders/{order_id}").text
    assert 'id="ship-form"' not in detail and "RM1" in detail and "pending (0 attempt(s))" in detail
    assert detail.count("pending (0 attempt(s))") == 1  # one parcel, not two
    log_in(client, "host")
    assert 'id="ship-form"' not in client.get(f"/orders/{shop.order_ids[0]}").text
