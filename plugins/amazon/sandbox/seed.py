"""Deterministic generation of the sandbox's data from a seed.

Every order ``i`` comes from its own ``random.Random`` seeded with (seed, i), so order ``i`` is
the same whether 10 or 100,000 orders are seeded and orders added later through the admin
endpoint are as reproducible as the first ones. Listings come from one generator seeded with
the seed; orders only reference listings, so the two stay consistent.
"""

from __future__ import annotations

import itertools
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from plugins.amazon.sandbox.catalog import (
    MARKETPLACE_WEIGHTS,
    MARKETPLACES,
    SandboxMarketplace,
    price_in,
)

_ADJECTIVES = ("Classic", "Premium", "Compact", "Organic", "Handmade", "Vintage", "Portable", "Deluxe")
_NOUNS = (
    "Tea Towel",
    "Desk Lamp",
    "Phone Case",
    "Water Bottle",
    "Notebook",
    "Scented Candle",
    "Wall Clock",
    "Yoga Mat",
    "Coffee Mug",
    "Backpack",
    "Cutting Board",
    "Throw Pillow",
)
_COLOURS = ("Black", "White", "Sage Green", "Navy", "Terracotta", "Oak", "Grey")
_PRODUCT_TYPES = ("HOME", "KITCHEN", "LUGGAGE", "OFFICE_PRODUCTS", "SPORTING_GOODS")

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GB": (("Oliver", "Amelia", "Harry", "Isla", "George"), ("Smith", "Jones", "Taylor", "Brown", "Evans")),
    "DE": (
        ("Lukas", "Mia", "Leon", "Hannah", "Felix"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber"),
    ),
    "FR": (("Lucas", "Emma", "Hugo", "Chloé", "Louis"), ("Martin", "Bernard", "Dubois", "Thomas", "Robert")),
    "IT": (
        ("Leonardo", "Sofia", "Francesco", "Giulia", "Alessandro"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi"),
    ),
    "ES": (
        ("Hugo", "Lucía", "Martín", "Sofía", "Mateo"),
        ("García", "Fernández", "González", "Rodríguez", "López"),
    ),
    "NL": (
        ("Daan", "Emma", "Sem", "Julia", "Lucas"),
        ("de Jong", "Jansen", "de Vries", "van Dijk", "Bakker"),
    ),
    "TR": (
        ("Yusuf", "Zeynep", "Eymen", "Elif", "Mustafa"),
        (
            "Yılmaz",  # noqa: RUF001 - Turkish name
            "Kaya",
            "Demir",
            "Şahin",
            "Çelik",
        ),
    ),
    "US": (("Liam", "Olivia", "Noah", "Emma", "James"), ("Johnson", "Williams", "Miller", "Davis", "Garcia")),
    "CA": (
        ("Liam", "Charlotte", "Noah", "Olivia", "William"),
        ("Tremblay", "Roy", "Gagnon", "Wilson", "Smith"),
    ),
    "JP": (("Haruto", "Himari", "Sota", "Yui", "Ren"), ("Sato", "Suzuki", "Takahashi", "Tanaka", "Ito")),
}
_CITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "GB": (("London", "Greater London", "SW1A 1AA"), ("Leeds", "West Yorkshire", "LS1 4DY")),
    "DE": (("Berlin", "Berlin", "10115"), ("München", "Bayern", "80331")),
    "FR": (("Paris", "Île-de-France", "75001"), ("Lyon", "Auvergne-Rhône-Alpes", "69001")),
    "IT": (("Roma", "RM", "00184"), ("Milano", "MI", "20121")),
    "ES": (("Madrid", "Madrid", "28013"), ("Sevilla", "Sevilla", "41001")),
    "NL": (("Amsterdam", "Noord-Holland", "1012 JS"), ("Utrecht", "Utrecht", "3511 AA")),
    "TR": (("İstanbul", "İstanbul", "34110"), ("Ankara", "Ankara", "06050")),
    "US": (("Seattle", "WA", "98101"), ("Austin", "TX", "78701")),
    "CA": (("Toronto", "ON", "M5H 2N2"), ("Montréal", "QC", "H2Y 1C6")),
    "JP": (("Shibuya-ku", "Tokyo", "150-0002"), ("Osaka-shi", "Osaka", "530-0001")),
}
_STREETS = ("High Street", "Station Road", "Main Street", "Church Lane", "Park Avenue", "Mill Road")
_GIFT_MESSAGES = (
    "Happy birthday! Love, Sam",
    "Congratulations on the new home!",
    "Merry Christmas x",
    "Thank you for everything.",
    "Happy anniversary ❤",
)
_MFN_STATUSES = ("UNSHIPPED", "SHIPPED", "PENDING", "PARTIALLY_SHIPPED", "CANCELLED", "PENDING_AVAILABILITY")
_MFN_WEIGHTS = (30, 42, 9, 6, 9, 4)
_FBA_STATUSES = ("SHIPPED", "PENDING", "CANCELLED", "UNFULFILLABLE")
_FBA_WEIGHTS = (80, 10, 7, 3)
_SERVICE_LEVELS = ("STANDARD", "STANDARD", "STANDARD", "EXPEDITED", "NEXT_DAY", "FREE_ECONOMY")
CARRIERS = ("Royal Mail", "DPD", "DHL", "UPS", "Hermes")


