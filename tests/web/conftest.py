"""The console against a migrated per-test database: people of every role, and a small shop.

The shop: one integration on the fake channel (so retry verifies without a network), UK orders
that Royal Mail ships (the UK's other carrier, UPS, switched off, so Royal Mail is the area's
last), products with RRPs and listings, and one quarantined record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core.db.models import Order, OrderStatus, SyncError, UserRole
from core.plugins import PluginManager
from core.services import carriers, users
from core.settings import Settings
from core.web.app import create_app
from core.web.db import plugin_manager
from tests.core import factories
from tests.fakes.channel import FakeChannelPlugin

PASSWORD = "correct-horse-battery"
ROLES = ("host", "admin", "operator", "owner")


@dataclass
class Shop:
    integration_id: int
    alias: str
    order_ids: list[int]
    skus: list[str]
    error_id: int
    tokens: dict[str, str]
    """Role -> an API token of the user named after the role."""


@pytest.fixture
def console_plugins(plugins: PluginManager) -> PluginManager:
    plugins.register(FakeChannelPlugin(), "fake")
    return plugins


def seed(session: Session, plugins: PluginManager, orders: int = 3, products: int = 3) -> Shop:
    integration = factories.integration(session, "fake-uk")
    skus = []
    for n in range(products):
        product = factories.product(session, f"MUG-{n:03d}", rrp=Decimal("10.00") + n, cost=Decimal("2.00"))
        factories.listing(session, product, integration)
        skus.append(product.sku)
    first = session.get(type(product), 1)
    order_ids = []
    for n in range(orders):
        order = factories.order(session, integration, f"202-0000000-{n:07d}", items=((first, 1),))
        order.ship_country, order.ship_postal_code, order.ship_city = "GB", "SW1A 1AA", "London"
        order.ship_name, order.ship_line1 = "Ada Buyer", "1 Test Street"
        order.carrier_code, order.service_code = "royal_mail", None
        order.ship_by = datetime.now(UTC) + timedelta(hours=6 + n)
        order_ids.append(order.id)
    carriers.set_enabled(session, plugins, "ups", "UK", enabled=False)
    error = SyncError(
        integration_id=integration.id, stream="orders", reference="202-BAD", reason="missing: sku"
    )
    session.add(error)
    tokens = {}
    for role in ROLES:
        users.add_user(session, role, UserRole(role), PASSWORD)
        tokens[role] = users.create_token(session, role, "tests").token
    session.commit()
    return Shop(integration.id, integration.alias, order_ids, skus, error.id, tokens)


@pytest.fixture
def shop(session: Session, console_plugins: PluginManager) -> Shop:
    return seed(session, console_plugins)


@pytest.fixture
def client(migrated: Settings, console_plugins: PluginManager) -> Iterator[TestClient]:
    app = create_app()
    app.dependency_overrides[plugin_manager] = lambda: console_plugins
    with TestClient(app) as test_client:
        yield test_client


def bearer(shop: Shop, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.tokens[role]}"}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form as a browser does; returns the session's CSRF token."""
    page = client.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text[:300]
    answer = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token.group(1), "next": "/orders"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    found = CSRF.search(client.get("/orders").text)
    assert found
    return found.group(1)


def order_status(session: Session, order_id: int) -> OrderStatus:
    session.expire_all()
    order = session.get(Order, order_id)
    assert order is not None
    return order.status
