"""A property of the sandbox: whatever a client sends, it answers without a 5xx unless a
fault was asked for (a 5xx makes clients retry a request that can never succeed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from plugins.amazon.sandbox.render import INCLUDED_DATA
from tests.amazon.sandbox_support import sp_client

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
TIMES = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2026-01-01", "2026-W01-1T00:00:00Z", "20260101T000000Z", "9999-12-31T23:59:59Z"]),
    TEXT,
)
LISTS = st.lists(
    st.one_of(st.sampled_from([*sorted(INCLUDED_DATA), "A1F83G8C2ARO7P", "MERCHANT", "SHIPPED"]), TEXT),
    max_size=4,
).map(",".join)
SEARCH = st.dictionaries(
    st.sampled_from(
        [
            "createdAfter",
            "createdBefore",
            "lastUpdatedAfter",
            "lastUpdatedBefore",
            "fulfillmentStatuses",
            "marketplaceIds",
            "fulfilledBy",
            "maxResultsPerPage",
            "paginationToken",
            "includedData",
        ]
    ),
    st.one_of(TIMES, LISTS, st.integers(-5, 500).map(str)),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=9, orders=150, throttle=False, time_scale=600.0)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(sb: RunningSandbox) -> Iterator[httpx.Client]:
    with sp_client(sb) as api:
        yield api


@pytest.fixture(scope="module")
def known(sb: RunningSandbox) -> str:
    """An order id the sandbox holds (small, so a failing example prints short)."""
    return min(sb.state.orders.by_id)


def _no_5xx(response: httpx.Response) -> None:
    assert response.status_code < 500, (
        f"{response.request.method} {response.request.url}: {response.text[:300]}"
    )


PROPERTY = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(params=SEARCH)
def test_search_orders_never_fails_with_5xx(client: httpx.Client, params: dict[str, str]) -> None:
    _no_5xx(client.get("/orders/2026-01-01/orders", params=params))


@PROPERTY
@given(order_id=st.one_of(st.sampled_from(["202-1234567-1234567"]), TEXT), included=LISTS, token=TEXT)
def test_order_lookups_never_fail_with_5xx(
    client: httpx.Client, known: str, order_id: str, included: str, token: str
) -> None:
    for oid in (quote(order_id, safe=""), known):
        _no_5xx(client.get(f"/orders/2026-01-01/orders/{oid}", params={"includedData": included}))
        _no_5xx(
            client.get(f"/orders/v0/orders/{oid}/orderItems", params={"NextToken": token} if token else {})
        )


@PROPERTY
@given(body=JSON)
def test_bodies_never_fail_with_5xx(client: httpx.Client, known: str, body: Any) -> None:
    _no_5xx(client.post(f"/orders/v0/orders/{known}/shipmentConfirmation", json=body))
    _no_5xx(client.post("/feeds/2021-06-30/feeds", json=body))
    _no_5xx(client.post("/tokens/2021-03-01/restrictedDataToken", json=body))
