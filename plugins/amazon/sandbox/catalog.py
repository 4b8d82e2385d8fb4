"""The sandbox's marketplaces and their money rules (a small, self-contained table).

The sandbox must not depend on the client side of the plugin, so it keeps its own list of the
marketplaces it seeds orders in; ids are Amazon's published marketplace ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SandboxMarketplace:
    marketplace_id: str
    country_code: str
    currency: str
    name: str
    domain: str
    fba_channel: str
    order_prefix: str
    fx: Decimal
    """Price multiplier from the sandbox's base prices (in GBP) to this currency."""


MARKETPLACES: tuple[SandboxMarketplace, ...] = (
    SandboxMarketplace(
        "A1F83G8C2ARO7P", "GB", "GBP", "Amazon.co.uk", "amazon.co.uk", "AMAZON_EU", "202", Decimal("1")
    ),
    SandboxMarketplace(
        "A1PA6795UKMFR9", "DE", "EUR", "Amazon.de", "amazon.de", "AMAZON_EU", "302", Decimal("1.17")
    ),
    SandboxMarketplace(
        "A13V1IB3VIYZZH", "FR", "EUR", "Amazon.fr", "amazon.fr", "AMAZON_EU", "403", Decimal("1.17")
    ),
    SandboxMarketplace(
        "APJ6JRA9NG5V4", "IT", "EUR", "Amazon.it", "amazon.it", "AMAZON_EU", "405", Decimal("1.17")
    ),
    SandboxMarketplace(
        "A1RKKUPIHCS9HS", "ES", "EUR", "Amazon.es", "amazon.es", "AMAZON_EU", "406", Decimal("1.17")
    ),
    SandboxMarketplace(
        "A1805IZSGTT6HS", "NL", "EUR", "Amazon.nl", "amazon.nl", "AMAZON_EU", "407", Decimal("1.17")
    ),
    SandboxMarketplace(
        "A33AVAJ2PDY3EV", "TR", "TRY", "Amazon.com.tr", "amazon.com.tr", "AMAZON_EU", "408", Decimal("41")
    ),
    SandboxMarketplace(
        "ATVPDKIKX0DER", "US", "USD", "Amazon.com", "amazon.com", "AMAZON_NA", "111", Decimal("1.27")
    ),
    SandboxMarketplace(
        "A2EUQ1WTGCTBG2", "CA", "CAD", "Amazon.ca", "amazon.ca", "AMAZON_NA", "701", Decimal("1.73")
    ),
    SandboxMarketplace(
        "A1VC38T7YXB528", "JP", "JPY", "Amazon.co.jp", "amazon.co.jp", "AMAZON_FE", "503", Decimal("190")
    ),
)
BY_ID: dict[str, SandboxMarketplace] = {m.marketplace_id: m for m in MARKETPLACES}

# How often an order lands in each marketplace (UK-based seller selling pan-EU and beyond).
MARKETPLACE_WEIGHTS: tuple[int, ...] = (34, 20, 10, 7, 7, 4, 3, 10, 3, 2)

ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})


def money_amount(value: Decimal, currency: str) -> Decimal:
    """Round ``value`` to the currency's minor unit (whole yen, cents elsewhere)."""
    exponent = Decimal("1") if currency in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return value.quantize(exponent)


def price_in(base_gbp: Decimal, marketplace: SandboxMarketplace) -> Decimal:
    """A listing's price in ``marketplace``: the GBP base converted, ending in .99 like shops do."""
    converted = base_gbp * marketplace.fx
    if marketplace.currency in ZERO_DECIMAL_CURRENCIES:
        return (converted / 10).quantize(Decimal("1")) * 10
    return converted.quantize(Decimal("1")) - Decimal("0.01")


def money(value: Decimal, currency: str) -> dict[str, str]:
    """Amazon's Money object: the amount as a decimal string, with its currency."""
    return {"amount": str(money_amount(value, currency)), "currencyCode": currency}
