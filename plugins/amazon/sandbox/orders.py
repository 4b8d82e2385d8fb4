"""Orders 2026-01-01 (searchOrders, getOrder) and Orders v0 (confirmShipment, getOrderItems).

Buyer and recipient data are restricted: ``includedData=BUYER,RECIPIENT`` is honoured only
when the request's ``x-amz-access-token`` is a Restricted Data Token covering the request path,
and never for marketplaces in ``SandboxConfig.rdt_refused_marketplaces``. Otherwise those
datasets are silently left out, as Amazon does for callers without the PII role, so the
orders still import without buyer data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox import order_money, pagination
from plugins.amazon.sandbox.catalog import money_amount
from plugins.amazon.sandbox.http import (
    Call,
    error,
    invalid_input,
    json_body,
    json_response,
    list_param,
    not_found,
    rfc3339,
    sp_api,
)
from plugins.amazon.sandbox.render import INCLUDED_DATA, PII_DATA, iso
from plugins.amazon.sandbox.seed import Package
from plugins.amazon.sandbox.state import Confirmation, SandboxState, StoredOrder

FULFILLMENT_STATUSES = frozenset(
    {
        "PENDING_AVAILABILITY",
        "PENDING",
        "UNSHIPPED",
        "PARTIALLY_SHIPPED",
        "SHIPPED",
        "CANCELLED",
        "UNFULFILLABLE",
    }
)
FULFILLED_BY = frozenset({"MERCHANT", "AMAZON"})
SETTLE = timedelta(minutes=2)
"""``createdBefore``/``lastUpdatedBefore`` must be at least two minutes before the request (and
default to that), so the newest orders appear only once settled — on the scaled clock."""


def _parse_time(request: Request, name: str) -> datetime | Response | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    moment = rfc3339(raw)
    if moment is None:
        return invalid_input(f"Invalid {name}: {raw!r} is not an RFC 3339 date-time with an offset.")
    return moment


def _included(request: Request) -> frozenset[str] | Response:
    included = frozenset(list_param(request, "includedData"))
    unknown = sorted(included - INCLUDED_DATA)
    if unknown:
        return invalid_input(f"Invalid includedData value(s): {', '.join(unknown)}.")
    return included


def _views(call: Call, path: str, included: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The datasets shown for orders where PII is allowed, and for orders where it is not."""
    without_pii = included - PII_DATA
    return (included if call.has_restricted_access(path) else without_pii), without_pii


def _order_json(
    order: StoredOrder, views: tuple[frozenset[str], frozenset[str]], refused: frozenset[str]
) -> str:
    pii_ok = order.spec.marketplace.marketplace_id not in refused
    return order.rendered.json(views[0] if pii_ok else views[1])


def _binding(kind: str | None, after: float | None, request: Request) -> dict[str, Any]:
    """What a paginationToken is bound to: every filter but the window's end (which defaults
    on the first page and comes back in the response), ``maxResultsPerPage`` and
    ``includedData`` (which the model lets change between pages)."""
    lists = {
        name: sorted(list_param(request, name))
        for name in ("fulfillmentStatuses", "fulfilledBy", "marketplaceIds")
    }
    return {"i": kind, "a": after, **lists}


def _follow_up(request: Request, token: str, time_scale: float) -> dict[str, Any] | Response:
    """The saved query of a later page, if ``token`` is genuine and the request repeats its filters."""
    times = {}
    for name in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"):
        parsed = _parse_time(request, name)
        if isinstance(parsed, Response):
            return parsed
        times[name] = parsed
    prefix = "created" if times["createdAfter"] else "lastUpdated" if times["lastUpdatedAfter"] else None
    after = times[f"{prefix}After"] if prefix else None
    kind = {"created": "c", "lastUpdated": "u"}.get(prefix or "")
    binding = _binding(kind, after.timestamp() if after else None, request)
    try:
        query = pagination.decode(token, binding, time_scale)
    except pagination.TokenError as exc:
        return invalid_input(str(exc))
    before = times.get(f"{prefix}Before") if prefix else None
    if before is not None and abs(before.timestamp() - query["b"]) >= 1:
        return invalid_input(pagination.MISMATCH)
    return query


