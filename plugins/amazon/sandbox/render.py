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
from functools import cache
from typing import Any

from plugins.amazon.sandbox import order_money
from plugins.amazon.sandbox.catalog import SandboxMarketplace, money_amount
from plugins.amazon.sandbox.seed import Line, OrderSpec

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
GIFT_WRAP_GBP = Decimal("2.99")


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, second precision, as Amazon writes times."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


_quote = json.encoder.encode_basestring
"""A str as a JSON string literal (C-accelerated), for free text inside hand-built fragments."""


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


def _money(value: Decimal, currency: str) -> str:
    return f'{{"amount":"{money_amount(value, currency)}","currencyCode":"{currency}"}}'


@cache
def _sales_channel(marketplace: SandboxMarketplace) -> str:
    return _encode(
        {
            "channelName": "AMAZON",
            "marketplaceId": marketplace.marketplace_id,
            "marketplaceName": marketplace.name,
        }
    )


_US_ITEM_TAX = '"tax":' + _encode(
    {"taxCollections": [{"model": "MARKETPLACE_FACILITATOR", "responsibleParty": "Amazon Services, Inc."}]}
)
_EU_ITEM_TAX = '"tax":{"taxCalculationBreakdowns":[{"reportingScheme":"UOSS"}]}'
_EU = frozenset({"DE", "FR", "IT", "ES", "NL"})
_MARKETPLACE_VAT = {
    "GB": ("Amazon EU S.a r.l., UK Branch", "GB727255821"),
    "DE": ("Amazon EU S.a r.l.", "DE814584193"),
    "FR": ("Amazon EU S.a r.l.", "FR12487773327"),
    "IT": ("Amazon EU S.a r.l.", "IT08973230967"),
    "ES": ("Amazon EU S.a r.l.", "ESW0184081H"),
    "NL": ("Amazon EU S.a r.l.", "NL824592291B01"),
}
"""Amazon's own VAT registrations, shown as the MARKETPLACE entity where it is deemed supplier."""


@cache
def _order_tax(marketplace: SandboxMarketplace) -> str:
    """The order-level ``tax`` dataset: Amazon's VAT registration in Europe, the invoice
    preference in Turkey, Amazon as marketplace facilitator elsewhere."""
    country = marketplace.country_code
    if country in _MARKETPLACE_VAT:
        name, number = _MARKETPLACE_VAT[country]
        registration = {
            "entityType": "MARKETPLACE",
            "legalName": name,
            "taxRegistrationType": "VAT",
            "taxRegistrationNumber": number,
        }
        return '"tax":' + _encode({"taxRegistrations": [registration]})
    if country == "TR":
        return '"tax":{"taxInvoicing":{"buyerInvoicePreference":"INDIVIDUAL"}}'
    return '"tax":{"taxRegistrations":[]}'


def _item(spec: OrderSpec, line: Line) -> tuple[str, dict[str, str]]:
    cur = spec.marketplace.currency
    promotions = order_money.promotion_ids(spec)
    points = order_money.points(spec, line)
    custom = f',"customization":{{"customizedUrl":{_quote(line.custom_url)}}}' if line.custom_url else ""
    product = (
        f'{{"asin":"{line.asin}","title":{_quote(line.title)},"sellerSku":{_quote(line.sku)},'
        f'"condition":{{"conditionType":"NEW","conditionSubtype":"NEW"}},'
        f'"price":{{"unitPrice":{_money(line.unit_price, cur)}}}{custom}}}'
    )
    core = f'"orderItemId":"{line.order_item_id}","quantityOrdered":{line.quantity},"product":{product}'
    subtotal = _money(line.unit_price * line.quantity, cur)
    breakdown = f'[{{"type":"ITEM","subtotal":{subtotal}}}]'
    sections = {"PROCEEDS": f'"proceeds":{{"proceedsTotal":{subtotal},"breakdowns":{breakdown}}}'}
    if promotions:
        sections["PROMOTION"] = '"promotion":' + _encode(
            {"breakdowns": [{"promotionId": p} for p in promotions]}
        )
    if points is not None:
        sections["EXPENSE"] = (
            f'"expense":{{"pointsCost":{{"pointsGranted":{{"pointsNumber":{points},'
            f'"pointsMonetaryValue":{_money(Decimal(points), cur)}}}}}}}'
        )
    unfulfilled = 0 if line.cancel_reason else line.quantity - line.quantity_shipped
    packing = ""
    if line.gift_wrap_level:
        message = f',"giftMessage":{_quote(line.gift_message)}' if line.gift_message else ""
        packing = f',"packing":{{"giftOption":{{"giftWrapLevel":{_quote(line.gift_wrap_level)}{message}}}}}'
    sections["FULFILLMENT"] = (
        f'"fulfillment":{{"quantityFulfilled":{line.quantity_shipped},"quantityUnfulfilled":{unfulfilled}{packing}}}'
    )
    if line.cancel_reason:
        by = "SELLER" if line.cancel_reason == "NO_INVENTORY" else "BUYER"
        sections["CANCELLATION"] = (
            f'"cancellation":{{"cancellationExecution":{{"cancelledBy":"{by}","cancelReason":"{line.cancel_reason}"}}}}'
        )
    if spec.marketplace.country_code == "US":
        sections["TAX"] = _US_ITEM_TAX
    elif spec.marketplace.country_code in _EU:
        sections["TAX"] = _EU_ITEM_TAX
    return core, sections


