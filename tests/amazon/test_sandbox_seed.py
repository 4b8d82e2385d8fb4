"""The sandbox's seeded data: reproducible, varied like a real seller's, and paginated so
every order is returned exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from plugins.amazon.sandbox.seed import Catalogue, generate_order
from plugins.amazon.sandbox.state import SandboxState
from tests.amazon.sandbox_support import sp_client

ANCHOR = datetime(2026, 3, 1, 12, tzinfo=UTC)
STATUSES = {
    "PENDING_AVAILABILITY",
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "UNFULFILLABLE",
}


def snapshot(state: SandboxState) -> tuple[list[str], list[tuple[str, str, int]]]:
    orders = [
        state.orders.by_id[oid].rendered.json(frozenset({"BUYER", "RECIPIENT", "FULFILLMENT", "PROCEEDS"}))
        for _, oid in state.orders.by_created
    ]
    listings = [(lst.sku, str(lst.prices), lst.quantity) for lst in state.listings.values()]
    return orders, listings


def test_same_seed_same_data_and_another_seed_other_data() -> None:
    first = SandboxState.build(SandboxConfig(seed=3, orders=400, anchor=ANCHOR))
    again = SandboxState.build(SandboxConfig(seed=3, orders=400, anchor=ANCHOR))
    other = SandboxState.build(SandboxConfig(seed=4, orders=400, anchor=ANCHOR))
    assert snapshot(first) == snapshot(again)
    assert first.fulfillment_orders == again.fulfillment_orders
    assert snapshot(first)[0] != snapshot(other)[0]
    assert snapshot(first)[1] != snapshot(other)[1]


def test_an_order_does_not_depend_on_how_many_were_seeded() -> None:
    small = SandboxState.build(SandboxConfig(seed=3, orders=10, anchor=ANCHOR))
    large = SandboxState.build(SandboxConfig(seed=3, orders=50, anchor=ANCHOR))
    for order_id, order in small.orders.by_id.items():
        assert large.orders.by_id[order_id].rendered == order.rendered
    catalogue = Catalogue.of(list(small.listings.values()))
    assert generate_order(3, 10, catalogue, None, ANCHOR).order_id in large.orders.by_id


def test_seeded_orders_cover_what_an_integration_must_handle() -> None:
    state = SandboxState.build(SandboxConfig(seed=42, orders=1200, anchor=ANCHOR))
    specs = [o.spec for o in state.orders.by_id.values()]
    assert {s.status for s in specs} == STATUSES
    assert Counter(s.fulfilled_by for s in specs).keys() == {"MERCHANT", "AMAZON"}
    assert {"GBP", "EUR", "USD"} <= {s.marketplace.currency for s in specs}
    assert {"GB", "DE", "FR", "IT", "ES", "US"} <= {s.marketplace.country_code for s in specs}
    lines = [line for s in specs for line in s.lines]
    assert any(line.custom_url for line in lines), "Amazon Custom items"
    assert any(line.gift_message for line in lines) and any(line.gift_wrap_level for line in lines)
    assert any(not s.has_buyer_data for s in specs if s.status in ("UNSHIPPED", "SHIPPED"))
    assert all(s.ship_by[1] > s.created for s in specs)
    assert any(len(s.lines) > 1 for s in specs)
    with_items = state.orders.by_id[specs[0].order_id].rendered.as_dict()
    assert with_items["fulfillment"]["shipByWindow"]["latestDateTime"].endswith("Z")
    assert any(lst.is_fba for lst in state.listings.values()) and any(
        not lst.is_fba for lst in state.listings.values()
    )


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=11, orders=1500, throttle=False)) as sandbox:
        yield sandbox


def pages(api: httpx.Client, first: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    params = first
    while True:
        response = api.get("/orders/2026-01-01/orders", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        yield body["orders"]
        token = body.get("pagination", {}).get("nextToken")
        if not token:
            return
        params = {**first, "paginationToken": token}


def test_pagination_returns_every_order_once_in_order(sb: RunningSandbox) -> None:
    with sp_client(sb) as api:
        seen = [o for page in pages(api, {"createdAfter": "2000-01-01T00:00:00Z"}) for o in page]
        assert len(seen) == len({o["orderId"] for o in seen}) == len(sb.state.orders) == 1500
        assert [(o["createdTime"], o["orderId"]) for o in seen] == sorted(
            (o["createdTime"], o["orderId"]) for o in seen
        )
        odd = [
            len(page)
            for page in pages(api, {"lastUpdatedAfter": "2000-01-01T00:00:00Z", "maxResultsPerPage": "37"})
        ]
        assert sum(odd) == 1500 and set(odd[:-1]) == {37}


def test_filters_hold_across_pages(sb: RunningSandbox) -> None:
    uk, de = "A1F83G8C2ARO7P", "A1PA6795UKMFR9"
    expected = {
        o.spec.order_id
        for o in sb.state.orders.by_id.values()
        if o.spec.marketplace.marketplace_id in (uk, de)
        and o.spec.fulfilled_by == "MERCHANT"
        and o.spec.status in ("UNSHIPPED", "PARTIALLY_SHIPPED")
    }
    with sp_client(sb) as api:
        seen = [
            o["orderId"]
            for page in pages(
                api,
                {
                    "createdAfter": "2000-01-01T00:00:00Z",
                    "marketplaceIds": f"{uk},{de}",
                    "fulfilledBy": "MERCHANT",
                    "fulfillmentStatuses": "UNSHIPPED,PARTIALLY_SHIPPED",
                    "maxResultsPerPage": "20",
                },
            )
            for o in page
        ]
    assert len(seen) == len(set(seen)) and set(seen) == expected and len(expected) > 20


def test_created_window_bounds_the_result(sb: RunningSandbox) -> None:
    ordered = sorted(o.spec.created for o in sb.state.orders.by_id.values())
    after, before = ordered[100], ordered[399]
    with sp_client(sb) as api:
        seen = [
            o
            for page in pages(api, {"createdAfter": after.isoformat(), "createdBefore": before.isoformat()})
            for o in page
        ]
    assert len(seen) == sum(1 for c in ordered if after <= c <= before)


def test_reset_restores_the_seeded_state() -> None:
    with running_sandbox(SandboxConfig(seed=9, orders=40, throttle=False)) as sb, sp_client(sb) as api:
        seeded = sorted(sb.state.orders.by_id)
        sku = next(iter(sb.state.listings))
        quantity = sb.state.listings[sku].quantity
        httpx.post(f"{sb.base_url}/_sandbox/orders", json={"count": 2}).raise_for_status()
        sb.state.listings[sku].quantity = quantity + 5
        bad = httpx.post(f"{sb.base_url}/_sandbox/orders", json={"count": 0})
        assert bad.status_code == 400 and "count" in bad.json()["errors"][0]["message"]
        assert httpx.post(f"{sb.base_url}/_sandbox/reset").status_code == 204
        assert sorted(sb.state.orders.by_id) == seeded
        assert sb.state.listings[sku].quantity == quantity
        assert sb.stats() == {"requests": {}, "throttled": {}}
        assert api.get("/fba/outbound/2020-07-01/fulfillmentOrders").status_code == 403, (
            "tokens are reset too"
        )


def test_totals_are_the_sum_of_their_parts_to_the_cent() -> None:
    config = SandboxConfig(seed=42, orders=1200, throttle=False)
    state = SandboxState.build(config)
    for stored in state.orders.by_id.values():
        order = stored.rendered.as_dict()
        proceeds = order["proceeds"]
        parts = sum(Decimal(b["subtotal"]["amount"]) for b in proceeds["breakdowns"])
        assert Decimal(proceeds["grandTotal"]["amount"]) == parts, order["orderId"]
        for payment in order.get("payment", {}).get("paymentExecutions", []):
            assert payment["paymentAmount"] == proceeds["grandTotal"], order["orderId"]


def test_every_dataset_is_filled_where_amazon_fills_it() -> None:
    state = SandboxState.build(SandboxConfig(seed=42, orders=1200, throttle=False))
    found: Counter[str] = Counter()
    for stored in state.orders.by_id.values():
        spec, order = stored.spec, stored.rendered.as_dict()
        found.update(k for k in ("tax", "packages") if k in order)
        found.update(
            f"item {k}" for item in order["orderItems"] for k in ("expense", "promotion", "tax") if k in item
        )
        if spec.status == "SHIPPED":
            shipped = {
                i: q
                for p in order["packages"]
                for i, q in ((x["orderItemId"], x["quantity"]) for x in p["packageItems"])
            }
            assert shipped == {line.order_item_id: line.quantity for line in spec.lines}, spec.fulfilled_by
        if spec.marketplace.country_code == "JP":
            assert all("expense" in item for item in order["orderItems"]), "Amazon Points on .co.jp"
    assert found["tax"] == 1200
    assert min(found["packages"], found["item expense"], found["item promotion"], found["item tax"]) > 0