@dataclass(slots=True)
class Listing:
    """One seller SKU with its offers (price per marketplace) and its stock."""

    sku: str
    asin: str
    fnsku: str
    title: str
    product_type: str
    fulfillment_channel: str
    """``DEFAULT`` (merchant-fulfilled) or an FBA channel such as ``AMAZON_EU``."""
    quantity: int
    base_price_gbp: Decimal
    prices: dict[str, Decimal]
    """Offer price by marketplace id, in that marketplace's currency."""
    open_date: datetime
    updated: datetime
    listing_id: str

    @property
    def is_fba(self) -> bool:
        return self.fulfillment_channel != "DEFAULT"


@dataclass(slots=True)
class Line:
    """One order item as generated; rendered into the model's OrderItem."""

    order_item_id: str
    sku: str
    asin: str
    title: str
    quantity: int
    unit_price: Decimal
    quantity_shipped: int = 0
    custom_url: str | None = None
    gift_message: str | None = None
    gift_wrap_level: str | None = None
    cancel_reason: str | None = None


@dataclass(slots=True)
class Package:
    reference_id: str
    carrier: str
    tracking_number: str
    ship_time: datetime
    shipping_service: str
    items: list[tuple[str, int]]
    status: str = "SHIPPED"


@dataclass(slots=True)
class OrderSpec:
    """Everything the sandbox knows about one order; the JSON is rendered from it."""

    index: int
    order_id: str
    marketplace: SandboxMarketplace
    created: datetime
    last_updated: datetime
    fulfilled_by: str
    status: str
    service_level: str
    programs: list[str]
    lines: list[Line]
    buyer_name: str | None
    buyer_email: str | None
    address: dict[str, str] | None
    ship_by: tuple[datetime, datetime]
    deliver_by: tuple[datetime, datetime]
    payment_method: str
    shipping_charge: Decimal
    seller_order_id: str | None
    packages: list[Package] = field(default_factory=list)

    @property
    def has_buyer_data(self) -> bool:
        return self.buyer_name is not None


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def _weighted(values: tuple[Any, ...], weights: tuple[int, ...]) -> tuple[tuple[Any, ...], list[int]]:
    """Values with cumulative weights, so ``rng.choices`` need not add them up per order."""
    return values, list(itertools.accumulate(weights))


_MARKETPLACE_CHOICE = _weighted(MARKETPLACES, MARKETPLACE_WEIGHTS)
_MFN_CHOICE = _weighted(_MFN_STATUSES, _MFN_WEIGHTS)
_FBA_CHOICE = _weighted(_FBA_STATUSES, _FBA_WEIGHTS)
_LINES_CHOICE = _weighted((1, 2, 3), (70, 22, 8))
_QUANTITY_CHOICE = _weighted((1, 2, 3, 5), (75, 15, 7, 3))