def _new_query(request: Request, call: Call) -> dict[str, Any] | Response:
    """The filters of a first-page request, validated as the model's descriptions say."""
    times = {}
    for name in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"):
        parsed = _parse_time(request, name)
        if isinstance(parsed, Response):
            return parsed
        times[name] = parsed
    by_created = times["createdAfter"] is not None
    by_updated = times["lastUpdatedAfter"] is not None
    if by_created == by_updated:
        return invalid_input("Exactly one of createdAfter and lastUpdatedAfter must be provided.")
    if (by_created and (times["lastUpdatedBefore"] is not None)) or (
        by_updated and times["createdBefore"] is not None
    ):
        return invalid_input(
            "createdAfter/createdBefore cannot be combined with lastUpdatedAfter/lastUpdatedBefore."
        )
    prefix = "created" if by_created else "lastUpdated"
    after: datetime = times[f"{prefix}After"]  # type: ignore[assignment]
    latest = datetime.now(UTC) - SETTLE / call.state.config.time_scale
    before = times[f"{prefix}Before"]
    if before is None:
        before = latest
    elif before < after:
        return invalid_input(f"{prefix}Before must be equal to or after {prefix}After.")
    elif before > latest:
        return invalid_input(f"{prefix}Before must be at least two minutes before the time of the request.")
    if after > latest:
        return invalid_input(f"{prefix}After must be at least two minutes before the time of the request.")
    statuses = list_param(request, "fulfillmentStatuses")
    fulfilled_by = list_param(request, "fulfilledBy")
    marketplaces = list_param(request, "marketplaceIds")
    for name, values, allowed in (
        ("fulfillmentStatuses", statuses, FULFILLMENT_STATUSES),
        ("fulfilledBy", fulfilled_by, FULFILLED_BY),
    ):
        unknown = sorted(set(values) - allowed)
        if unknown:
            return invalid_input(f"Invalid {name} value(s): {', '.join(unknown)}.")
    if len(marketplaces) > 50:
        return invalid_input("marketplaceIds accepts at most 50 values.")
    return {
        "i": "c" if by_created else "u",
        "a": after.timestamp(),
        "b": before.timestamp(),
        "s": statuses,
        "f": fulfilled_by,
        "m": marketplaces,
        "p": None,
    }


@sp_api("orders.searchOrders")
async def search_orders(request: Request, call: Call) -> Response:
    included = _included(request)
    if isinstance(included, Response):
        return included
    raw_size = request.query_params.get("maxResultsPerPage", "100")
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
        return invalid_input(f"Invalid maxResultsPerPage: {raw_size!r}; it must be between 1 and 100.")
    size = int(raw_size)
    pagination_token = request.query_params.get("paginationToken")
    if pagination_token:
        resumed = _follow_up(request, pagination_token, call.state.config.time_scale)
        if isinstance(resumed, Response):
            return resumed
        query = resumed
    else:
        fresh = _new_query(request, call)
        if isinstance(fresh, Response):
            return fresh
        query = fresh
    store = call.state.orders
    start = (query["a"], "") if query["p"] is None else tuple(query["p"])
    statuses, fulfilled_by, marketplaces = set(query["s"]), set(query["f"]), set(query["m"])
    views = _views(call, request.url.path, included)
    refused = call.state.config.rdt_refused_marketplaces
    page: list[str] = []
    last: tuple[float, str] | None = None
    more = False
    by = "created" if query["i"] == "c" else "updated"
    for order in store.scan(by, start, query["p"] is None, query["b"], marketplaces):
        spec = order.spec
        if (
            (statuses and spec.status not in statuses)
            or (fulfilled_by and spec.fulfilled_by not in fulfilled_by)
            or (marketplaces and spec.marketplace.marketplace_id not in marketplaces)
        ):
            continue
        if len(page) == size:
            more = True
            break
        page.append(_order_json(order, views, refused))
        last = ((spec.created if query["i"] == "c" else spec.last_updated).timestamp(), spec.order_id)
    bound = iso(datetime.fromtimestamp(query["b"], UTC))
    tail = f',"createdBefore":"{bound}"' if query["i"] == "c" else f',"lastUpdatedBefore":"{bound}"'
    if more:
        token = pagination.encode({**query, "p": last}, _binding(query["i"], query["a"], request))
        tail += ',"pagination":{"nextToken":' + json.dumps(token) + "}"
    return Response('{"orders":[' + ",".join(page) + "]" + tail + "}", media_type="application/json")


@sp_api("orders.getOrder")
async def get_order(request: Request, call: Call) -> Response:
    included = _included(request)
    if isinstance(included, Response):
        return included
    order = call.state.orders.by_id.get(request.path_params["orderId"])
    if order is None:
        return not_found(f"Order {request.path_params['orderId']} was not found.")
    body = _order_json(
        order, _views(call, request.url.path, included), call.state.config.rdt_refused_marketplaces
    )
    return Response('{"order":' + body + "}", media_type="application/json")


def _confirm_error(status: int, code: str, message: str) -> Response:
    """Orders v0 wraps its error list in ``ConfirmShipmentErrorResponse`` (same JSON shape)."""
    return error(status, code, message)


def _validate_confirmation(body: dict[str, Any], order: StoredOrder) -> str | None:
    """What is wrong with a ConfirmShipmentRequest for ``order``, or None."""
    if body.get("marketplaceId") != order.spec.marketplace.marketplace_id:
        return f"marketplaceId must be the order's marketplace {order.spec.marketplace.marketplace_id}."
    detail = body.get("packageDetail")
    if not isinstance(detail, dict):
        return "packageDetail is required."
    for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate"):
        if not isinstance(detail.get(name), str) or not detail[name]:
            return f"packageDetail.{name} is required."
    if rfc3339(detail["shipDate"]) is None:
        return "packageDetail.shipDate is not an RFC 3339 date-time with an offset."
    items = detail.get("orderItems")
    if not isinstance(items, list) or not items:
        return "packageDetail.orderItems must list the shipped items."
    known = {line.order_item_id for line in order.spec.lines}
    for n, item in enumerate(items):
        if not isinstance(item, dict) or item.get("orderItemId") not in known:
            return f"packageDetail.orderItems[{n}].orderItemId is not an item of this order."
        if not isinstance(item.get("quantity"), int) or item["quantity"] < 1:
            return f"packageDetail.orderItems[{n}].quantity must be a positive integer."
    return None


