"""SP-API payloads into core's DTOs: pure functions, no I/O, each rule from DESIGN.md.

- Orders come from searchOrders (Orders API 2026-01-01) with items inline; the fulfilment
  channel is ``fulfillment.fulfilledBy`` (AMAZON = FBA, MERCHANT = MFN), the ship-by date
  is the latest end of ``shipByWindow``, and money stays in the marketplace's currency.
- Amazon Custom items are flagged, but the customisation URL is not imported.
- An order without ``buyer``/``recipient`` (no Restricted Data Token or no approved role)
  still imports, with its buyer fields empty.

A payload that breaks these expectations raises :class:`core.errors.InputError` naming the
field (never quoting the value: reasons are shown and logged); the connector turns that into
a :class:`core.dto.RecordFailure` with the raw order, which core quarantines.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.api import (
    Address,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    Fulfilment,
    FulfilmentUpdate,
    InputError,
    InventoryLevel,
    Money,
)

_STATUS = {
    "PENDING_AVAILABILITY": ChannelOrderStatus.PENDING,
    "PENDING": ChannelOrderStatus.PENDING,
    "UNSHIPPED": ChannelOrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": ChannelOrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": ChannelOrderStatus.SHIPPED,
    "CANCELLED": ChannelOrderStatus.CANCELLED,
    "UNFULFILLABLE": ChannelOrderStatus.UNFULFILLABLE,
}

Json = Mapping[str, Any]


def timestamp(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise InputError(field, "is missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field, "is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise InputError(field, "has no time zone")
    return parsed


def money(value: Any, field: str) -> Money:
    if not isinstance(value, Mapping):
        raise InputError(field, "is missing")
    try:
        return Money(Decimal(str(value["amount"])), str(value["currencyCode"]))
    except (KeyError, InvalidOperation):
        raise InputError(field, "is not an amount with a currency") from None


def _optional_money(value: Any, field: str) -> Money | None:
    return None if value is None else money(value, field)


def _address(recipient: Json | None) -> Address | None:
    address = (recipient or {}).get("deliveryAddress")
    if not address:
        return None
    return Address(
        name=address.get("name"),
        line1=address.get("addressLine1"),
        line2=address.get("addressLine2"),
        line3=address.get("addressLine3"),
        city=address.get("city"),
        state=address.get("stateOrRegion"),
        postal_code=address.get("postalCode"),
        country_code=address.get("countryCode"),
        phone=address.get("phone"),
    )


def _item(raw: Json, index: int, currency: str) -> ChannelOrderItem:
    where = f"orderItems[{index}]"
    product = raw.get("product") or {}
    sku = product.get("sellerSku")
    if not sku:
        raise InputError(f"{where}.product.sellerSku", "is missing")
    quantity = raw.get("quantityOrdered")
    if not isinstance(quantity, int) or quantity <= 0:
        raise InputError(f"{where}.quantityOrdered", "must be a positive integer")
    unit = (product.get("price") or {}).get("unitPrice")
    # Pending orders carry no prices yet; they are updated when the order becomes payable.
    unit_price = money(unit, f"{where}.product.price.unitPrice") if unit else Money(Decimal(0), currency)
    gift = ((raw.get("fulfillment") or {}).get("packing") or {}).get("giftOption") or {}
    return ChannelOrderItem(
        channel_item_id=str(raw.get("orderItemId") or f"{index}"),
        sku=sku,
        quantity=quantity,
        unit_price=unit_price,
        title=product.get("title"),
        asin=product.get("asin"),
        is_custom=bool(product.get("customization")),
        gift_message=gift.get("giftMessage"),
    )


def to_channel_order(raw: Json, currency: str) -> ChannelOrder:
    """One searchOrders ``Order`` as a :class:`ChannelOrder` in ``currency`` (the marketplace's)."""
    order_id = raw.get("orderId")
    if not order_id:
        raise InputError("orderId", "is missing")
    fulfillment = raw.get("fulfillment") or {}
    status = _STATUS.get(fulfillment.get("fulfillmentStatus", ""))
    if status is None:
        raise InputError("fulfillment.fulfillmentStatus", "is missing or not a known status")
    fulfilled_by = fulfillment.get("fulfilledBy")
    if fulfilled_by not in ("AMAZON", "MERCHANT"):
        raise InputError("fulfillment.fulfilledBy", "must be AMAZON or MERCHANT")
    proceeds = raw.get("proceeds") or {}
    total = _optional_money(proceeds.get("grandTotal"), "proceeds.grandTotal")
    order_currency = total.currency if total else currency
    shipping = next(
        (b.get("subtotal") for b in proceeds.get("breakdowns") or () if b.get("type") == "SHIPPING"), None
    )
    raw_items = raw.get("orderItems") or []
    items = tuple(_item(item, n, order_currency) for n, item in enumerate(raw_items))
    latest_ship = (fulfillment.get("shipByWindow") or {}).get("latestDateTime")
    buyer = raw.get("buyer") or {}
    address = _address(raw.get("recipient"))
    return ChannelOrder(
        channel_order_id=order_id,
        status=status,
        fulfilment=Fulfilment.FBA if fulfilled_by == "AMAZON" else Fulfilment.MFN,
        purchase_date=timestamp(raw.get("createdTime"), "createdTime"),
        currency=order_currency,
        items=items,
        last_updated=timestamp(raw.get("lastUpdatedTime"), "lastUpdatedTime"),
        ship_by=timestamp(latest_ship, "fulfillment.shipByWindow.latestDateTime") if latest_ship else None,
        total=total,
        shipping_total=_optional_money(shipping, "proceeds.breakdowns[SHIPPING].subtotal"),
        marketplace_id=(raw.get("salesChannel") or {}).get("marketplaceId"),
        buyer_name=buyer.get("buyerName"),
        buyer_email=buyer.get("buyerEmail"),
        shipping_address=address,
        buyer_data_available=bool(buyer) or (address is not None and address.line1 is not None),
        is_gift=any(item.gift_message for item in items)
        or any(((i.get("fulfillment") or {}).get("packing") or {}).get("giftOption") for i in raw_items),
        channel_status=fulfillment.get("fulfillmentStatus"),
    )


def to_channel_product(row: Mapping[str, str], currency: str) -> ChannelProduct:
    """One row of the merchant listings report (GET_MERCHANT_LISTINGS_ALL_DATA)."""
    sku = (row.get("seller-sku") or "").strip()
    if not sku:
        raise InputError("seller-sku", "is empty")
    price_text = (row.get("price") or "").strip()
    quantity_text = (row.get("quantity") or "").strip()
    try:
        price = Money(Decimal(price_text), currency) if price_text else None
    except InvalidOperation:
        raise InputError("price", f"{price_text!r} is not a number (sku {sku})") from None
    if quantity_text and not quantity_text.isdigit():
        raise InputError("quantity", f"{quantity_text!r} is not a whole number (sku {sku})")
    channel = (row.get("fulfillment-channel") or "DEFAULT").upper()
    return ChannelProduct(
        sku=sku,
        fulfilment=Fulfilment.MFN if channel in ("DEFAULT", "MERCHANT", "MFN") else Fulfilment.FBA,
        title=row.get("item-name") or None,
        asin=row.get("asin1") or None,
        price=price,
        quantity=int(quantity_text) if quantity_text else None,
    )


def to_inventory_level(summary: Json) -> InventoryLevel:
    """One FBA ``InventorySummary``: fulfillable units are what Amazon can sell now."""
    sku = summary.get("sellerSku")
    if not sku:
        raise InputError("sellerSku", "is missing")
    details = summary.get("inventoryDetails") or {}
    quantity = details.get("fulfillableQuantity", summary.get("totalQuantity")) or 0
    return InventoryLevel(
        sku=sku, quantity=int(quantity), fulfilment=Fulfilment.FBA, asin=summary.get("asin")
    )


def to_fulfilment_update(order: Json, shipments: list[Json] | None = None) -> FulfilmentUpdate:
    """An MCF ``FulfillmentOrder`` (with its shipments when fetched) as tracking news."""
    fid = order.get("sellerFulfillmentOrderId")
    if not fid:
        raise InputError("sellerFulfillmentOrderId", "is missing")
    packages = [p for s in shipments or [] for p in s.get("fulfillmentShipmentPackage") or []]
    shipped = [str(s["shippingDate"]) for s in shipments or [] if s.get("shippingDate")]
    delivered = [str(p["estimatedArrivalDate"]) for p in packages if p.get("estimatedArrivalDate")]
    status = str(order.get("fulfillmentOrderStatus", "UNKNOWN"))
    return FulfilmentUpdate(
        fulfilment_order_id=fid,
        status=status,
        carrier=next((p.get("carrierCode") for p in packages if p.get("carrierCode")), None),
        tracking_numbers=tuple(p["trackingNumber"] for p in packages if p.get("trackingNumber")),
        shipped_at=timestamp(min(shipped), "shippingDate") if shipped else None,
        delivered_at=timestamp(max(delivered), "estimatedArrivalDate")
        if delivered and status == "COMPLETE"
        else None,
    )
