"""Listings Items API 2021-08-01: getListingsItem, patchListingsItem, searchListingsItems."""

from __future__ import annotations

import base64
import binascii
import uuid

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox.catalog import BY_ID
from plugins.amazon.sandbox.http import (
    Call,
    error,
    invalid_input,
    json_body,
    json_response,
    list_param,
    not_found,
    sp_api,
)
from plugins.amazon.sandbox.listing_ops import apply_patches, item_json
from plugins.amazon.sandbox.seed import Listing

ITEM_DATA = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)
SORT_KEYS = {
    "sku": lambda lst: lst.sku,
    "createdDate": lambda lst: (lst.open_date, lst.sku),
    "lastUpdatedDate": lambda lst: (lst.updated, lst.sku),
}


def _common(request: Request, call: Call) -> tuple[list[str], list[str]] | Response:
    """The checked ``marketplaceIds`` and ``includedData`` of a request."""
    if request.path_params["sellerId"] != call.seller_id:
        return error(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            f"sellerId {request.path_params['sellerId']} is not the authorised seller.",
        )
    marketplaces = list_param(request, "marketplaceIds")
    if not marketplaces:
        return invalid_input("marketplaceIds is required.")
    unknown = [m for m in marketplaces if m not in BY_ID]
    if unknown:
        return invalid_input(f"Invalid marketplaceIds: {', '.join(unknown)}.")
    included = list_param(request, "includedData") or ["summaries"]
    bad = [d for d in included if d not in ITEM_DATA]
    if bad:
        return invalid_input(f"Invalid includedData value(s): {', '.join(bad)}.")
    return marketplaces, included


@sp_api("listingsItems.getListingsItem")
async def get_listings_item(request: Request, call: Call) -> Response:
    checked = _common(request, call)
    if isinstance(checked, Response):
        return checked
    listing = call.state.listings.get(request.path_params["sku"])
    if listing is None:
        return not_found(
            f"SKU {request.path_params['sku']} not found in marketplace(s) {','.join(checked[0])}."
        )
    with call.state.lock:
        return json_response(item_json(listing, *checked))


@sp_api("listingsItems.patchListingsItem")
async def patch_listings_item(request: Request, call: Call) -> Response:
    checked = _common(request, call)
    if isinstance(checked, Response):
        return checked
    mode = request.query_params.get("mode")
    if mode not in (None, "VALIDATION_PREVIEW"):
        return invalid_input(f"Invalid mode {mode!r}; the only mode is VALIDATION_PREVIEW.")
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    if not isinstance(body.get("productType"), str) or not body["productType"]:
        return invalid_input("productType is required.")
    sku = request.path_params["sku"]
    with call.state.lock:
        listing = call.state.listings.get(sku)
        if listing is None:
            return not_found(f"SKU {sku} not found.")
        problems = apply_patches(listing, body.get("patches"), checked[0], dry_run=mode is not None)
    status = "INVALID" if problems else ("VALID" if mode else "ACCEPTED")
    return json_response(
        {
            "sku": sku,
            "status": status,
            "submissionId": uuid.uuid4().hex,
            "issues": [p.issue() for p in problems],
        }
    )


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _page_offset(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "offset" and number.isdigit() else None


@sp_api("listingsItems.searchListingsItems")
async def search_listings_items(request: Request, call: Call) -> Response:
    checked = _common(request, call)
    if isinstance(checked, Response):
        return checked
    params = request.query_params
    raw_size = params.get("pageSize", "10")
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 20:
        return invalid_input(f"Invalid pageSize {raw_size!r}; it must be between 1 and 20.")
    sort_by, order = params.get("sortBy", "lastUpdatedDate"), params.get("sortOrder", "DESC")
    if sort_by not in SORT_KEYS or order not in ("ASC", "DESC"):
        return invalid_input("sortBy must be sku, createdDate or lastUpdatedDate; sortOrder ASC or DESC.")
    offset = 0
    if params.get("pageToken"):
        decoded = _page_offset(params["pageToken"])
        if decoded is None:
            return invalid_input("Invalid pageToken.")
        offset = decoded
    identifiers = set(list_param(request, "identifiers"))
    id_type = params.get("identifiersType")
    fields = {"SKU": "sku", "ASIN": "asin", "FNSKU": "fnsku"}
    if identifiers and id_type not in fields:
        return invalid_input("identifiersType must be SKU, ASIN or FNSKU when identifiers are given.")
    with call.state.lock:
        listings: list[Listing] = list(call.state.listings.values())
        if identifiers:
            listings = [lst for lst in listings if getattr(lst, fields[str(id_type)]) in identifiers]
        listings.sort(key=SORT_KEYS[sort_by], reverse=order == "DESC")
        size = int(raw_size)
        page = listings[offset : offset + size]
        body: dict[str, object] = {
            "numberOfResults": len(listings),
            "items": [item_json(lst, *checked) for lst in page],
        }
    if offset + size < len(listings):
        body["pagination"] = {"nextToken": _page_token(offset + size)}
    return json_response(body)
