"""JSON_LISTINGS_FEED documents for bulk quantity and price updates, and their results.

Quantities and prices travel in separate feeds (DESIGN.md: separate updates), each of at
most 25,000 messages (Amazon's limit per feed). A SKU succeeds only when the processing
report has no ERROR issue for its message; the report is the truth, not the feed status.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.api import PriceUpdate, QuantityUpdate, SkuResult

MAX_MESSAGES = 25_000
FEED_TYPE = "JSON_LISTINGS_FEED"
CONTENT_TYPE = "application/json; charset=UTF-8"


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """One feed's body and which SKU each message id stands for."""

    body: bytes
    skus: dict[int, str]


def chunks(items: Sequence[Any], size: int = MAX_MESSAGES) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _document(seller_id: str, messages: list[dict[str, Any]]) -> FeedDocument:
    body = json.dumps({"header": {"sellerId": seller_id, "version": "2.0"}, "messages": messages})
    return FeedDocument(body.encode(), {m["messageId"]: m["sku"] for m in messages})


def quantity_feed(seller_id: str, updates: Sequence[QuantityUpdate], handling_days: int) -> FeedDocument:
    """Merchant-fulfilled quantities (``DEFAULT`` channel) with the handling time."""
    return _document(
        seller_id,
        [
            {
                "messageId": n,
                "sku": u.sku,
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [
                            {
                                "fulfillment_channel_code": "DEFAULT",
                                "quantity": u.quantity,
                                "lead_time_to_ship_max_days": handling_days,
                            }
                        ],
                    }
                ],
            }
            for n, u in enumerate(updates, start=1)
        ],
    )


def price_feed(seller_id: str, marketplace_id: str, updates: Sequence[PriceUpdate]) -> FeedDocument:
    """Offer prices, tax included as Amazon's European marketplaces expect, in their currency."""
    return _document(
        seller_id,
        [
            {
                "messageId": n,
                "sku": u.sku,
                "operationType": "PATCH",
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/purchasable_offer",
                        "value": [
                            {
                                "marketplace_id": marketplace_id,
                                "currency": u.price.currency,
                                "our_price": [{"schedule": [{"value_with_tax": float(u.price.amount)}]}],
                            }
                        ],
                    }
                ],
            }
            for n, u in enumerate(updates, start=1)
        ],
    )


def results(document: FeedDocument, report: Mapping[str, Any]) -> tuple[SkuResult, ...]:
    """Per-SKU verdicts from a processing report (listings-feed-processing-report v2).

    An ERROR issue without a message id (a bad header, say) fails every SKU of the feed.
    """
    errors: dict[int | None, list[str]] = {}
    for issue in report.get("issues") or ():
        if issue.get("severity") == "ERROR":
            errors.setdefault(issue.get("messageId"), []).append(
                f"{issue.get('code')}: {issue.get('message')}"
            )
    general = errors.get(None, [])
    return tuple(
        SkuResult(
            sku,
            not (errors.get(message_id) or general),
            "; ".join(errors.get(message_id, []) + general) or None,
        )
        for message_id, sku in document.skus.items()
    )
