"""The community client ``python-amazon-sp-api`` against the sandbox: the operations the
connector uses must answer it without an error. It has no endpoint setting, so the tests set
the client's ``endpoint`` attribute and give it an LWA client class pointing at the sandbox."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

sp_api = pytest.importorskip("sp_api", reason="python-amazon-sp-api is in the dev extra")
from sp_api.api import (  # noqa: E402
    Feeds,
    FulfillmentOutbound,
    Inventories,
    ListingsItems,
    Orders,
    Reports,
    Tokens,
)
from sp_api.auth import AccessTokenClient  # noqa: E402
from sp_api.base import Marketplaces  # noqa: E402

UK = "A1F83G8C2ARO7P"


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=23, orders=60, throttle=False, time_scale=600.0)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def make(sb: RunningSandbox) -> Callable[..., Any]:
    class SandboxLwa(AccessTokenClient):
        scheme = "http://"
        host = sb.base_url.removeprefix("http://")

    c = sb.credentials
    credentials = {
        "lwa_app_id": c.client_id,
        "lwa_client_secret": c.client_secret,
        "refresh_token": c.refresh_token,
    }

    def build(api: type, **kwargs: Any) -> Any:
        client = api(Marketplaces.UK, credentials=credentials, auth_token_client_class=SandboxLwa, **kwargs)
        client.endpoint = sb.base_url
        return client

    return build


def test_orders(sb: RunningSandbox, make: Callable[..., Any]) -> None:
    orders = make(Orders, version="2026-01-01")
    query = {"createdAfter": "2000-01-01T00:00:00Z", "marketplaceIds": [UK], "maxResultsPerPage": 5}
    first = orders.search_orders(includedData=["FULFILLMENT", "PROCEEDS"], **query)
    second = orders.search_orders(paginationToken=first.next_token, **query)
    ids = [o["orderId"] for o in first.payload["orders"] + second.payload["orders"]]
    assert len(set(ids)) == 10
    assert orders.get_order(ids[0], includedData=["FULFILLMENT"]).payload["order"]["orderId"] == ids[0]
    v0 = make(Orders)
    items = v0.get_order_items(ids[0]).payload["OrderItems"]
    assert items and items[0]["OrderItemId"]
    merchant = next(
        o
        for o in sb.state.orders.by_id.values()
        if o.spec.status == "UNSHIPPED" and o.spec.fulfilled_by == "MERCHANT"
    )
    v0.confirm_shipment(
        merchant.spec.order_id,
        marketplaceId=merchant.spec.marketplace.marketplace_id,
        packageDetail={
            "packageReferenceId": "PKG-1",
            "carrierCode": "Royal Mail",
            "trackingNumber": "RM123456785GB",
            "shipDate": "2026-01-02T10:00:00Z",
            "orderItems": [
                {"orderItemId": line.order_item_id, "quantity": line.quantity} for line in merchant.spec.lines
            ],
        },
    )
    assert sb.state.orders.by_id[merchant.spec.order_id].spec.status == "SHIPPED"


def test_restricted_data_token(make: Callable[..., Any]) -> None:
    rdt = make(Tokens).create_restricted_data_token(
        restrictedResources=[{"method": "GET", "path": f"/orders/2026-01-01/orders?marketplaceIds={UK}"}]
    )
    assert rdt.payload["restrictedDataToken"].startswith("Atz.sprdt|")


def _until_done(fetch: Callable[[], Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        payload: dict[str, Any] = fetch().payload
        if payload["processingStatus"] in ("DONE", "FATAL", "CANCELLED"):
            return payload
        time.sleep(0.05)
    raise AssertionError("never finished processing")


def test_reports_and_feeds(sb: RunningSandbox, make: Callable[..., Any]) -> None:
    reports = make(Reports)
    created = reports.create_report(reportType="GET_MERCHANT_LISTINGS_ALL_DATA", marketplaceIds=[UK])
    report = _until_done(lambda: reports.get_report(created.payload["reportId"]))
    document = reports.get_report_document(report["reportDocumentId"], download=True)
    assert "seller-sku" in document.payload["document"].splitlines()[0]
    feeds = make(Feeds)
    sku = next(s for s, lst in sorted(sb.state.listings.items()) if not lst.is_fba)
    message = {
        "messageId": 1,
        "sku": sku,
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 11}],
            }
        ],
    }
    body = {"header": {"sellerId": sb.credentials.seller_id, "version": "2.0"}, "messages": [message]}
    _, feed = feeds.submit_feed(
        "JSON_LISTINGS_FEED",
        io.BytesIO(json.dumps(body).encode()),
        content_type="application/json; charset=UTF-8",
    )
    done = _until_done(lambda: feeds.get_feed(feed.payload["feedId"]))
    assert done["processingStatus"] == "DONE"
    result = feeds.get_feed_result_document(done["resultFeedDocumentId"])
    assert "messagesProcessed" in str(result)
    assert sb.state.listings[sku].quantity == 11


def test_inventory_fulfilment_and_listings(sb: RunningSandbox, make: Callable[..., Any]) -> None:
    summaries = make(Inventories).get_inventory_summary_marketplace(details=True, marketplaceIds=[UK])
    assert summaries.payload["inventorySummaries"]
    outbound = make(FulfillmentOutbound)
    listed = outbound.list_all_fulfillment_orders().payload["fulfillmentOrders"]
    first = listed[0]["sellerFulfillmentOrderId"]
    assert (
        outbound.get_fulfillment_order(first).payload["fulfillmentOrder"]["sellerFulfillmentOrderId"] == first
    )
    listings = make(ListingsItems)
    seller = sb.credentials.seller_id
    page = listings.search_listings_items(seller, marketplaceIds=[UK], pageSize=5)
    sku = page.payload["items"][0]["sku"]
    assert listings.get_listings_item(seller, sku, marketplaceIds=[UK]).payload["sku"] == sku
    patched = listings.patch_listings_item(
        seller,
        sku,
        marketplaceIds=[UK],
        body={
            "productType": "HOME",
            "patches": [
                {
                    "op": "replace",
                    "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}],
                }
            ],
        },
    )
    assert patched.payload["status"] in ("ACCEPTED", "INVALID")
