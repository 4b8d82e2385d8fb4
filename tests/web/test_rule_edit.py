"""Editing a price rule: the API's PATCH and the Prices page's form (from the type's params model)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web.conftest import Shop, bearer, log_in


def add_rule(client: TestClient, shop: Shop) -> dict[str, Any]:
    rule = {"rule_type": "percent", "params": {"percent": "10"}, "integration_id": shop.integration_id}
    made = client.post("/api/v1/prices/rules", json=rule, headers=bearer(shop, "admin"))
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


def rules(client: TestClient, shop: Shop) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/v1/prices", headers=bearer(shop, "host")).json()["rules"]
    return found


def test_patch_changes_only_what_is_sent(client: TestClient, shop: Shop) -> None:
    rule = add_rule(client, shop)
    url = f"/api/v1/prices/rules/{rule['id']}"
    change = {
        "params": {"percent": "15", "rounding": "0.99"},
        "priority": 5,
        "conditions": {"brands": ["Acme"]},
    }
    done = client.patch(url, json=change, headers=bearer(shop, "admin"))
    assert done.status_code == 200, done.text
    assert done.json()["params"] == {"percent": "15", "rounding": "0.99"} and done.json()["priority"] == 5
    again = client.patch(url, json={"enabled": False}, headers=bearer(shop, "owner")).json()
    assert (
        again["enabled"] is False
        and again["params"]["percent"] == "15"
        and again["conditions"] == {"brands": ["Acme"]}
    )
    assert rules(client, shop) == [again]


def test_bad_changes_name_the_field_and_change_nothing(client: TestClient, shop: Shop) -> None:
    rule = add_rule(client, shop)
    url = f"/api/v1/prices/rules/{rule['id']}"
    admin = bearer(shop, "admin")
    for body, field in [
        ({"params": {"percent": "lots"}}, "params.percent"),
        ({"params": {}}, "params.percent"),
        ({"conditions": {"price_min": "9", "price_max": "1"}}, "conditions"),
        ({"conditions": {"colour": "red"}}, "conditions.colour"),
        ({"priority": -1}, "priority"),
        ({"name": ""}, "name"),
    ]:
        answer = client.patch(url, json=body, headers=admin)
        assert answer.status_code == 422, (body, answer.text)
        assert ".".join(str(p) for p in answer.json()["detail"][0]["loc"][1:]) == field, answer.json()
    assert rules(client, shop) == [rule]
    assert client.patch(url, json={"priority": 1}, headers=bearer(shop, "host")).status_code == 403
    assert client.patch(url, json={"priority": 1}).status_code == 401
    assert client.patch("/api/v1/prices/rules/999", json={"priority": 1}, headers=admin).status_code == 404


def test_the_edit_form_is_filled_and_a_refusal_marks_the_field(client: TestClient, shop: Shop) -> None:
    rule = add_rule(client, shop)
    csrf = log_in(client, "admin")
    assert f'href="/prices/rules/{rule["id"]}/edit"' in client.get("/prices").text
    form = client.get(f"/prices/rules/{rule['id']}/edit").text
    assert 'name="param.percent"' in form and 'value="10"' in form and 'name="param.rounding"' in form
    fields = {"csrf_token": csrf, "name": "Ten", "priority": "7", "enabled": "true", "param.rounding": "none"}
    refused = client.post(f"/prices/rules/{rule['id']}/edit", data={**fields, "param.percent": "-200"})
    assert refused.status_code == 422 and 'data-field="params.percent"' in refused.text
    assert 'name="param.percent" inputmode="decimal"' in refused.text and 'value="-200"' in refused.text
    assert "aria-invalid=true" in refused.text
    saved = client.post(
        f"/prices/rules/{rule['id']}/edit",
        data={**fields, "param.percent": "12.5", "cond.brands": "Acme, Bolt"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    [stored] = rules(client, shop)
    assert stored["params"]["percent"] == "12.5" and stored["name"] == "Ten" and stored["priority"] == 7
    assert stored["conditions"] == {"brands": ["Acme", "Bolt"]}


def test_the_add_form_takes_conditions(client: TestClient, shop: Shop) -> None:
    csrf = log_in(client, "admin")
    added = client.post(
        "/prices/rules",
        data={
            "csrf_token": csrf,
            "rule_type": "percent",
            "param.percent": "5",
            "cond.sku_pattern": "MUG-*",
            "cond.price_min": "1",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text[:300]
    [rule] = rules(client, shop)
    assert rule["conditions"] == {"sku_pattern": "MUG-*", "price_min": "1"}


def test_a_role_without_prices_gets_no_edit_link_and_403(client: TestClient, shop: Shop) -> None:
    rule = add_rule(client, shop)
    log_in(client, "operator")
    assert "/edit" not in client.get("/prices").text
    assert client.get(f"/prices/rules/{rule['id']}/edit").status_code == 403