@sp_api("ordersV0.confirmShipment")
async def confirm_shipment(request: Request, call: Call) -> Response:
    """Record the call (every one, duplicates too), then mark the shipped quantities."""
    order_id = request.path_params["orderId"]
    body = await json_body(request)
    state = call.state
    with state.lock:
        state.confirmations.append(
            Confirmation(order_id, body if isinstance(body, dict) else None, iso(datetime.now(UTC)))
        )
        if isinstance(body, Response):
            return body
        order = state.orders.by_id.get(order_id)
        if order is None:  # 404, as getOrder and getOrderItems answer (the model declares it)
            return _confirm_error(404, "NotFound", f"Order {order_id} was not found.")
        if order.spec.fulfilled_by != "MERCHANT":
            return _confirm_error(400, "InvalidInput", f"Order {order_id} is fulfilled by Amazon.")
        if order.spec.status not in ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"):
            return _confirm_error(
                400, "InvalidInput", f"Order {order_id} is {order.spec.status}; it cannot be shipped."
            )
        problem = _validate_confirmation(body, order)
        if problem:
            return _confirm_error(400, "InvalidInput", problem)
        _apply_shipment(state, order, body["packageDetail"])
    return Response(status_code=204)


def _apply_shipment(state: SandboxState, order: StoredOrder, detail: dict[str, Any]) -> None:
    spec = order.spec
    previous = spec.last_updated
    shipped = {item["orderItemId"]: item["quantity"] for item in detail["orderItems"]}
    ship_time = rfc3339(detail["shipDate"])
    assert ship_time is not None, "validated by _validate_confirmation"
    for line in spec.lines:
        if line.order_item_id in shipped:
            line.quantity_shipped = min(line.quantity, line.quantity_shipped + shipped[line.order_item_id])
    spec.packages = [p for p in spec.packages if p.reference_id != detail["packageReferenceId"]]
    spec.packages.append(
        Package(
            reference_id=detail["packageReferenceId"],
            carrier=detail.get("carrierName") or detail["carrierCode"],
            tracking_number=detail["trackingNumber"],
            ship_time=ship_time,
            shipping_service=detail.get("shippingMethod") or "Standard",
            items=list(shipped.items()),
        )
    )
    done = all(line.quantity_shipped >= line.quantity for line in spec.lines)
    spec.status = "SHIPPED" if done else "PARTIALLY_SHIPPED"
    spec.last_updated = max(datetime.now(UTC), previous + timedelta(seconds=1))
    state.orders.updated(spec, previous)


@sp_api("ordersV0.getOrderItems")
async def get_order_items(request: Request, call: Call) -> Response:
    if "NextToken" in request.query_params:  # the sandbox never pages items: any token is junk
        return invalid_input("Invalid NextToken.")
    order = call.state.orders.by_id.get(request.path_params["orderId"])
    if order is None:
        return not_found(f"Order {request.path_params['orderId']} was not found.")
    spec = order.spec
    cur = spec.marketplace.currency
    market = spec.marketplace

    def money(amount: Decimal) -> dict[str, str]:
        return {"CurrencyCode": cur, "Amount": str(money_amount(amount, cur))}

    items = []
    for n, line in enumerate(spec.lines):
        price = order_money.line_total(spec, line)
        ship = order_money.line_shipping(spec, n)
        item: dict[str, Any] = {
            "ASIN": line.asin,
            "SellerSKU": line.sku,
            "OrderItemId": line.order_item_id,
            "Title": line.title,
            "QuantityOrdered": line.quantity,
            "QuantityShipped": line.quantity_shipped,
            "ItemPrice": money(price),
            "ItemTax": money(order_money.included_tax(market, price)),
            "ShippingPrice": money(ship),
            "ShippingTax": money(order_money.included_tax(market, ship)),
            "ShippingDiscount": money(Decimal(0)),
            "PromotionDiscount": money(Decimal(0)),
            "PromotionDiscountTax": money(Decimal(0)),
            "PromotionIds": order_money.promotion_ids(spec),
            "IsGift": "true" if line.gift_wrap_level else "false",
        }
        points = order_money.points(spec, line)
        if points is not None:
            item["PointsGranted"] = {"PointsNumber": points, "PointsMonetaryValue": money(Decimal(points))}
        if line.custom_url:
            item["BuyerInfo"] = {"BuyerCustomizedInfo": {"CustomizedURL": line.custom_url}}
        items.append(item)
    return json_response({"payload": {"AmazonOrderId": spec.order_id, "OrderItems": items}})
