# ruff: noqa: E501
"""Files of a new channel plugin package (``channelhub plugins new channel NAME``).

Each is a :class:`string.Template`: ``$name`` is the channel key (a Python identifier),
``$Title`` its CamelCase form. The generated package passes the channel conformance suite
against its own fake shop, so an author starts green and replaces the API calls.
"""

CHANNEL_FILES: dict[str, str] = {
    "pyproject.toml": r"""[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "channelhub-$name"
version = "0.1.0"
description = "$Title sales channel for channelhub."
requires-python = ">=3.11"
dependencies = ["channelhub", "httpx>=0.27"]

[project.entry-points.channelhub]
$name = "${name}_channelhub.plugin"

[tool.setuptools.packages.find]
include = ["${name}_channelhub*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
""",
    "${name}_channelhub/__init__.py": r'''"""$Title channel plugin for channelhub."""
''',
    "${name}_channelhub/plugin.py": r'''"""Hook implementations of the $Title channel plugin (entry point ``$name``)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, Field

from core.api import ChannelType, Marketplace, hookimpl
from ${name}_channelhub.connector import ${Title}Connector


class ${Title}Settings(BaseModel):
    base_url: str = "https://api.$name.example"
    timeout_seconds: float = Field(default=10.0, gt=0)
    history_days: int = Field(default=30, ge=1, le=30)


@hookimpl
def channelhub_channel_types() -> Iterator[ChannelType]:
    yield ChannelType(
        key="$name",
        display_name="$Title",
        marketplaces=(Marketplace("MAIN", "$Title", "main", "GB", "GBP", "en", "EU"),),
        settings_model=${Title}Settings,
        credential_fields=("api_key",),
        connector_factory=${Title}Connector,
    )
''',
    "${name}_channelhub/connector.py": r'''"""The $Title connector: the shop's REST API mapped to channelhub's DTOs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from core.api import (
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    ConfirmationResult,
    ConnectorContext,
    Fulfilment,
    FulfilmentPage,
    InventoryLevel,
    Money,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    RecordFailure,
    ShipmentConfirmation,
    SkuResult,
    ThrottledError,
    TransientChannelError,
)

STATUSES = {
    "paid": ChannelOrderStatus.UNSHIPPED,
    "shipped": ChannelOrderStatus.SHIPPED,
    "cancelled": ChannelOrderStatus.CANCELLED,
}


class ${Title}Connector:
    """One integration's connection; the cursor is the shop's ``after`` offset."""

    def __init__(self, context: ConnectorContext) -> None:
        settings: Any = context.settings
        self.currency = context.marketplace.currency
        self.client = httpx.Client(
            base_url=settings.base_url,
            headers={"Authorization": f"Bearer {context.credentials['api_key']}"},
            timeout=settings.timeout_seconds,
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise TransientChannelError(f"$name unreachable: {exc}", operation=path) from exc
        if response.status_code in (401, 403):
            raise ChannelAuthError(
                "$name refused the API key", code=str(response.status_code), operation=path
            )
        if response.status_code == 429:
            raise ThrottledError("$name is throttling requests", code="429", operation=path)
        if response.status_code >= 500:
            raise TransientChannelError(f"$name answered {response.status_code}", operation=path)
        if response.status_code >= 400:
            raise ChannelError(
                f"$name answered {response.status_code}",
                code=str(response.status_code),
                operation=path,
            )
        return response.json()

    def verify_credentials(self) -> None:
        self._call("GET", "/me")

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[OrdersPage]:
        after = cursor or "0"
        while True:
            body = self._call("GET", "/orders", params={"after": after})
            if not body["orders"]:
                return
            orders, failures = self._map(body["orders"])
            after = body["next"]
            yield OrdersPage(orders, after, failures)

    def fetch_orders_by_id(self, channel_order_ids: Sequence[str]) -> OrdersPage:
        """Quarantined orders, asked for again one by one (``core.api.RefetchesOrders``)."""
        raws, missing = [], []
        for order_id in channel_order_ids:
            try:
                raws.append(self._call("GET", f"/orders/{order_id}")["order"])
            except ChannelError as exc:
                if exc.code != "404":
                    raise
                missing.append(RecordFailure(order_id, "order: not found on the shop"))
        orders, failures = self._map(raws)
        return OrdersPage(orders, None, [*failures, *missing])

    def _map(self, raws: Sequence[dict[str, Any]]) -> tuple[list[ChannelOrder], list[RecordFailure]]:
        """Map each order on its own; a bad one names the exception, never a value, and
        carries the raw order for core's quarantine."""
        orders, failures = [], []
        for raw in raws:
            try:
                orders.append(self._order(raw))
            except (KeyError, ValueError, ChannelError) as exc:
                problem = f"missing {exc}" if isinstance(exc, KeyError) else type(exc).__name__
                failures.append(RecordFailure(str(raw.get("id", "?")), f"cannot map order: {problem}", raw))
        return orders, failures

    def _order(self, raw: dict[str, Any]) -> ChannelOrder:
        currency = raw["currency"]
        return ChannelOrder(
            channel_order_id=raw["id"],
            status=STATUSES[raw["status"]],
            fulfilment=Fulfilment.MFN,
            purchase_date=datetime.fromisoformat(raw["placed_at"]),
            last_updated=datetime.fromisoformat(raw["placed_at"]),
            currency=currency,
            total=Money(Decimal(raw["total"]), currency),
            items=tuple(
                ChannelOrderItem(
                    channel_item_id=line["id"],
                    sku=line["sku"],
                    quantity=int(line["qty"]),
                    unit_price=Money(Decimal(line["price"]), currency),
                )
                for line in raw["lines"]
            ),
        )

    def fetch_products(self) -> Iterator[Sequence[ChannelProduct]]:
        rows = self._call("GET", "/products")["products"]
        yield [
            ChannelProduct(
                sku=row["sku"],
                fulfilment=Fulfilment.MFN,
                quantity=row["stock"],
                price=Money(Decimal(row["price"]), self.currency) if row["price"] is not None else None,
            )
            for row in rows
        ]

    def fetch_inventory(self) -> Iterator[Sequence[InventoryLevel]]:
        """$Title holds no stock of its own."""
        yield from ()

    def _push(self, path: str, rows: list[dict[str, Any]]) -> PushResult:
        if not rows:
            return PushResult(())
        results = self._call("POST", path, json=rows)["results"]
        return PushResult(tuple(SkuResult(r["sku"], r["ok"], r.get("error")) for r in results))

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        return self._push("/stock", [{"sku": u.sku, "value": u.quantity} for u in updates])

    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        return self._push("/prices", [{"sku": u.sku, "value": str(u.price.amount)} for u in updates])

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        results = []
        for c in confirmations:
            path = f"/orders/{c.channel_order_id}/shipment"
            if c.possibly_sent and self._call("GET", path)["shipped"]:
                results.append(ConfirmationResult(c.channel_order_id, True, already_confirmed=True))
                continue
            self._call(
                "POST",
                path,
                json={"carrier": c.carrier_name or c.carrier_code, "tracking": c.tracking_number},
            )
            results.append(ConfirmationResult(c.channel_order_id, True))
        return results

    def fetch_fulfilment_updates(self, cursor: str | None) -> Iterator[FulfilmentPage]:
        """$Title does not ship orders itself."""
        yield from ()

    def close(self) -> None:
        self.client.close()
''',
    "${name}_channelhub/fake_channel.py": r'''"""A fake $Title shop on loopback: the REST API the connector talks to, for tests and demos.

It serves the same paths and JSON shapes as the real shop (adapt both together), keeps its
state in memory, and records what it was told so tests can read it back.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

API_KEY = "fake-$name-key"
PAGE_SIZE = 4


@dataclass
class ShopState:
    orders: list[dict[str, Any]] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)
    prices: dict[str, str] = field(default_factory=dict)
    shipments: dict[str, int] = field(default_factory=dict)  # order id -> notifications received
    throttled: bool = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


class FakeShop:
    """``start()`` serves on a free loopback port; ``url`` is what the connector's settings take."""

    def __init__(self) -> None:
        self.state = ShopState()
        self._server: WSGIServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "call start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._app, handler_class=_QuietHandler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, body = self._route(environ)
        payload = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [payload]

    def _route(self, environ: dict[str, Any]) -> tuple[str, Any]:
        if self.state.throttled:
            return "429 Too Many Requests", {"error": "slow down"}
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {API_KEY}":
            return "401 Unauthorized", {"error": "invalid api key"}
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = json.loads(environ["wsgi.input"].read(length)) if length else None
        if (method, path) == ("GET", "/me"):
            return "200 OK", {"shop": "$name"}
        if (method, path) == ("GET", "/orders"):
            start = int(query.get("after", 0))
            page = self.state.orders[start : start + PAGE_SIZE]
            return "200 OK", {"orders": page, "next": str(start + len(page))}
        if method == "GET" and (match := re.fullmatch(r"/orders/([^/]+)", path)):
            found = [o for o in self.state.orders if o.get("id") == match.group(1)]
            return ("200 OK", {"order": found[-1]}) if found else ("404 Not Found", {"error": "no order"})
        if (method, path) == ("GET", "/products"):
            return "200 OK", {
                "products": [
                    {"sku": sku, "stock": qty, "price": self.state.prices.get(sku)}
                    for sku, qty in self.state.stock.items()
                ]
            }
        if (method, path) in (("POST", "/stock"), ("POST", "/prices")):
            target: dict[str, Any] = self.state.stock if path == "/stock" else self.state.prices
            results = []
            for row in data or []:
                if row["sku"] not in self.state.stock:
                    results.append({"sku": row["sku"], "ok": False, "error": "unknown sku"})
                    continue
                target[row["sku"]] = row["value"]
                results.append({"sku": row["sku"], "ok": True})
            return "200 OK", {"results": results}
        if match := re.fullmatch(r"/orders/([^/]+)/shipment", path):
            order_id = match.group(1)
            if method == "GET":
                return "200 OK", {"shipped": self.state.shipments.get(order_id, 0) > 0}
            self.state.shipments[order_id] = self.state.shipments.get(order_id, 0) + 1
            return "200 OK", {"ok": True}
        return "404 Not Found", {"error": f"no route {method} {path}"}
''',
    "tests/test_conformance.py": r'''"""$Title passes channelhub's channel conformance suite against its fake shop."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal

from ${name}_channelhub import plugin
from ${name}_channelhub.fake_channel import API_KEY, FakeShop, ShopState

from core.testing import ChannelHarness, channel_conformance

SKUS = ("${name}-mug", "${name}-tee")


class ${Title}Harness(ChannelHarness):
    plugin = plugin
    channel_key = "$name"
    currency = "GBP"

    def start(self) -> None:
        self.shop = FakeShop()
        self.shop.start()

    def stop(self) -> None:
        self.shop.stop()

    def reset(self) -> None:
        self.shop.state = ShopState(stock=dict.fromkeys(SKUS, 0))

    def settings(self) -> Mapping[str, object]:
        return {"base_url": self.shop.url, "timeout_seconds": 5}

    def credentials(self, *, valid: bool) -> Mapping[str, str]:
        return {"api_key": API_KEY if valid else "not-the-key"}

    def seed_orders(self, count: int) -> Sequence[str]:
        self.shop.state.orders = [
            {
                "id": f"${name}-{n}",
                "status": "shipped" if n % 3 == 0 else "paid",
                "placed_at": f"2024-05-{n:02d}T10:00:00+00:00",
                "currency": "GBP",
                "total": "12.50",
                "lines": [{"id": f"line-{n}", "sku": SKUS[n % 2], "qty": 1, "price": "12.50"}],
            }
            for n in range(1, count + 1)
        ]
        return [o["id"] for o in self.shop.state.orders]

    def accepted_skus(self) -> Sequence[str]:
        return SKUS

    def confirmations_recorded(self, channel_order_id: str) -> int:
        return self.shop.state.shipments.get(channel_order_id, 0)

    @contextmanager
    def throttled(self) -> Iterator[None]:
        self.shop.state.throttled = True
        try:
            yield
        finally:
            self.shop.state.throttled = False

    def recorded_quantity(self, sku: str) -> int | None:
        return self.shop.state.stock.get(sku)

    def recorded_price(self, sku: str) -> Decimal | None:
        price = self.shop.state.prices.get(sku)
        return Decimal(price) if price is not None else None


Test${Title} = channel_conformance(harness=${Title}Harness)
''',
}
