"""The Starlette application serving the sandbox's SP-API, LWA and admin routes."""

from __future__ import annotations

import uuid

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plugins.amazon.operations import OPERATIONS
from plugins.amazon.sandbox import (
    admin,
    auth,
    documents,
    feeds,
    fulfillment,
    listings,
    orders,
    reports,
    tokens,
)
from plugins.amazon.sandbox.config import SandboxConfig
from plugins.amazon.sandbox.connections import ConnectionRegistry
from plugins.amazon.sandbox.http import error
from plugins.amazon.sandbox.state import SandboxState

_HANDLERS = {
    "orders.searchOrders": orders.search_orders,
    "orders.getOrder": orders.get_order,
    "ordersV0.confirmShipment": orders.confirm_shipment,
    "ordersV0.getOrderItems": orders.get_order_items,
    "feeds.createFeedDocument": feeds.create_feed_document,
    "feeds.createFeed": feeds.create_feed,
    "feeds.getFeed": feeds.get_feed,
    "feeds.getFeeds": feeds.get_feeds,
    "feeds.getFeedDocument": feeds.get_feed_document,
    "reports.createReport": reports.create_report,
    "reports.getReport": reports.get_report,
    "reports.getReportDocument": reports.get_report_document,
    "fbaInventory.getInventorySummaries": fulfillment.get_inventory_summaries,
    "fulfillmentOutbound.listAllFulfillmentOrders": fulfillment.list_all_fulfillment_orders,
    "fulfillmentOutbound.getFulfillmentOrder": fulfillment.get_fulfillment_order,
    "listingsItems.getListingsItem": listings.get_listings_item,
    "listingsItems.patchListingsItem": listings.patch_listings_item,
    "listingsItems.searchListingsItems": listings.search_listings_items,
    "tokens.createRestrictedDataToken": tokens.create_restricted_data_token,
}


async def _unserved(request: Request, exc: Exception) -> Response:
    """An SP-API operation the sandbox does not serve (Orders v0 getOrders, cancelFeed...)
    answers as Amazon answers an app without the role for it: 403 Unauthorized. A 404 would
    tell a client the order is gone, and a 405 is a status no model declares."""
    if request.url.path.startswith("/_sandbox/"):
        return error(404, "NotFound", f"No sandbox endpoint at {request.method} {request.url.path}.")
    return error(
        403,
        "Unauthorized",
        "Access to requested resource is denied.",
        f"The sandbox application is not authorized for {request.method} {request.url.path}.",
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug in the sandbox still answers in Amazon's error shape, so clients see a 500 they
    handle (and retry) rather than a text body they cannot parse."""
    return error(500, "InternalFailure", f"Sandbox error: {type(exc).__name__}: {exc}")


class RequestIds:
    """Give every response an ``x-amzn-RequestId``, as Amazon's do (errors and 404s too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-amzn-RequestId" not in headers:
                    headers["x-amzn-RequestId"] = str(uuid.uuid4())
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(config: SandboxConfig, state: SandboxState | None = None) -> Starlette:
    """An app serving ``state`` (built from ``config`` when not given)."""
    routes = [
        Route(OPERATIONS[key].path, handler, methods=[OPERATIONS[key].method])
        for key, handler in _HANDLERS.items()
    ]
    routes += [
        Route("/auth/o2/token", auth.token, methods=["POST"]),
        Route("/_sandbox/documents/{documentId}", documents.upload, methods=["PUT"]),
        Route("/_sandbox/documents/{documentId}", documents.download, methods=["GET"]),
        Route("/_sandbox/stats", admin.stats, methods=["GET"]),
        Route("/_sandbox/confirmations", admin.confirmations, methods=["GET"]),
        Route("/_sandbox/faults", admin.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/orders", admin.orders, methods=["GET", "POST"]),
        Route("/_sandbox/listings", admin.listings, methods=["GET"]),
        Route("/_sandbox/expire-tokens", admin.expire_tokens, methods=["POST"]),
        Route("/_sandbox/reset", admin.reset, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: _unserved, 405: _unserved, Exception: _internal_error},
    )
    app.add_middleware(RequestIds)
    app.state.sandbox = state or SandboxState.build(config)
    app.state.connections = ConnectionRegistry()
    return app
