"""Seeded multi-channel fulfilment (MCF) orders, apart from the HTTP handlers that serve them,
so the sandbox's state can seed them without importing its own web layer."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from plugins.amazon.sandbox.render import iso
from plugins.amazon.sandbox.seed import Listing

_MCF_STATUSES = (
    "Received",
    "Planning",
    "Processing",
    "Complete",
    "Complete",
    "Complete",
    "Cancelled",
    "CompletePartialled",
    "Unfulfillable",
)


def generate_fulfillment_orders(
    seed: int, count: int, listings: list[Listing], anchor: datetime
) -> dict[str, dict[str, Any]]:
    """``count`` multi-channel fulfilment orders (FBA stock shipped for orders from elsewhere),
    each stored as its getFulfillmentOrder payload."""
    rng = random.Random(f"mcf:{seed}")  # noqa: S311 - reproducible test data
    fba = [lst for lst in listings if lst.is_fba] or listings
    orders = {}
    for i in range(count):
        received = anchor - timedelta(seconds=rng.randrange(20 * 86400))
        status = rng.choice(_MCF_STATUSES)
        updated = received + timedelta(hours=rng.randrange(1, 72))
        order_id = f"MCF-{seed % 1000:03d}-{i:06d}"
        items = []
        for n in range(rng.choice((1, 1, 2))):
            listing = rng.choice(fba)
            quantity = rng.choice((1, 1, 2))
            items.append(
                {
                    "sellerSku": listing.sku,
                    "sellerFulfillmentOrderItemId": f"{order_id}-{n + 1}",
                    "quantity": quantity,
                    "fulfillmentNetworkSku": listing.fnsku,
                    "cancelledQuantity": quantity if status == "Cancelled" else 0,
                    "unfulfillableQuantity": quantity if status == "Unfulfillable" else 0,
                    "estimatedShipDate": iso(received + timedelta(days=1)),
                    "estimatedArrivalDate": iso(received + timedelta(days=3)),
                }
            )
        order = {
            "sellerFulfillmentOrderId": order_id,
            "marketplaceId": "A1F83G8C2ARO7P",
            "displayableOrderId": f"WEB-{100000 + i}",
            "displayableOrderDate": iso(received),
            "displayableOrderComment": "Thank you for your order!",
            "shippingSpeedCategory": rng.choice(("Standard", "Standard", "Expedited", "Priority")),
            "destinationAddress": {
                "name": rng.choice(("Ava Wright", "Noah Patel", "Mia Clarke")),
                "addressLine1": f"{rng.randrange(1, 120)} King Street",
                "city": "Manchester",
                "stateOrRegion": "Greater Manchester",
                "postalCode": "M2 4WU",
                "countryCode": "GB",
            },
            "fulfillmentAction": "Ship",
            "fulfillmentPolicy": "FillOrKill",
            "receivedDate": iso(received),
            "fulfillmentOrderStatus": status,
            "statusUpdatedDate": iso(updated),
        }
        shipments = []
        if status in ("Complete", "CompletePartialled"):
            shipments.append(
                {
                    "amazonShipmentId": f"D{rng.randrange(10**8):08d}",
                    "fulfillmentCenterId": "LTN4",
                    "fulfillmentShipmentStatus": "SHIPPED",
                    "shippingDate": iso(updated),
                    "fulfillmentShipmentItem": [
                        {
                            "sellerSku": it["sellerSku"],
                            "sellerFulfillmentOrderItemId": it["sellerFulfillmentOrderItemId"],
                            "quantity": it["quantity"],
                            "packageNumber": 1,
                        }
                        for it in items
                    ],
                    "fulfillmentShipmentPackage": [
                        {
                            "packageNumber": 1,
                            "carrierCode": "Royal Mail",
                            "trackingNumber": f"RM{rng.randrange(10**9):09d}GB",
                        }
                    ],
                }
            )
        orders[order_id] = {
            "fulfillmentOrder": order,
            "fulfillmentOrderItems": items,
            "fulfillmentShipments": shipments,
            "returnItems": [],
            "returnAuthorizations": [],
        }
    return orders
