"""A fake Cornershop shop on loopback: the REST API the connector talks to, for tests and demos.

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

API_KEY = "fake-cornershop-key"
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
            return "200 OK", {"shop": "cornershop"}
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