def _window(window: tuple[datetime, datetime]) -> str:
    return f'{{"earliestDateTime":"{iso(window[0])}","latestDateTime":"{iso(window[1])}"}}'


def render(spec: OrderSpec) -> RenderedOrder:
    """Render ``spec`` into fragments that validate against the model's ``Order``.

    Built as strings (free text through :func:`_quote`) because this runs for every seeded
    order: dicts plus ``json`` cost several times more, and 100,000 orders must seed in seconds.
    """
    cur = spec.marketplace.currency
    core = (
        f'"orderId":"{spec.order_id}","createdTime":"{iso(spec.created)}",'
        f'"lastUpdatedTime":"{iso(spec.last_updated)}","salesChannel":{_sales_channel(spec.marketplace)}'
    )
    if spec.seller_order_id:
        core += (
            f',"orderAliases":[{{"aliasId":{_quote(spec.seller_order_id)},"aliasType":"SELLER_ORDER_ID"}}]'
        )
    if spec.programs:
        core += ',"programs":[' + ",".join(f'"{p}"' for p in spec.programs) + "]"
    # Each part rounded to the currency's minor unit before they are added up, so the grand
    # total is the sum of its breakdowns to the cent, as on Amazon.
    item_total = sum((order_money.line_total(spec, line) for line in spec.lines), Decimal(0))
    shipping = order_money.shipping(spec)
    wraps = sum(1 for line in spec.lines if line.gift_wrap_level)
    gift_total = money_amount(GIFT_WRAP_GBP * spec.marketplace.fx, cur) * wraps
    grand_total = _money(item_total + shipping + gift_total, cur)
    breakdowns = (
        f'{{"type":"ITEM","subtotal":{_money(item_total, cur)}}},'
        f'{{"type":"SHIPPING","subtotal":{_money(shipping, cur)}}}'
    )
    if gift_total:
        breakdowns += f',{{"type":"GIFT_WRAP","subtotal":{_money(gift_total, cur)}}}'
    sections = {
        "FULFILLMENT": (
            f'"fulfillment":{{"fulfillmentStatus":"{spec.status}","fulfilledBy":"{spec.fulfilled_by}",'
            f'"fulfillmentServiceLevel":"{spec.service_level}","shipByWindow":{_window(spec.ship_by)},'
            f'"deliverByWindow":{_window(spec.deliver_by)}}}'
        ),
        "PROCEEDS": f'"proceeds":{{"grandTotal":{grand_total},"breakdowns":[{breakdowns}]}}',
        "TAX": _order_tax(spec.marketplace),
    }
    if spec.status != "CANCELLED":
        sections["PAYMENT"] = (
            f'"payment":{{"paymentExecutions":[{{"paymentMethod":"{spec.payment_method}",'
            f'"paymentAmount":{grand_total}}}]}}'
        )
    if spec.buyer_name and spec.buyer_email:
        sections["BUYER"] = (
            f'"buyer":{{"buyerName":{_quote(spec.buyer_name)},"buyerEmail":{_quote(spec.buyer_email)}}}'
        )
    if spec.address:
        sections["RECIPIENT"] = f'"recipient":{{"deliveryAddress":{_encode(spec.address)}}}'
    if spec.packages:
        packages = [
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
        sections["PACKAGES"] = f'"packages":{_encode(packages)}'
    return RenderedOrder(core=core, sections=sections, items=tuple(_item(spec, line) for line in spec.lines))
