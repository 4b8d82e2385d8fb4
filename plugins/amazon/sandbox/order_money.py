"""The money of an order's parts, one source for Orders 2026-01-01 and Orders v0 so both APIs
tell the same amounts: shipping per item, the VAT inside a price, Amazon Points, promotions.

Amounts are rounded to the currency's minor unit part by part, so every total is the sum
of its parts to the cent.
"""

from __future__ import annotations

from decimal import Decimal

from plugins.amazon.sandbox.catalog import SandboxMarketplace, money_amount
from plugins.amazon.sandbox.seed import Line, OrderSpec

VAT_RATES = {
    "GB": Decimal(20),
    "DE": Decimal(19),
    "FR": Decimal(20),
    "IT": Decimal(22),
    "ES": Decimal(21),
    "NL": Decimal(21),
    "TR": Decimal(20),
    "JP": Decimal(10),
}
"""Standard VAT/GST rates, included in the marketplace's prices (US and CA prices exclude
sales tax, which Amazon collects as marketplace facilitator)."""
FREE_SHIPPING_PROMOTION = "FREE_SHIPPING"
POINTS_PER_HUNDRED_YEN = 1
"""Amazon.co.jp grants 1 % of the price as Amazon Points (1 point = 1 yen)."""


def shipping(spec: OrderSpec) -> Decimal:
    return money_amount(spec.shipping_charge, spec.marketplace.currency)


def line_total(spec: OrderSpec, line: Line) -> Decimal:
    return money_amount(line.unit_price * line.quantity, spec.marketplace.currency)


def line_shipping(spec: OrderSpec, index: int) -> Decimal:
    """The order's shipping charge, all on its first item (so the items add up to it)."""
    return shipping(spec) if index == 0 else money_amount(Decimal(0), spec.marketplace.currency)


def included_tax(marketplace: SandboxMarketplace, gross: Decimal) -> Decimal:
    """The VAT inside a tax-inclusive ``gross`` amount (zero where prices exclude tax)."""
    rate = VAT_RATES.get(marketplace.country_code)
    if rate is None:
        return money_amount(Decimal(0), marketplace.currency)
    return money_amount(gross * rate / (100 + rate), marketplace.currency)


def promotion_ids(spec: OrderSpec) -> list[str]:
    """The promotions on each item: free shipping when the order ships free."""
    return [FREE_SHIPPING_PROMOTION] if shipping(spec) == 0 else []


def points(spec: OrderSpec, line: Line) -> int | None:
    """Amazon Points granted for a line (Amazon.co.jp only)."""
    if spec.marketplace.country_code != "JP":
        return None
    return int(line_total(spec, line) * POINTS_PER_HUNDRED_YEN / 100)
