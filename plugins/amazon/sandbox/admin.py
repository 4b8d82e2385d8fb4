"""Sandbox-only endpoints under ``/_sandbox/``: inspect, inject faults, add orders, reset."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.operations import OPERATIONS
from plugins.amazon.sandbox.faults import FaultError, parse_fault
from plugins.amazon.sandbox.http import invalid_input, json_body, json_response
from plugins.amazon.sandbox.state import SandboxState


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


async def stats(request: Request) -> Response:
    return json_response(_state(request).stats())


async def confirmations(request: Request) -> Response:
    state = _state(request)
    with state.lock:
        return json_response([asdict(c) for c in state.confirmations])


async def listings(request: Request) -> Response:
    """Every listing's stock and offer prices now: what pushes left at "Amazon"."""
    state = _state(request)
    with state.lock:
        body = {
            sku: {"quantity": lst.quantity, "prices": {m: str(p) for m, p in lst.prices.items()}}
            for sku, lst in state.listings.items()
        }
    return json_response({"listings": body})


async def order_ids(request: Request) -> Response:
    """``GET /_sandbox/orders?marketplaceId=M&lastUpdatedAfter=T``: the ids an import of that
    marketplace since ``T`` must end up with (a witness for tests whose sandbox runs elsewhere)."""
    marketplace = request.query_params.get("marketplaceId")
    raw_since = request.query_params.get("lastUpdatedAfter", "")
    try:
        since = datetime.fromisoformat(raw_since)
    except ValueError:
        return invalid_input(f"lastUpdatedAfter: not an ISO 8601 timestamp: {raw_since!r}")
    if since.tzinfo is None:
        return invalid_input("lastUpdatedAfter: needs a UTC offset")
    state = _state(request)
    with state.lock:
        ids = [
            order_id
            for order_id, stored in state.orders.by_id.items()
            if (marketplace is None or stored.spec.marketplace.marketplace_id == marketplace)
            and stored.spec.last_updated >= since
        ]
    return json_response({"orderIds": ids})


async def faults(request: Request) -> Response:
    """``POST`` arms a fault, ``GET`` lists the armed ones, ``DELETE`` clears them (all, or
    ``?operation=X`` only)."""
    board = _state(request).faults
    if request.method == "GET":
        return json_response({"faults": board.listing()})
    if request.method == "DELETE":
        key = request.query_params.get("operation")
        if key is not None and key not in OPERATIONS:
            return invalid_input(f"operation: unknown operation {key!r}")
        return json_response({"cleared": board.clear(key)})
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    try:
        fault = parse_fault(body)
    except FaultError as exc:
        return invalid_input(str(exc))
    board.arm(fault)
    return json_response(fault.as_json())


async def orders(request: Request) -> Response:
    """``GET`` lists order ids (:func:`order_ids`), ``POST`` places new orders."""
    if request.method == "GET":
        return await order_ids(request)
    return await add_orders(request)


async def add_orders(request: Request) -> Response:
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    count = body.get("count")
    if not isinstance(count, int) or not 1 <= count <= 100_000:
        return invalid_input(f"count: must be an integer between 1 and 100000, got {count!r}")
    return json_response({"orderIds": _state(request).add_orders(count)}, 201)


async def expire_tokens(request: Request) -> Response:
    _state(request).expire_tokens()
    return Response(status_code=204)


async def reset(request: Request) -> Response:
    state = _state(request)
    with state.lock:
        state.seed()
    return Response(status_code=204)