def _pick(rng: random.Random, choice: tuple[tuple[Any, ...], list[int]]) -> Any:
    return rng.choices(choice[0], cum_weights=choice[1])[0]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The listings orders draw from, split once by fulfilment channel."""

    listings: list[Listing]
    mfn: list[Listing]
    fba: list[Listing]

    @classmethod
    def of(cls, listings: list[Listing]) -> Catalogue:
        return cls(
            listings,
            [lst for lst in listings if not lst.is_fba] or listings,
            [lst for lst in listings if lst.is_fba] or listings,
        )


def generate_listings(seed: int, count: int, anchor: datetime) -> list[Listing]:
    """``count`` listings, about a third fulfilled by Amazon, priced in every marketplace."""
    rng = random.Random(f"listings:{seed}")  # noqa: S311 - reproducible test data, not secrets
    listings = []
    for i in range(count):
        noun = _NOUNS[i % len(_NOUNS)]
        colour = rng.choice(_COLOURS)
        fba = rng.random() < 0.35
        base = Decimal(rng.randrange(499, 8999)) / 100
        listings.append(
            Listing(
                sku=f"{'FBA' if fba else 'MFN'}-{noun.upper().replace(' ', '')[:6]}-{i:05d}",
                asin="B0" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=8)),
                fnsku="X00" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=7)),
                title=f"{rng.choice(_ADJECTIVES)} {noun} - {colour}",
                product_type=rng.choice(_PRODUCT_TYPES),
                fulfillment_channel="AMAZON_EU" if fba else "DEFAULT",
                quantity=rng.choice((0, 3, 12, 25, 40, 100, 250)),
                base_price_gbp=base,
                prices={m.marketplace_id: price_in(base, m) for m in MARKETPLACES},
                open_date=(
                    opened := anchor - timedelta(days=rng.randrange(30, 900), seconds=rng.randrange(86400))
                ),
                updated=opened + timedelta(days=rng.randrange(0, 30)),
                listing_id=f"{rng.randrange(10**9):09d}{i % 100:02d}"[:7]
                + "".join(rng.choices(string.ascii_uppercase, k=4)),
            )
        )
    return listings


def generate_order(
    seed: int, index: int, catalogue: Catalogue, created: datetime | None, anchor: datetime
) -> OrderSpec:
    """Order number ``index``: placed at ``created``, or within 30 days before ``anchor``."""
    rng = random.Random(seed * 1_000_003 + index)  # noqa: S311 - reproducible test data
    marketplace: SandboxMarketplace = _pick(rng, _MARKETPLACE_CHOICE)
    if created is None:
        created = anchor - timedelta(seconds=rng.randrange(30 * 86400))
    fba = rng.random() < 0.3
    pool = catalogue.fba if fba else catalogue.mfn
    status = _pick(rng, _FBA_CHOICE if fba else _MFN_CHOICE)
    order_id = f"{marketplace.order_prefix}-{_digits(rng, 7)}-{index:07d}"
    lines = []
    for n in range(_pick(rng, _LINES_CHOICE)):
        listing = rng.choice(pool)
        quantity = _pick(rng, _QUANTITY_CHOICE)
        custom = not fba and rng.random() < 0.06
        gift = rng.random() < 0.08
        lines.append(
            Line(
                order_item_id=f"{_digits(rng, 9)}{index % 100000:05d}{n}"[-14:],
                sku=listing.sku,
                asin=listing.asin,
                title=("Personalised " if custom else "") + listing.title,
                quantity=quantity,
                unit_price=listing.prices[marketplace.marketplace_id],
                custom_url=(
                    f"https://zme-caps.{marketplace.domain}/t/{_digits(rng, 12)}/customization.zip"
                    if custom
                    else None
                ),
                gift_message=rng.choice(_GIFT_MESSAGES) if gift and rng.random() < 0.8 else None,
                gift_wrap_level=rng.choice(("Classic", "Premium")) if gift else None,
            )
        )
    if status == "PARTIALLY_SHIPPED" and sum(line.quantity for line in lines) < 2:
        lines[0].quantity = 2
    programs = []
    if status == "PENDING_AVAILABILITY":
        programs.append("PREORDER")
    if rng.random() < 0.45:
        programs.append("PRIME")
    if rng.random() < 0.05:
        programs.append("AMAZON_BUSINESS")
    handling = timedelta(days=rng.choice((1, 2, 3)))
    ship_by = (created, (created + handling).replace(hour=23, minute=59, second=59, microsecond=0))
    deliver_start = ship_by[1] + timedelta(days=1)
    deliver_by = (deliver_start, deliver_start + timedelta(days=rng.choice((1, 2, 4))))
    # Amazon releases no buyer data before payment clears, and some orders never carry any
    # (e.g. orders placed through non-Amazon channels or with buyer data already purged).
    no_buyer = status in ("PENDING", "PENDING_AVAILABILITY") or rng.random() < 0.04
    first, last = (rng.choice(names) for names in _NAMES[marketplace.country_code])
    city, region, postcode = rng.choice(_CITIES[marketplace.country_code])
    spec = OrderSpec(
        index=index,
        order_id=order_id,
        marketplace=marketplace,
        created=created,
        last_updated=min(created + timedelta(minutes=rng.randrange(1, 3 * 1440)), max(anchor, created)),
        fulfilled_by="AMAZON" if fba else "MERCHANT",
        status=status,
        service_level=rng.choice(_SERVICE_LEVELS),
        programs=programs,
        lines=lines,
        buyer_name=None if no_buyer else f"{first} {last}",
        buyer_email=None if no_buyer else f"{_digits(rng, 12)}@marketplace.{marketplace.domain}",
        address=None
        if no_buyer
        else {
            "name": f"{first} {last}",
            "addressLine1": f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}",
            "city": city,
            "stateOrRegion": region,
            "postalCode": postcode,
            "countryCode": marketplace.country_code,
            "addressType": "RESIDENTIAL",
        },
        ship_by=ship_by,
        deliver_by=deliver_by,
        payment_method=rng.choice(("CREDIT_CARD", "CREDIT_CARD", "GIFT_CARD", "DEBIT_CARD")),
        shipping_charge=Decimal(rng.choice((0, 0, 299, 499))) / 100 * marketplace.fx,
        seller_order_id=f"SO-{index:07d}" if rng.random() < 0.2 else None,
    )
    if status == "CANCELLED":
        for line in lines:
            line.cancel_reason = rng.choice(
                ("BUYER_CANCELED", "NO_INVENTORY", "SHIPPING_ADDRESS_UNDELIVERABLE")
            )
    elif status in ("SHIPPED", "PARTIALLY_SHIPPED"):
        ship_time = created + timedelta(hours=rng.randrange(2, 40))
        shipped = lines if status == "SHIPPED" else [lines[0]]
        for line in shipped:
            line.quantity_shipped = line.quantity if status == "SHIPPED" else line.quantity - 1
        if not fba:
            spec.packages.append(
                Package(
                    reference_id="1",
                    carrier=rng.choice(CARRIERS),
                    tracking_number=_digits(rng, 14),
                    ship_time=ship_time,
                    shipping_service="Standard",
                    items=[(line.order_item_id, line.quantity_shipped) for line in shipped],
                    status=rng.choice(("SHIPPED", "IN_TRANSIT", "DELIVERED")),
                )
            )
        else:  # Amazon ships FBA orders itself, with its own carrier and tracking
            spec.packages.append(
                Package(
                    reference_id="1",
                    carrier="AMZN_" + marketplace.country_code,
                    tracking_number="Q" + _digits(rng, 11),
                    ship_time=ship_time,
                    shipping_service=spec.service_level,
                    items=[(line.order_item_id, line.quantity_shipped) for line in shipped],
                    status=rng.choice(("SHIPPED", "IN_TRANSIT", "DELIVERED")),
                )
            )
    return spec
