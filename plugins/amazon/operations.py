"""The SP-API operations channelhub calls, with their paths and default usage plans.

One table, data only, shared by the client (which path, which rate limit bucket) and the
sandbox (which path to serve, which plan to enforce). Rates and bursts are Amazon's
published defaults from each operation's description in the models
(``../shared/amazon-models``); ``tests/amazon/test_operations.py`` checks them against the
models so a model update that changes a plan fails loudly instead of silently drifting.
A response's ``x-amzn-RateLimit-Limit`` header overrides the rate at run time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UsagePlan:
    """Token bucket parameters: ``rate`` requests per second refill, ``burst`` bucket size."""

    rate: float
    burst: int


@dataclass(frozen=True, slots=True)
class Operation:
    """One SP-API operation: the model file it is defined in, its method, path and plan."""

    key: str
    model: str
    operation_id: str
    method: str
    path: str
    plan: UsagePlan
    idempotent: bool = True
    """False for a call whose repeat does something twice (confirmShipment, createFeed): the
    client never repeats it blindly after a response it did not get."""


def _op(
    key: str, model: str, method: str, path: str, rate: float, burst: int, *, idempotent: bool = True
) -> Operation:
    return Operation(key, model, key.split(".", 1)[1], method, path, UsagePlan(rate, burst), idempotent)


_O26 = "orders_2026-01-01.json"
_OV0 = "ordersV0.json"
_FEEDS = "feeds_2021-06-30.json"
_REPORTS = "reports_2021-06-30.json"
_FBA = "fbaInventory.json"
_MCF = "fulfillmentOutbound_2020-07-01.json"
_LISTINGS = "listingsItems_2021-08-01.json"
_TOKENS = "tokens_2021-03-01.json"

OPERATIONS: dict[str, Operation] = {
    op.key: op
    for op in (
        _op("orders.searchOrders", _O26, "GET", "/orders/2026-01-01/orders", 0.0056, 20),
        _op("orders.getOrder", _O26, "GET", "/orders/2026-01-01/orders/{orderId}", 0.5, 30),
        _op(
            "ordersV0.confirmShipment",
            _OV0,
            "POST",
            "/orders/v0/orders/{orderId}/shipmentConfirmation",
            2,
            10,
            idempotent=False,
        ),
        _op("ordersV0.getOrderItems", _OV0, "GET", "/orders/v0/orders/{orderId}/orderItems", 0.5, 30),
        _op("feeds.createFeedDocument", _FEEDS, "POST", "/feeds/2021-06-30/documents", 0.5, 15),
        _op("feeds.createFeed", _FEEDS, "POST", "/feeds/2021-06-30/feeds", 0.0083, 15, idempotent=False),
        _op("feeds.getFeeds", _FEEDS, "GET", "/feeds/2021-06-30/feeds", 0.0222, 10),
        _op("feeds.getFeed", _FEEDS, "GET", "/feeds/2021-06-30/feeds/{feedId}", 2, 15),
        _op(
            "feeds.getFeedDocument",
            _FEEDS,
            "GET",
            "/feeds/2021-06-30/documents/{feedDocumentId}",
            0.0222,
            10,
        ),
        _op("reports.createReport", _REPORTS, "POST", "/reports/2021-06-30/reports", 0.0167, 15),
        _op("reports.getReport", _REPORTS, "GET", "/reports/2021-06-30/reports/{reportId}", 2, 15),
        _op(
            "reports.getReportDocument",
            _REPORTS,
            "GET",
            "/reports/2021-06-30/documents/{reportDocumentId}",
            0.0167,
            15,
        ),
        _op("fbaInventory.getInventorySummaries", _FBA, "GET", "/fba/inventory/v1/summaries", 2, 2),
        _op(
            "fulfillmentOutbound.listAllFulfillmentOrders",
            _MCF,
            "GET",
            "/fba/outbound/2020-07-01/fulfillmentOrders",
            2,
            30,
        ),
        _op(
            "fulfillmentOutbound.getFulfillmentOrder",
            _MCF,
            "GET",
            "/fba/outbound/2020-07-01/fulfillmentOrders/{sellerFulfillmentOrderId}",
            2,
            30,
        ),
        _op(
            "listingsItems.getListingsItem",
            _LISTINGS,
            "GET",
            "/listings/2021-08-01/items/{sellerId}/{sku}",
            5,
            10,
        ),
        _op(
            "listingsItems.patchListingsItem",
            _LISTINGS,
            "PATCH",
            "/listings/2021-08-01/items/{sellerId}/{sku}",
            5,
            5,
        ),
        _op(
            "listingsItems.searchListingsItems",
            _LISTINGS,
            "GET",
            "/listings/2021-08-01/items/{sellerId}",
            5,
            5,
        ),
        _op(
            "tokens.createRestrictedDataToken",
            _TOKENS,
            "POST",
            "/tokens/2021-03-01/restrictedDataToken",
            1,
            10,
        ),
    )
}
"""Operations by ``<api>.<operationId>`` (the API prefix disambiguates two ``getOrder``)."""


def operation(key: str) -> Operation:
    """The operation for ``key``; a KeyError names the known keys so a typo is obvious."""
    try:
        return OPERATIONS[key]
    except KeyError:
        raise KeyError(f"unknown SP-API operation {key!r}; known: {', '.join(sorted(OPERATIONS))}") from None
