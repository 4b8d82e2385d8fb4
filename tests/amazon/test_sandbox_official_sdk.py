"""Amazon's official Python SDK (``amzn-sp-api``) against the sandbox, for every operation
channelhub's connector calls: each answer must deserialise into the SDK's models, so a change
that breaks a real client fails here. The SDK takes the LWA URL and endpoint as settings."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plugins.amazon.operations import OPERATIONS
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

spapi = pytest.importorskip("spapi", reason="amzn-sp-api is in the dev extra")
from spapi.api.fba_inventory_v1.fba_inventory_api import FbaInventoryApi  # noqa: E402
from spapi.api.feeds_v2021_06_30.feeds_api import FeedsApi  # noqa: E402
from spapi.api.fulfillment_outbound_v2020_07_01.fba_outbound_api import FbaOutboundApi  # noqa: E402
from spapi.api.listings_items_v2021_08_01.listings_api import ListingsApi  # noqa: E402
from spapi.api.orders_v0.orders_v0_api import OrdersV0Api  # noqa: E402
from spapi.api.orders_v2026_01_01.get_order_api import GetOrderApi  # noqa: E402
from spapi.api.orders_v2026_01_01.search_orders_api import SearchOrdersApi  # noqa: E402
from spapi.api.reports_v2021_06_30.reports_api import ReportsApi  # noqa: E402
from spapi.api.tokens_v2021_03_01.tokens_api import TokensApi  # noqa: E402

UK = "A1F83G8C2ARO7P"
EXERCISED: set[str] = set()
"""Operation keys the tests below drove through the SDK (checked complete at the end)."""


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=21, orders=80, throttle=False, time_scale=600.0)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(sb: RunningSandbox) -> Any:
    c = sb.credentials
    config = spapi.SPAPIConfig(
        client_id=c.client_id, client_secret=c.client_secret, refresh_token=c.refresh_token, region="EU"
    )
    return spapi.SPAPIClient(
        config, oauth_endpoint=f"{sb.base_url}/auth/o2/token", endpoint=sb.base_url
    ).api_client


def used(*keys: str) -> None:
    EXERCISED.update(keys)


def test_orders_search_get_items_and_confirm(sb: RunningSandbox, client: Any) -> None:
    search = SearchOrdersApi(client)
    query = {"created_after": "2000-01-01T00:00:00Z", "marketplace_ids": [UK], "max_results_per_page": 7}
    first = search.search_orders(included_data=["FULFILLMENT", "PROCEEDS", "PACKAGES"], **query)
    second = search.search_orders(pagination_token=first.pagination.next_token, **query)
    ids = [o.order_id for o in first.orders + second.orders]
    assert len(ids) == 14 and len(set(ids)) == 14
    assert first.orders[0].proceeds.grand_total.currency_code == "GBP"
    merchant = next(
        o
        for o in sb.state.orders.by_id.values()
        if o.spec.status == "UNSHIPPED" and o.spec.fulfilled_by == "MERCHANT"
    )
    order = GetOrderApi(client).get_order(merchant.spec.order_id, included_data=["FULFILLMENT"]).order
    assert order.fulfillment.fulfillment_status == "UNSHIPPED"
    v0 = OrdersV0Api(client)
    items = v0.get_order_items(merchant.spec.order_id).payload.order_items
    assert [i.order_item_id for i in items] == [line.order_item_id for line in merchant.spec.lines]
    payload = {
        "marketplaceId": merchant.spec.marketplace.marketplace_id,
        "packageDetail": {
            "packageReferenceId": "PKG-1",
            "carrierCode": "Royal Mail",
            "trackingNumber": "RM123456785GB",
            "shipDate": "2026-01-02T10:00:00Z",
            "orderItems": [{"orderItemId": i.order_item_id, "quantity": i.quantity_ordered} for i in items],
        },
    }
    assert v0.confirm_shipment(merchant.spec.order_id, payload) is None
    assert sb.state.orders.by_id[merchant.spec.order_id].spec.status == "SHIPPED"
    used("orders.searchOrders", "orders.getOrder", "ordersV0.getOrderItems", "ordersV0.confirmShipment")


def test_restricted_data_token_unlocks_buyer_data(sb: RunningSandbox, client: Any) -> None:
    body = {
        "restrictedResources": [
            {
                "method": "GET",
                "path": f"/orders/2026-01-01/orders?marketplaceIds={UK}",
                "dataElements": ["buyerInfo"],
            }
        ]
    }
    rdt = TokensApi(client).create_restricted_data_token(body)
    assert rdt.restricted_data_token.startswith("Atz.sprdt|") and rdt.expires_in > 0
    used("tokens.createRestrictedDataToken")


def _until_done(fetch: Any) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        result = fetch()
        if result.processing_status in ("DONE", "FATAL", "CANCELLED"):
            return result
        time.sleep(0.05)
    raise AssertionError("never finished processing")


def test_listings_feed_round_trip(sb: RunningSandbox, client: Any) -> None:
    feeds = FeedsApi(client)
    content_type = "application/json; charset=UTF-8"
    document = feeds.create_feed_document({"contentType": content_type})
    sku = next(s for s, lst in sorted(sb.state.listings.items()) if not lst.is_fba)
    feed_body = {
        "header": {"sellerId": sb.credentials.seller_id, "version": "2.0"},
        "messages": [
            {
                "messageId": 1,
                "sku": sku,
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 9}],
                    }
                ],
            }
        ],
    }
    uploaded = httpx.put(document.url, content=json.dumps(feed_body), headers={"content-type": content_type})
    assert uploaded.status_code == 200
    created = feeds.create_feed(
        {
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [UK],
            "inputFeedDocumentId": document.feed_document_id,
        }
    )
    feed = _until_done(lambda: feeds.get_feed(created.feed_id))
    assert feed.processing_status == "DONE"
    result = feeds.get_feed_document(feed.result_feed_document_id)
    assert result.url.startswith(sb.base_url)
    assert sb.state.listings[sku].quantity == 9
    used("feeds.createFeedDocument", "feeds.createFeed", "feeds.getFeed", "feeds.getFeedDocument")


def test_merchant_listings_report(client: Any) -> None:
    reports = ReportsApi(client)
    created = reports.create_report({"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [UK]})
    report = _until_done(lambda: reports.get_report(created.report_id))
    document = reports.get_report_document(report.report_document_id)
    assert "seller-sku" in httpx.get(document.url).text.splitlines()[0]
    used("reports.createReport", "reports.getReport", "reports.getReportDocument")


def test_inventory_and_multi_channel_fulfilment(sb: RunningSandbox, client: Any) -> None:
    summaries = FbaInventoryApi(client).get_inventory_summaries("Marketplace", UK, [UK], details=True)
    assert summaries.payload.inventory_summaries[0].seller_sku
    outbound = FbaOutboundApi(client)
    listed = outbound.list_all_fulfillment_orders().payload.fulfillment_orders
    detail = outbound.get_fulfillment_order(listed[0].seller_fulfillment_order_id).payload
    assert detail.fulfillment_order.seller_fulfillment_order_id == listed[0].seller_fulfillment_order_id
    used(
        "fbaInventory.getInventorySummaries",
        "fulfillmentOutbound.listAllFulfillmentOrders",
        "fulfillmentOutbound.getFulfillmentOrder",
    )


def test_listings_items_get_search_and_patch(sb: RunningSandbox, client: Any) -> None:
    listings = ListingsApi(client)
    seller = sb.credentials.seller_id
    page = listings.search_listings_items(seller, [UK], page_size=5)
    sku = page.items[0].sku
    item = listings.get_listings_item(seller, sku, [UK], included_data=["summaries", "offers"])
    assert item.sku == sku
    patch = {
        "productType": "HOME",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}],
            }
        ],
    }
    assert listings.patch_listings_item(seller, sku, [UK], patch).status in ("ACCEPTED", "INVALID")
    used(
        "listingsItems.searchListingsItems",
        "listingsItems.getListingsItem",
        "listingsItems.patchListingsItem",
    )


def test_every_connector_operation_was_driven() -> None:
    assert set(OPERATIONS) - EXERCISED == set()
