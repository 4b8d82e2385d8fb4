"""Orders 2026-01-01 JSON for an :class:`OrderSpec`, pre-serialised in fragments.

searchOrders must serve 100-order pages cheaply, so each order is rendered once (and again
only when it changes) into JSON fragments: the always-present core, and one fragment per
``includedData`` dataset at order and at item level. A page is then string joins, with no
per-request dict building or ``json.dumps``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from plugins.amazon.sandbox.catalog import money
from plugins.amazon.sandbox.seed import OrderSpec

INCLUDED_DATA = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)
PII_DATA = frozenset({"BUYER", "RECIPIENT"})


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, second precision, as Amazon writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fragment(values: dict[str, Any]) -> str:
    """``{"a":1,"b":2}`` without its braces, to be joined with other fragments."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))[1:-1]


@dataclass(frozen=True, slots=True)
class RenderedOrder:
    """An order's JSON fragments; ``json(included)`` assembles one Order object."""

    core: str
    sections: dict[str, str]
    items: tuple[tuple[str, dict[str, str]], ...]

    def json(self, included: frozenset[str]) -> str:
        parts = [self.core]
        parts.extend(frag for name, frag in self.sections.items() if name in included)
        items = ",".join(
            "{" + ",".join([core, *(f for name, f in sections.items() if name in included)]) + "}"
            for core, sections in self.items
        )
        parts.append('"orderItems":[' + items + "]")
        return "{" + ",".join(parts) + "}"

    def as_dict(self, included: frozenset[str] = INCLUDED_DATA) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.json(included))
        return result


def render(spec: OrderSpec) -> RenderedOrder:
    """Render ``spec`` into fragments that validate against the model's ``Order``."""
    cur = spec.marketplace.currency
    mkt = spec.marketplace
    core: dict[str, Any] = {
        "orderId": spec.order_id,
        "createdTime": iso(spec.created),
        "lastUpdatedTime": iso(spec.last_updated),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": mkt.marketplace_id,
            "marketplaceName": mkt.name,
        },
    }
    if spec.seller_order_id:
        core["orderAliases"] = [{"aliasId": spec.seller_order_id, "aliasType": "SELLER_ORDER_ID"}]
    if spec.programs:
        core["programs"] = list(spec.programs)
    item_total = sum((line.unit_price * line.quantity for line in spec.lines), Decimal(0))
    gift_total = Decimal(0)
    items = []
    for line in spec.lines:
        product: dict[str, Any] = {
            "asin": line.asin,
            "title": line.title,
            "sellerSku": line.sku,
            "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
            "price": {"unitPrice": money(line.unit_price, cur)},
        }
        if line.custom_url:
            product["customization"] = {"customizedUrl": line.custom_url}
        item_core = {"orderItemId": line.order_item_id, "quantityOrdered": line.quantity, "product": product}
        subtotal = line.unit_price * line.quantity
        item_sections = {
            "PROCEEDS": {
                "proceeds": {
                    "proceedsTotal": money(subtotal, cur),
                    "breakdowns": [{"type": "ITEM", "subtotal": money(subtotal, cur)}],
                }
            },
            "TAX": {
                "tax": {
                    "taxCollections": [
                        {"model": "MarketplaceFacilitator", "responsibleParty": "Amazon Services, Inc."}
                    ]
                }
            }
            if mkt.country_code == "US"
            else {},
        }
        fulfillment: dict[str, Any] = {
            "quantityFulfilled": line.quantity_shipped,
            "quantityUnfulfilled": 0 if line.cancel_reason else line.quantity - line.quantity_shipped,
        }
        if line.gift_wrap_level:
            gift: dict[str, str] = {"giftWrapLevel": line.gift_wrap_level}
            if line.gift_message:
                gift["giftMessage"] = line.gift_message
            fulfillment["packing"] = {"giftOption": gift}
            gift_total += Decimal("2.99") * spec.marketplace.fx
        item_sections["FULFILLMENT"] = {"fulfillment": fulfillment}
        if line.cancel_reason:
            item_sections["CANCELLATION"] = {
                "cancellation": {
                    "cancellationExecution": {
                        "cancelledBy": "SELLER" if line.cancel_reason == "NO_INVENTORY" else "BUYER",
                        "cancelReason": line.cancel_reason,
                    }
                }
            }
        items.append((_fragment(item_core), {k: _fragment(v) for k, v in item_sections.items() if v}))
    grand_total = item_total + spec.shipping_charge + gift_total
    breakdowns = [
        {"type": "ITEM", "subtotal": money(item_total, cur)},
        {"type": "SHIPPING", "subtotal": money(spec.shipping_charge, cur)},
    ]
    if gift_total:
        breakdowns.append({"type": "GIFT_WRAP", "subtotal": money(gift_total, cur)})
    order_fulfillment: dict[str, Any] = {
        "fulfillmentStatus": spec.status,
        "fulfilledBy": spec.fulfilled_by,
        "fulfillmentServiceLevel": spec.service_level,
        "shipByWindow": {"earliestDateTime": iso(spec.ship_by[0]), "latestDateTime": iso(spec.ship_by[1])},
        "deliverByWindow": {
            "earliestDateTime": iso(spec.deliver_by[0]),
            "latestDateTime": iso(spec.deliver_by[1]),
        },
    }
    sections: dict[str, dict[str, Any]] = {
        "FULFILLMENT": {"fulfillment": order_fulfillment},
        "PROCEEDS": {"proceeds": {"grandTotal": money(grand_total, cur), "breakdowns": breakdowns}},
        "PAYMENT": {
            "payment": {
                "paymentExecutions": [
                    {"paymentMethod": spec.payment_method, "paymentAmount": money(grand_total, cur)}
                ]
            }
        }
        if spec.status != "CANCELLED"
        else {},
    }
    if spec.buyer_name:
        sections["BUYER"] = {"buyer": {"buyerName": spec.buyer_name, "buyerEmail": spec.buyer_email}}
    if spec.address:
        sections["RECIPIENT"] = {"recipient": {"deliveryAddress": dict(spec.address)}}
    if spec.packages:
        sections["PACKAGES"] = {
            "packages": [
                {
                    "packageReferenceId": p.reference_id,
                    "createdTime": iso(p.ship_time),
                    "packageStatus": {"status": p.status},
                    "carrier": p.carrier,
                    "shipTime": iso(p.ship_time),
                    "shippingService": p.shipping_service,
                    "trackingNumber": p.tracking_number,
                    "packageItems": [{"orderItemId": oid, "quantity": qty} for oid, qty in p.items],
                }
                for p in spec.packages
            ]
        }
    return RenderedOrder(
        core=_fragment(core),
        sections={k: _fragment(v) for k, v in sections.items() if v},
        items=tuple(items),
    )
