"""Every ``/api/v1`` endpoint: 401 without a session or token, 403 for a role that may not change it.

The tables below must name every API route (a test compares them with the app's routes), so a
new endpoint cannot ship without its access being tested.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.db.models import UserRole
from core.services.users import PERMISSIONS, Permission
from tests.web.conftest import Shop, bearer

READS: list[tuple[str, str]] = [
    ("/api/v1/me", "/api/v1/me"),
    ("/api/v1/integrations", "/api/v1/integrations"),
    ("/api/v1/channel-types", "/api/v1/channel-types"),
    ("/api/v1/integrations/{name}", "/api/v1/integrations/{alias}"),
    ("/api/v1/carriers", "/api/v1/carriers"),
    ("/api/v1/fees", "/api/v1/fees?integration_id={iid}"),
    (
        "/api/v1/carriers/impact",
        "/api/v1/carriers/impact?integration_id={iid}&area=UK&carrier=royal_mail",
    ),
    ("/api/v1/orders", "/api/v1/orders"),
    ("/api/v1/orders/{order_id}", "/api/v1/orders/{order}"),
    ("/api/v1/prices", "/api/v1/prices"),
    ("/api/v1/prices/{integration_id}/preview", "/api/v1/prices/{iid}/preview"),
    ("/api/v1/products", "/api/v1/products"),
    ("/api/v1/products/{sku}", "/api/v1/products/MUG-000"),
    ("/api/v1/errors", "/api/v1/errors"),
    ("/api/v1/usage", "/api/v1/usage?month=2026-11"),
]
"""(route path, a URL of it): anyone logged in may read."""

WRITES: list[tuple[str, str, str, Permission, Any]] = [
    (
        "POST",
        "/api/v1/integrations",
        "/api/v1/integrations",
        Permission.INTEGRATIONS,
        {"channel": "fake", "alias": "fake-2", "credentials": {"api_key": "good-key-123"}},
    ),
    ("PATCH", "/api/v1/integrations/{name}", "/api/v1/integrations/{alias}", Permission.INTEGRATIONS, {}),
    (
        "POST",
        "/api/v1/integrations/{name}/disable",
        "/api/v1/integrations/{alias}/disable",
        Permission.INTEGRATIONS,
        None,
    ),
    (
        "POST",
        "/api/v1/integrations/{name}/enable",
        "/api/v1/integrations/{alias}/enable",
        Permission.INTEGRATIONS,
        None,
    ),
    ("DELETE", "/api/v1/integrations/{name}", "/api/v1/integrations/{alias}", Permission.INTEGRATIONS, None),
    (
        "POST",
        "/api/v1/integrations/{name}/retry",
        "/api/v1/integrations/{alias}/retry",
        Permission.INTEGRATIONS,
        None,
    ),
    (
        "PUT",
        "/api/v1/carriers",
        "/api/v1/carriers",
        Permission.CARRIERS,
        {"integration_id": "{iid}", "area": "UK", "carrier": "ups", "enabled": True},
    ),
    (
        "PUT",
        "/api/v1/fees/{integration_id}/strategies/{key}",
        "/api/v1/fees/{iid}/strategies/bigbuy_mip.carrier_strategy",
        Permission.CARRIERS,
        {"value": "fastest"},
    ),
    (
        "POST",
        "/api/v1/orders/{order_id}/carrier",
        "/api/v1/orders/{order}/carrier",
        Permission.ORDERS,
        {"carrier": "ups"},
    ),
    (
        "POST",
        "/api/v1/orders/{order_id}/shipments",
        "/api/v1/orders/{order}/shipments",
        Permission.ORDERS,
        {"tracking": "T1"},
    ),
    ("POST", "/api/v1/orders/{order_id}/hold", "/api/v1/orders/{order}/hold", Permission.ORDERS, None),
    ("POST", "/api/v1/orders/{order_id}/release", "/api/v1/orders/{order}/release", Permission.ORDERS, None),
    (
        "PUT",
        "/api/v1/prices/{integration_id}/rules-enabled",
        "/api/v1/prices/{iid}/rules-enabled",
        Permission.PRICES,
        {"enabled": True},
    ),
    (
        "POST",
        "/api/v1/prices/rules",
        "/api/v1/prices/rules",
        Permission.PRICES,
        {"rule_type": "percent", "params": {"percent": "5"}},
    ),
    (
        "PATCH",
        "/api/v1/prices/rules/{rule_id}",
        "/api/v1/prices/rules/999",
        Permission.PRICES,
        {"priority": 1},
    ),
    ("DELETE", "/api/v1/prices/rules/{rule_id}", "/api/v1/prices/rules/999", Permission.PRICES, None),
    ("POST", "/api/v1/prices/{integration_id}/apply", "/api/v1/prices/{iid}/apply", Permission.PRICES, None),
    ("POST", "/api/v1/products/import", "/api/v1/products/import", Permission.PRODUCTS, "upload"),
    ("POST", "/api/v1/errors/retry", "/api/v1/errors/retry", Permission.ERRORS, {"ids": [1]}),
]
"""(method, route path, URL, permission needed, body)."""


def _url(template: str, shop: Shop) -> str:
    return template.format(alias=shop.alias, iid=shop.integration_id, order=shop.order_ids[0])


def _body(body: Any, shop: Shop) -> dict[str, Any]:
    if body == "upload":
        return {"files": {"file": ("catalogue.csv", b"sku,title\nNEW-1,New mug\n", "text/csv")}}
    if body is None:
        return {}
    return {"json": {k: int(_url(v, shop)) if v == "{iid}" else v for k, v in body.items()}}


def test_the_tables_name_every_api_route(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    routes = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    tested = {("GET", path) for path, _ in READS} | {(m, path) for m, path, *_ in WRITES}
    assert routes == tested


@pytest.mark.parametrize(("path", "url"), READS, ids=[p for p, _ in READS])
def test_reading_needs_a_login_and_any_role_may(client: TestClient, shop: Shop, path: str, url: str) -> None:
    assert client.get(_url(url, shop)).status_code == 401
    assert (
        client.get(_url(url, shop), headers={"Authorization": "Bearer chub_not-a-token"}).status_code == 401
    )
    for role in ("host", "operator"):
        answer = client.get(_url(url, shop), headers=bearer(shop, role))
        assert answer.status_code == 200, (role, answer.text[:300])


def _refused_role(permission: Permission) -> str:
    return next(r.value for r in UserRole if permission not in PERMISSIONS[r])


def _allowed_role(permission: Permission) -> str:
    return next(r.value for r in UserRole if permission in PERMISSIONS[r] and r is not UserRole.OWNER)


@pytest.mark.parametrize(
    ("method", "path", "url", "permission", "body"), WRITES, ids=[f"{m} {p}" for m, p, *_ in WRITES]
)
def test_changing_needs_the_role(
    client: TestClient, shop: Shop, method: str, path: str, url: str, permission: Permission, body: Any
) -> None:
    target = _url(url, shop)
    assert client.request(method, target, **_body(body, shop)).status_code == 401
    refused = client.request(
        method, target, headers=bearer(shop, _refused_role(permission)), **_body(body, shop)
    )
    assert refused.status_code == 403, refused.text[:300]
    assert permission.value in refused.json()["detail"]
    role = _allowed_role(permission) if permission is not Permission.INTEGRATIONS else "owner"
    allowed = client.request(method, target, headers=bearer(shop, role), **_body(body, shop))
    assert allowed.status_code not in (401, 403), allowed.text[:300]


def test_a_revoked_token_gets_401(client: TestClient, shop: Shop, session: Any) -> None:
    from core.services import users

    assert client.get("/api/v1/me", headers=bearer(shop, "host")).json()["role"] == "host"
    token_id = next(t.id for t, name in users.list_tokens(session) if name == "host")
    users.revoke_token(session, token_id)
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(shop, "host")).status_code == 401


def test_a_session_post_without_the_csrf_token_is_refused(client: TestClient, shop: Shop) -> None:
    from tests.web.conftest import log_in

    csrf = log_in(client, "host")
    payload = {"integration_id": shop.integration_id, "area": "UK", "carrier": "ups", "enabled": True}
    assert client.put("/api/v1/carriers", json=payload).status_code == 403
    assert client.put("/api/v1/carriers", json=payload, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.put("/api/v1/carriers", json=payload, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_the_session_cookie_is_httponly_and_samesite(client: TestClient, shop: Shop) -> None:
    page = client.get("/login")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "correct-horse" not in cookie
