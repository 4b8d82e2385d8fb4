"""Feed documents are formatted from templates for speed: they must stay the JSON Amazon reads.

The reference here builds each message the plain way (nested dicts through ``json.dumps``);
the templates must give the same bytes, for awkward SKUs (quotes, backslashes, non-ASCII)
and prices (no trailing zeros, large amounts) alike.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from core.api import Money, PriceUpdate, QuantityUpdate
from plugins.amazon import feeds

SKUS = ("MUG-1", 'say "cheese"', "back\\slash", "tasse à café", "ß\u2603")


def _reference(messages: list[dict[str, Any]]) -> bytes:
    return json.dumps({"header": {"sellerId": "SELLER", "version": "2.0"}, "messages": messages}).encode()


def _patch(n: int, sku: str, path: str, value: Any) -> dict[str, Any]:
    return {
        "messageId": n,
        "sku": sku,
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [{"op": "replace", "path": path, "value": [value]}],
    }


def test_quantity_feed_is_the_plain_json_document() -> None:
    updates = [QuantityUpdate(sku, n * 7) for n, sku in enumerate(SKUS)]
    document = feeds.quantity_feed("SELLER", updates, 3)
    expected = [
        _patch(
            n,
            u.sku,
            "/attributes/fulfillment_availability",
            {"fulfillment_channel_code": "DEFAULT", "quantity": u.quantity, "lead_time_to_ship_max_days": 3},
        )
        for n, u in enumerate(updates, start=1)
    ]
    assert document.body == _reference(expected)
    assert document.skus == {n: sku for n, sku in enumerate(SKUS, start=1)}


def test_price_feed_is_the_plain_json_document() -> None:
    amounts = ("9.49", "10", "0.10", "1234567.89", "12.00")
    updates = [PriceUpdate(sku, Money(Decimal(a), "EUR")) for sku, a in zip(SKUS, amounts, strict=True)]
    document = feeds.price_feed("SELLER", "A1PA6795UKMFR9", updates)
    expected = [
        _patch(
            n,
            u.sku,
            "/attributes/purchasable_offer",
            {
                "marketplace_id": "A1PA6795UKMFR9",
                "currency": "EUR",
                "our_price": [{"schedule": [{"value_with_tax": float(u.price.amount)}]}],
            },
        )
        for n, u in enumerate(updates, start=1)
    ]
    assert document.body == _reference(expected)
    assert json.loads(document.body)["messages"][1]["patches"][0]["value"][0]["our_price"] == [
        {"schedule": [{"value_with_tax": 10.0}]}
    ]


def test_an_empty_feed_has_no_messages() -> None:
    assert json.loads(feeds.quantity_feed("SELLER", [], 2).body)["messages"] == []
