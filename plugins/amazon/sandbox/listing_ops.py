"""Changes to listings, shared by patchListingsItem and JSON_LISTINGS_FEED processing: the
price (``purchasable_offer``) and quantity (``fulfillment_availability``) patches channelhub
sends, validated value by value so each problem names its attribute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from plugins.amazon.sandbox.catalog import BY_ID, money
from plugins.amazon.sandbox.render import iso
from plugins.amazon.sandbox.seed import Listing

PRICE = "purchasable_offer"
QUANTITY = "fulfillment_availability"
SUPPORTED_OPS = ("add", "replace", "merge")


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    attribute: str | None = None

    def issue(self) -> dict[str, Any]:
        """As a Listings Items API ``Issue``."""
        issue: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "severity": "ERROR",
            "categories": ["INVALID_ATTRIBUTE" if self.attribute else "INVALID_REQUEST"],
        }
        if self.attribute:
            issue["attributeNames"] = [self.attribute]
        return issue


def _price_changes(listing: Listing, value: Any, marketplaces: list[str]) -> dict[str, Decimal] | Problem:
    if not isinstance(value, list) or not value:
        return Problem("INVALID_VALUE", "purchasable_offer must be a non-empty list.", PRICE)
    changes = {}
    for offer in value:
        if not isinstance(offer, dict):
            return Problem("INVALID_VALUE", "Each purchasable_offer entry must be an object.", PRICE)
        marketplace_id = offer.get("marketplace_id")
        if marketplace_id not in BY_ID or marketplace_id not in marketplaces:
            return Problem(
                "INVALID_VALUE",
                f"purchasable_offer.marketplace_id {marketplace_id!r} is not one of "
                f"the requested marketplaces {marketplaces}.",
                PRICE,
            )
        currency = BY_ID[marketplace_id].currency
        if offer.get("currency", currency) != currency:
            return Problem(
                "INVALID_VALUE", f"purchasable_offer.currency must be {currency} in {marketplace_id}.", PRICE
            )
        try:
            schedule = offer["our_price"][0]["schedule"][0]
            amount = Decimal(str(schedule["value_with_tax"]))
        except (KeyError, IndexError, TypeError, InvalidOperation):
            return Problem(
                "INVALID_VALUE",
                "purchasable_offer.our_price[0].schedule[0].value_with_tax must be a number.",
                PRICE,
            )
        if not amount.is_finite() or amount <= 0:
            return Problem("INVALID_VALUE", f"The price {amount} must be greater than zero.", PRICE)
        changes[marketplace_id] = amount
    return changes


def _quantity_change(listing: Listing, value: Any) -> int | Problem:
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        return Problem("INVALID_VALUE", "fulfillment_availability must be a list of one object.", QUANTITY)
    entry = value[0]
    channel = entry.get("fulfillment_channel_code")
    if channel != "DEFAULT":
        return Problem(
            "INVALID_VALUE",
            f"fulfillment_channel_code {channel!r}: only DEFAULT (merchant) "
            "quantities can be set; Amazon manages FBA stock.",
            QUANTITY,
        )
    if listing.is_fba:
        return Problem(
            "FBA_QUANTITY", f"{listing.sku} is fulfilled by Amazon; its quantity cannot be set.", QUANTITY
        )
    quantity = entry.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        return Problem(
            "INVALID_VALUE",
            f"fulfillment_availability.quantity must be an integer >= 0, got {quantity!r}.",
            QUANTITY,
        )
    return quantity


def apply_patches(
    listing: Listing, patches: Any, marketplaces: list[str], dry_run: bool = False
) -> list[Problem]:
    """Validate every patch, then apply them all (or none, if any is invalid)."""
    if not isinstance(patches, list) or not patches:
        return [Problem("INVALID_REQUEST", "patches must be a non-empty list.")]
    prices: dict[str, Decimal] = {}
    quantity: int | None = None
    problems: list[Problem] = []
    for patch in patches:
        if not isinstance(patch, dict) or patch.get("op") not in SUPPORTED_OPS:
            problems.append(
                Problem(
                    "UNSUPPORTED_OPERATION",
                    f"Unsupported patch {patch!r}; the sandbox supports add, replace and merge.",
                )
            )
            continue
        path = patch.get("path")
        if path == f"/attributes/{PRICE}":
            result: Any = _price_changes(listing, patch.get("value"), marketplaces)
            (problems.append(result) if isinstance(result, Problem) else prices.update(result))
        elif path == f"/attributes/{QUANTITY}":
            result = _quantity_change(listing, patch.get("value"))
            if isinstance(result, Problem):
                problems.append(result)
            else:
                quantity = result
        else:
            problems.append(
                Problem(
                    "UNSUPPORTED_ATTRIBUTE",
                    f"The sandbox applies only {PRICE} and {QUANTITY} patches, not {path!r}.",
                    str(path).rsplit("/", 1)[-1],
                )
            )
    if not problems and not dry_run:
        listing.prices.update(prices)
        if quantity is not None:
            listing.quantity = quantity
        listing.updated = datetime.now(UTC)
    return problems


def item_json(listing: Listing, marketplaces: list[str], included: list[str]) -> dict[str, Any]:
    """The Listings Items API ``Item`` for ``listing`` in ``marketplaces``."""
    item: dict[str, Any] = {"sku": listing.sku}
    status = ["BUYABLE", "DISCOVERABLE"] if listing.is_fba or listing.quantity > 0 else ["DISCOVERABLE"]
    if "summaries" in included:
        item["summaries"] = [
            {
                "marketplaceId": m,
                "asin": listing.asin,
                "productType": listing.product_type,
                "conditionType": "new_new",
                "status": status,
                "fnSku": listing.fnsku,
                "itemName": listing.title,
                "createdDate": iso(listing.open_date),
                "lastUpdatedDate": iso(listing.updated),
            }
            for m in marketplaces
        ]
    if "attributes" in included:
        item["attributes"] = {
            "item_name": [{"value": listing.title, "marketplace_id": m} for m in marketplaces],
            PRICE: [
                {
                    "marketplace_id": m,
                    "currency": BY_ID[m].currency,
                    "audience": "ALL",
                    "our_price": [{"schedule": [{"value_with_tax": float(listing.prices[m])}]}],
                }
                for m in marketplaces
            ],
            QUANTITY: [
                {"fulfillment_channel_code": listing.fulfillment_channel, "quantity": listing.quantity}
            ],
        }
    if "offers" in included:
        item["offers"] = [
            {"marketplaceId": m, "offerType": "B2C", "price": money(listing.prices[m], BY_ID[m].currency)}
            for m in marketplaces
        ]
    if "fulfillmentAvailability" in included:
        item["fulfillmentAvailability"] = [
            {"fulfillmentChannelCode": listing.fulfillment_channel, "quantity": listing.quantity}
        ]
    if "issues" in included:
        item["issues"] = []
    if "productTypes" in included:
        item["productTypes"] = [
            {"marketplaceId": m, "productType": listing.product_type} for m in marketplaces
        ]
    return item
