"""Every sandbox endpoint over real loopback HTTP, its responses validated against Amazon's
models (strictly: no undeclared keys)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from plugins.amazon.sandbox.render import INCLUDED_DATA
from tests.amazon.models import needs_models
from tests.amazon.sandbox_support import (
    access_token,
    assert_valid,
    assert_valid_document,
    sp_client,
)

pytestmark = needs_models

O26, OV0, FEEDS, REPORTS = (
    "orders_2026-01-01.json",
    "ordersV0.json",
    "feeds_2021-06-30.json",
    "reports_2021-06-30.json",
)
LISTINGS, TOKENS = "listingsItems_2021-08-01.json", "tokens_2021-03-01.json"
FBA, MCF = "fbaInventory.json", "fulfillmentOutbound_2020-07-01.json"
UK, TR = "A1F83G8C2ARO7P", "A33AVAJ2PDY3EV"
ALL_DATA = ",".join(sorted(INCLUDED_DATA))
SINCE = {"createdAfter": "2000-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=7, orders=300, throttle=False, time_scale=600.0)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: RunningSandbox) -> Iterator[httpx.Client]:
    with sp_client(sb) as client:
        yield client


def all_orders(api: httpx.Client, **params: str) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    query: dict[str, str] = {**SINCE, **params}
    while True:
        response = api.get("/orders/2026-01-01/orders", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        orders.extend(body["orders"])
        token = body.get("pagination", {}).get("nextToken")
        if not token:
            return orders
        query = {**SINCE, **params, "paginationToken": token}


def wait_done(api: httpx.Client, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body: dict[str, Any] = api.get(path).json()
        if body["processingStatus"] in ("DONE", "FATAL", "CANCELLED"):
            return body
        time.sleep(0.03)
    raise AssertionError(f"{path} never finished processing")


def test_lwa_token_endpoint(sb: RunningSandbox) -> None:
    c = sb.credentials
    form = {
        "grant_type": "refresh_token",
        "refresh_token": c.refresh_token,
        "client_id": c.client_id,
        "client_secret": c.client_secret,
    }
    ok = httpx.post(f"{sb.base_url}/auth/o2/token", data=form).json()
    assert (
        ok["token_type"] == "bearer" and ok["expires_in"] == 3600 and ok["access_token"].startswith("Atza|")
    )
    bad_grant = httpx.post(f"{sb.base_url}/auth/o2/token", data={**form, "refresh_token": "Atzr|nope"})
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "invalid_grant"
    bad_client = httpx.post(f"{sb.base_url}/auth/o2/token", data={**form, "client_secret": "wrong"})
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"


def test_search_orders_with_every_dataset_validates(api: httpx.Client) -> None:
    response = api.get("/orders/2026-01-01/orders", params={**SINCE, "includedData": ALL_DATA})
    assert response.status_code == 200
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.0056"  # Amazon's rate, never scaled
    assert response.headers["x-channelhub-sandbox-time-scale"] == "600"
    body = response.json()
    assert_valid(O26, "SearchOrdersResponse", body)
    assert len(body["orders"]) == 100 and body["pagination"]["nextToken"]
    assert all("fulfillment" in o and "proceeds" in o for o in body["orders"])
    assert not any("buyer" in o or "recipient" in o for o in body["orders"]), "PII needs an RDT"


def test_search_orders_without_included_data_is_the_core(api: httpx.Client) -> None:
    body = api.get("/orders/2026-01-01/orders", params={**SINCE, "maxResultsPerPage": "5"}).json()
    assert_valid(O26, "SearchOrdersResponse", body)
    assert len(body["orders"]) == 5
    assert {k for o in body["orders"] for k in o} <= {
        "orderId",
        "orderAliases",
        "createdTime",
        "lastUpdatedTime",
        "programs",
        "salesChannel",
        "orderItems",
    }


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "createdAfter"),
        ({**SINCE, "lastUpdatedAfter": "2000-01-01T00:00:00Z"}, "createdAfter"),
        ({**SINCE, "maxResultsPerPage": "101"}, "maxResultsPerPage"),
        ({**SINCE, "includedData": "BUYER,SHOE_SIZE"}, "SHOE_SIZE"),
        ({**SINCE, "fulfillmentStatuses": "LOST"}, "fulfillmentStatuses"),
        ({"createdAfter": "yesterday"}, "createdAfter"),
        ({"createdAfter": "2026-01-01"}, "RFC 3339"),
        ({"createdAfter": "2026-W01-1T00:00:00Z"}, "RFC 3339"),
        ({"createdAfter": "20260101T000000Z"}, "RFC 3339"),
        ({"createdAfter": "2026-01-01T00:00:00"}, "RFC 3339"),
        ({**SINCE, "marketplaceIds": "A1F83G8C2ARO7P,ANOPE"}, "ANOPE"),
        ({**SINCE, "includedData": ""}, "includedData"),
        ({**SINCE, "marketplaceIds": ","}, "marketplaceIds"),
        ({"paginationToken": "not-a-token"}, "paginationToken"),
        ({**SINCE, "createdBefore": "2999-01-01T00:00:00Z"}, "two minutes"),
    ],
)
def test_search_orders_rejects_bad_input(api: httpx.Client, params: dict[str, str], needle: str) -> None:
    response = api.get("/orders/2026-01-01/orders", params=params)
    assert response.status_code == 400
    assert_valid(O26, "ErrorList", response.json())
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert needle in response.json()["errors"][0]["message"]


def test_get_order_and_order_items(sb: RunningSandbox, api: httpx.Client) -> None:
    order_id = next(iter(sb.state.orders.by_id))
    body = api.get(f"/orders/2026-01-01/orders/{order_id}", params={"includedData": ALL_DATA}).json()
    assert_valid(O26, "GetOrderResponse", body)
    assert body["order"]["orderId"] == order_id
    items = api.get(f"/orders/v0/orders/{order_id}/orderItems").json()
    assert_valid(OV0, "GetOrderItemsResponse", items)
    assert [i["OrderItemId"] for i in items["payload"]["OrderItems"]] == [
        i["orderItemId"] for i in body["order"]["orderItems"]
    ]
    missing = api.get("/orders/2026-01-01/orders/000-0000000-0000000")
    assert missing.status_code == 404
    assert_valid(O26, "ErrorList", missing.json())
    no_items = api.get("/orders/v0/orders/000-0000000-0000000/orderItems")
    assert no_items.status_code == 404 and no_items.json()["errors"][0]["code"] == "NotFound"
    junk = api.get(f"/orders/v0/orders/{order_id}/orderItems", params={"NextToken": "junk"})
    assert junk.status_code == 400 and junk.json()["errors"][0]["message"] == "Invalid NextToken."
    assert_valid(OV0, "GetOrderItemsResponse", junk.json())


def test_order_items_agree_with_the_order_to_the_cent(sb: RunningSandbox, api: httpx.Client) -> None:
    for order_id in sorted(sb.state.orders.by_id)[:40]:
        order = api.get(
            f"/orders/2026-01-01/orders/{order_id}", params={"includedData": "PROCEEDS,PROMOTION"}
        )
        items = api.get(f"/orders/v0/orders/{order_id}/orderItems").json()
        assert_valid(OV0, "GetOrderItemsResponse", items)
        parts = {
            b["type"]: Decimal(b["subtotal"]["amount"])
            for b in order.json()["order"]["proceeds"]["breakdowns"]
        }
        lines = items["payload"]["OrderItems"]
        assert sum(Decimal(i["ItemPrice"]["Amount"]) for i in lines) == parts["ITEM"]
        assert sum(Decimal(i["ShippingPrice"]["Amount"]) for i in lines) == parts["SHIPPING"]
        promoted = [i for i in order.json()["order"]["orderItems"] if "promotion" in i]
        assert bool(promoted) == all(i["PromotionIds"] for i in lines)
        assert all(Decimal(i["ItemTax"]["Amount"]) <= Decimal(i["ItemPrice"]["Amount"]) for i in lines)


def test_buyer_data_needs_a_restricted_data_token(sb: RunningSandbox, api: httpx.Client) -> None:
    path = "/orders/2026-01-01/orders"
    granted = api.post(
        "/tokens/2021-03-01/restrictedDataToken",
        json={
            "restrictedResources": [
                {"method": "GET", "path": path, "dataElements": ["buyerInfo", "shippingAddress"]}
            ]
        },
    )
    assert granted.status_code == 200, granted.text
    assert_valid(TOKENS, "CreateRestrictedDataTokenResponse", granted.json())
    rdt = granted.json()["restrictedDataToken"]
    with httpx.Client(base_url=sb.base_url, headers={"x-amz-access-token": rdt}) as pii:
        orders = all_orders(pii, includedData="BUYER,RECIPIENT,FULFILLMENT")
        not_covered = pii.get("/fba/outbound/2020-07-01/fulfillmentOrders")
    specs = sb.state.orders.by_id
    for order in orders:
        spec = specs[order["orderId"]].spec
        expected = spec.has_buyer_data and spec.marketplace.marketplace_id != TR
        assert ("buyer" in order) == expected and ("recipient" in order) == expected, order["orderId"]
    assert any("buyer" in o for o in orders)
    assert any(specs[o["orderId"]].spec.marketplace.marketplace_id == TR for o in orders)
    assert not_covered.status_code == 403
    refused = api.post(
        "/tokens/2021-03-01/restrictedDataToken",
        json={"restrictedResources": [{"method": "GET", "path": f"{path}?marketplaceIds={TR}"}]},
    )
    assert refused.status_code == 403
    assert_valid(TOKENS, "ErrorList", refused.json())
    not_restricted = api.post(
        "/tokens/2021-03-01/restrictedDataToken",
        json={"restrictedResources": [{"method": "GET", "path": "/feeds/2021-06-30/feeds"}]},
    )
    assert not_restricted.status_code == 400


def _confirmation(order: Any) -> dict[str, Any]:
    spec = order.spec
    return {
        "marketplaceId": spec.marketplace.marketplace_id,
        "packageDetail": {
            "packageReferenceId": "PKG-1",
            "carrierCode": "Royal Mail",
            "trackingNumber": "RM123456785GB",
            "shipDate": "2026-01-02T10:00:00Z",
            "orderItems": [
                {"orderItemId": line.order_item_id, "quantity": line.quantity} for line in spec.lines
            ],
        },
    }


def test_confirm_shipment_records_every_call_and_ships_the_order(
    sb: RunningSandbox, api: httpx.Client
) -> None:
    order = next(
        o
        for o in sb.state.orders.by_id.values()
        if o.spec.status == "UNSHIPPED" and o.spec.fulfilled_by == "MERCHANT"
    )
    order_id = order.spec.order_id
    body = _confirmation(order)
    assert_valid(OV0, "ConfirmShipmentRequest", body)
    before = len(sb.state.confirmations)
    path = f"/orders/v0/orders/{order_id}/shipmentConfirmation"
    first, again = api.post(path, json=body), api.post(path, json=body)
    assert (first.status_code, again.status_code) == (204, 204)
    unknown = api.post("/orders/v0/orders/999-9999999-9999999/shipmentConfirmation", json=body)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "NotFound"
    assert_valid(OV0, "ConfirmShipmentErrorResponse", unknown.json())
    recorded = httpx.get(f"{sb.base_url}/_sandbox/confirmations").json()[before:]
    assert [r["order_id"] for r in recorded] == [order_id, order_id, "999-9999999-9999999"]
    assert recorded[0]["body"] == body
    shipped = api.get(
        f"/orders/2026-01-01/orders/{order_id}", params={"includedData": "FULFILLMENT,PACKAGES"}
    )
    assert_valid(O26, "GetOrderResponse", shipped.json())
    assert shipped.json()["order"]["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    assert shipped.json()["order"]["packages"][0]["trackingNumber"] == "RM123456785GB"


def test_listings_items_get_search_and_patch(sb: RunningSandbox, api: httpx.Client) -> None:
    seller = sb.credentials.seller_id
    sku = next(s for s, lst in sb.state.listings.items() if not lst.is_fba)
    everything = "summaries,attributes,issues,offers,fulfillmentAvailability,productTypes"
    item = api.get(
        f"/listings/2021-08-01/items/{seller}/{sku}",
        params={"marketplaceIds": UK, "includedData": everything},
    )
    assert_valid(LISTINGS, "Item", item.json())
    patch = {
        "productType": "HOME",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/purchasable_offer",
                "value": [
                    {
                        "marketplace_id": UK,
                        "currency": "GBP",
                        "our_price": [{"schedule": [{"value_with_tax": 12.5}]}],
                    }
                ],
            },
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}],
            },
        ],
    }
    assert_valid(LISTINGS, "ListingsItemPatchRequest", patch)
    accepted = api.patch(
        f"/listings/2021-08-01/items/{seller}/{sku}", params={"marketplaceIds": UK}, json=patch
    )
    assert_valid(LISTINGS, "ListingsItemSubmissionResponse", accepted.json())
    assert accepted.json()["status"] == "ACCEPTED"
    after = api.get(
        f"/listings/2021-08-01/items/{seller}/{sku}",
        params={"marketplaceIds": UK, "includedData": "offers,fulfillmentAvailability"},
    ).json()
    assert after["offers"][0]["price"] == {"amount": "12.50", "currencyCode": "GBP"}
    assert after["fulfillmentAvailability"][0]["quantity"] == 7
    bad = {
        "productType": "HOME",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": -1}],
            }
        ],
    }
    invalid = api.patch(f"/listings/2021-08-01/items/{seller}/{sku}", params={"marketplaceIds": UK}, json=bad)
    assert_valid(LISTINGS, "ListingsItemSubmissionResponse", invalid.json())
    assert invalid.json()["status"] == "INVALID"
    assert invalid.json()["issues"][0]["attributeNames"] == ["fulfillment_availability"]
    assert sb.state.listings[sku].quantity == 7
    page = api.get(
        f"/listings/2021-08-01/items/{seller}",
        params={"marketplaceIds": UK, "pageSize": "20", "sortBy": "sku", "sortOrder": "ASC"},
    ).json()
    assert_valid(LISTINGS, "ItemSearchResults", page)
    assert page["numberOfResults"] == len(sb.state.listings)
    assert [i["sku"] for i in page["items"]] == sorted(sb.state.listings)[:20]
    missing = api.get(f"/listings/2021-08-01/items/{seller}/NOPE", params={"marketplaceIds": UK})
    assert missing.status_code == 404
    assert_valid(LISTINGS, "ErrorList", missing.json())


def test_json_listings_feed_applies_prices_and_quantities(sb: RunningSandbox, api: httpx.Client) -> None:
    seller = sb.credentials.seller_id
    mfn = [s for s, lst in sb.state.listings.items() if not lst.is_fba][5:7]
    feed_document = {
        "header": {"sellerId": seller, "version": "2.0", "issueLocale": "en_GB"},
        "messages": [
            {
                "messageId": 1,
                "sku": mfn[0],
                "operationType": "PATCH",
                "productType": "HOME",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/purchasable_offer",
                        "value": [
                            {
                                "marketplace_id": UK,
                                "currency": "GBP",
                                "our_price": [{"schedule": [{"value_with_tax": 21.99}]}],
                            }
                        ],
                    },
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 42}],
                    },
                ],
            },
            {
                "messageId": 2,
                "sku": "NO-SUCH-SKU",
                "operationType": "PATCH",
                "productType": "HOME",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}],
                    }
                ],
            },
            {
                "messageId": 3,
                "sku": mfn[1],
                "operationType": "PATCH",
                "productType": "HOME",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/purchasable_offer",
                        "value": [
                            {
                                "marketplace_id": UK,
                                "currency": "GBP",
                                "our_price": [{"schedule": [{"value_with_tax": -5}]}],
                            }
                        ],
                    }
                ],
            },
        ],
    }
    assert_valid_document("listings-feed-schema-v2.json", feed_document)
    price_before = sb.state.listings[mfn[1]].prices[UK]
    created_doc = api.post(
        "/feeds/2021-06-30/documents", json={"contentType": "application/json; charset=UTF-8"}
    )
    assert created_doc.status_code == 201
    assert_valid(FEEDS, "CreateFeedDocumentResponse", created_doc.json())
    upload = httpx.put(
        created_doc.json()["url"],
        content=json.dumps(feed_document).encode(),
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert upload.status_code == 200
    created = api.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [UK],
            "inputFeedDocumentId": created_doc.json()["feedDocumentId"],
        },
    )
    assert created.status_code == 202
    assert_valid(FEEDS, "CreateFeedResponse", created.json())
    feed = wait_done(api, f"/feeds/2021-06-30/feeds/{created.json()['feedId']}")
    assert_valid(FEEDS, "Feed", feed)
    assert feed["processingStatus"] == "DONE"
    result = api.get(f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    assert_valid(FEEDS, "FeedDocument", result)
    report = httpx.get(result["url"]).json()
    assert_valid_document("listings-feed-processing-report-schema-v2.json", report)
    assert report["summary"]["messagesProcessed"] == 3 and report["summary"]["messagesAccepted"] == 1
    assert {(i["messageId"], i["sku"], i["code"]) for i in report["issues"]} == {
        (2, "NO-SUCH-SKU", "SKU_NOT_FOUND"),
        (3, mfn[1], "INVALID_VALUE"),
    }
    assert sb.state.listings[mfn[0]].prices[UK] == Decimal("21.99")
    assert sb.state.listings[mfn[0]].quantity == 42
    assert sb.state.listings[mfn[1]].prices[UK] == price_before


def test_unuploaded_feed_is_fatal(api: httpx.Client) -> None:
    doc = api.post("/feeds/2021-06-30/documents", json={"contentType": "application/json"}).json()
    created = api.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [UK],
            "inputFeedDocumentId": doc["feedDocumentId"],
        },
    ).json()
    assert wait_done(api, f"/feeds/2021-06-30/feeds/{created['feedId']}")["processingStatus"] == "FATAL"


def test_merchant_listings_report(sb: RunningSandbox, api: httpx.Client) -> None:
    created = api.post(
        "/reports/2021-06-30/reports",
        json={"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [UK]},
    )
    assert created.status_code == 202
    assert_valid(REPORTS, "CreateReportResponse", created.json())
    report = wait_done(api, f"/reports/2021-06-30/reports/{created.json()['reportId']}")
    assert_valid(REPORTS, "Report", report)
    document = api.get(f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert_valid(REPORTS, "ReportDocument", document)
    rows = list(csv.DictReader(io.StringIO(httpx.get(document["url"]).text), delimiter="\t"))
    assert len(rows) == len(sb.state.listings)
    for column in (
        "item-name",
        "listing-id",
        "seller-sku",
        "price",
        "quantity",
        "open-date",
        "asin1",
        "fulfillment-channel",
        "status",
    ):
        assert column in rows[0]
    for row in rows:
        listing = sb.state.listings[row["seller-sku"]]
        assert Decimal(row["price"]) == listing.prices[UK]
        assert row["quantity"] == ("" if listing.is_fba else str(listing.quantity))
        assert row["fulfillment-channel"] == listing.fulfillment_channel
    unsupported = api.post(
        "/reports/2021-06-30/reports", json={"reportType": "GET_V2_SETTLEMENT", "marketplaceIds": [UK]}
    )
    assert unsupported.status_code == 400
    assert_valid(REPORTS, "ErrorList", unsupported.json())


def test_fba_inventory_pages(sb: RunningSandbox, api: httpx.Client) -> None:
    params = {"granularityType": "Marketplace", "granularityId": UK, "marketplaceIds": UK, "details": "true"}
    skus: list[str] = []
    while True:
        body = api.get("/fba/inventory/v1/summaries", params=params).json()
        assert_valid(FBA, "GetInventorySummariesResponse", body)
        skus += [s["sellerSku"] for s in body["payload"]["inventorySummaries"]]
        if "pagination" not in body:
            break
        params["nextToken"] = body["pagination"]["nextToken"]
    assert skus == sorted(s for s, lst in sb.state.listings.items() if lst.is_fba)
    bad = api.get("/fba/inventory/v1/summaries", params={"granularityType": "Marketplace"})
    assert bad.status_code == 400
    assert_valid(FBA, "GetInventorySummariesResponse", bad.json())


def test_mcf_fulfillment_orders(sb: RunningSandbox, api: httpx.Client) -> None:
    listed = api.get("/fba/outbound/2020-07-01/fulfillmentOrders").json()
    assert_valid(MCF, "ListAllFulfillmentOrdersResponse", listed)
    first = listed["payload"]["fulfillmentOrders"][0]["sellerFulfillmentOrderId"]
    detail = api.get(f"/fba/outbound/2020-07-01/fulfillmentOrders/{first}").json()
    assert_valid(MCF, "GetFulfillmentOrderResponse", detail)
    assert len(listed["payload"]["fulfillmentOrders"]) == len(sb.state.fulfillment_orders)


def test_faults_fail_the_next_calls(sb: RunningSandbox, api: httpx.Client) -> None:
    armed = httpx.post(
        f"{sb.base_url}/_sandbox/faults", json={"operation": "orders.getOrder", "status": 503, "count": 2}
    )
    assert armed.status_code == 200
    order_id = next(iter(sb.state.orders.by_id))
    statuses = [api.get(f"/orders/2026-01-01/orders/{order_id}").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    unknown = httpx.post(f"{sb.base_url}/_sandbox/faults", json={"operation": "orders.nope", "status": 503})
    assert unknown.status_code == 400 and "operation" in unknown.json()["errors"][0]["message"]


def test_new_orders_arrive_and_settle(sb: RunningSandbox, api: httpx.Client) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    added = httpx.post(f"{sb.base_url}/_sandbox/orders", json={"count": 3}).json()["orderIds"]
    time.sleep(120 / 600 + 0.05)  # Amazon's two-minute settling time on the 600x clock
    seen = [o["orderId"] for o in all_orders(api, createdAfter=since)]
    assert set(added) <= set(seen)


def test_unknown_and_expired_tokens_are_refused(sb: RunningSandbox) -> None:
    expected = {
        "errors": [
            {
                "code": "Unauthorized",
                "message": "Access to requested resource is denied.",
                "details": "The access token you provided has expired.",
            }
        ]
    }
    stale = httpx.get(
        f"{sb.base_url}/orders/2026-01-01/orders",
        params=SINCE,
        headers={"x-amz-access-token": "Atza|unknown"},
    )
    assert (stale.status_code, stale.json()) == (403, expected)
    token = access_token(sb)
    httpx.post(f"{sb.base_url}/_sandbox/expire-tokens").raise_for_status()
    expired = httpx.get(
        f"{sb.base_url}/orders/2026-01-01/orders", params=SINCE, headers={"x-amz-access-token": token}
    )
    assert (expired.status_code, expired.json()) == (403, expected)
    assert_valid(O26, "ErrorList", expired.json())


def test_tokens_expire_after_their_ttl() -> None:
    with running_sandbox(SandboxConfig(orders=5, throttle=False, token_ttl_seconds=1)) as sb:
        token = access_token(sb)
        headers = {"x-amz-access-token": token}
        assert (
            httpx.get(f"{sb.base_url}/fba/outbound/2020-07-01/fulfillmentOrders", headers=headers).status_code
            == 200
        )
        time.sleep(1.1)
        late = httpx.get(f"{sb.base_url}/fba/outbound/2020-07-01/fulfillmentOrders", headers=headers)
        assert late.status_code == 403 and late.json()["errors"][0]["code"] == "Unauthorized"
