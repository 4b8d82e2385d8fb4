"""FBA: Inventory v1 (getInventorySummaries) and Fulfillment Outbound 2020-07-01 (MCF orders)."""

from __future__ import annotations

import base64
import binascii
import random
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox.catalog import BY_ID
from plugins.amazon.sandbox.http import (
    Call,
    invalid_input,
    json_response,
    list_param,
    not_found,
    rfc3339,
    sp_api,
)
from plugins.amazon.sandbox.render import iso
from plugins.amazon.sandbox.seed import Listing

INVENTORY_PAGE = 50
MCF_PAGE = 50


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{offset:08d}".encode()).decode()


def _offset(token: str | None) -> int | None:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _inventory_summary(listing: Listing, details: bool) -> dict[str, Any]:
    # Stable per SKU: the split of the stock into its states is derived from the SKU itself.
    rng = random.Random(listing.sku)  # noqa: S311 - reproducible test data
    reserved = min(listing.quantity, rng.randrange(0, 4))
    unfulfillable = rng.choice((0, 0, 0, 1, 2))
    summary: dict[str, Any] = {
        "asin": listing.asin,
        "fnSku": listing.fnsku,
        "sellerSku": listing.sku,
        "condition": "NewItem",
        "lastUpdatedTime": iso(listing.updated),
        "productName": listing.title,
        "totalQuantity": listing.quantity + unfulfillable,
    }
    if details:
        inbound = rng.choice((0, 0, 12, 24))
        summary["inventoryDetails"] = {
            "fulfillableQuantity": listing.quantity - reserved,
            "inboundWorkingQuantity": 0,
            "inboundShippedQuantity": inbound,
            "inboundReceivingQuantity": 0,
            "reservedQuantity": {
                "totalReservedQuantity": reserved,
                "pendingCustomerOrderQuantity": reserved,
                "pendingTransshipmentQuantity": 0,
                "fcProcessingQuantity": 0,
            },
            "researchingQuantity": {"totalResearchingQuantity": 0, "researchingQuantityBreakdown": []},
            "unfulfillableQuantity": {
                "totalUnfulfillableQuantity": unfulfillable,
                "customerDamagedQuantity": unfulfillable,
                "warehouseDamagedQuantity": 0,
                "distributorDamagedQuantity": 0,
                "carrierDamagedQuantity": 0,
                "defectiveQuantity": 0,
                "expiredQuantity": 0,
            },
        }
    return summary


@sp_api("fbaInventory.getInventorySummaries")
async def get_inventory_summaries(request: Request, call: Call) -> Response:
    params = request.query_params
    if params.get("granularityType") != "Marketplace":
        return invalid_input("granularityType is required and must be Marketplace.")
    granularity_id = params.get("granularityId")
    marketplaces = list_param(request, "marketplaceIds")
    if not granularity_id or granularity_id not in BY_ID:
        return invalid_input(f"granularityId must be a marketplace id, got {granularity_id!r}.")
    if len(marketplaces) != 1 or marketplaces[0] not in BY_ID:
        return invalid_input("marketplaceIds must hold exactly one marketplace id.")
    skus = set(list_param(request, "sellerSkus"))
    if params.get("sellerSku"):
        skus.add(params["sellerSku"])
    if len(skus) > 50:
        return invalid_input("sellerSkus accepts at most 50 SKUs.")
    start = None
    if params.get("startDateTime"):
        start = rfc3339(params["startDateTime"])
        if start is None:
            return invalid_input("startDateTime is not an RFC 3339 date-time with an offset (e.g. Z).")
    offset = _offset(params.get("nextToken"))
    if offset is None:
        return invalid_input("Invalid nextToken.")
    details = params.get("details", "false").lower() == "true"
    with call.state.lock:
        listings = sorted(
            (lst for lst in call.state.listings.values() if lst.is_fba), key=lambda lst: lst.sku
        )
        if skus:
            listings = [lst for lst in listings if lst.sku in skus]
        if start is not None:
            listings = [lst for lst in listings if lst.updated >= start]
        page = [_inventory_summary(lst, details) for lst in listings[offset : offset + INVENTORY_PAGE]]
    body: dict[str, Any] = {
        "payload": {
            "granularity": {"granularityType": "Marketplace", "granularityId": granularity_id},
            "inventorySummaries": page,
        }
    }
    if offset + INVENTORY_PAGE < len(listings):
        body["pagination"] = {"nextToken": _token(offset + INVENTORY_PAGE)}
    return json_response(body)


@sp_api("fulfillmentOutbound.listAllFulfillmentOrders")
async def list_all_fulfillment_orders(request: Request, call: Call) -> Response:
    start = None
    if request.query_params.get("queryStartDate"):
        moment = rfc3339(request.query_params["queryStartDate"])
        if moment is None:
            return invalid_input("queryStartDate is not an RFC 3339 date-time with an offset (e.g. Z).")
        start = iso(moment)
    offset = _offset(request.query_params.get("nextToken"))
    if offset is None:
        return invalid_input("Invalid nextToken.")
    orders = sorted(
        (o["fulfillmentOrder"] for o in call.state.fulfillment_orders.values()),
        key=lambda o: (o["statusUpdatedDate"], o["sellerFulfillmentOrderId"]),
    )
    if start is not None:
        orders = [o for o in orders if o["statusUpdatedDate"] >= start]
    payload: dict[str, Any] = {"fulfillmentOrders": orders[offset : offset + MCF_PAGE]}
    if offset + MCF_PAGE < len(orders):
        payload["nextToken"] = _token(offset + MCF_PAGE)
    return json_response({"payload": payload})


@sp_api("fulfillmentOutbound.getFulfillmentOrder")
async def get_fulfillment_order(request: Request, call: Call) -> Response:
    order = call.state.fulfillment_orders.get(request.path_params["sellerFulfillmentOrderId"])
    if order is None:
        return not_found(
            f"Fulfillment order {request.path_params['sellerFulfillmentOrderId']} was not found."
        )
    return json_response({"payload": order})
