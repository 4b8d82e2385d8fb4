"""The SP-API client against the sandbox over real loopback HTTP."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from core.errors import TransientChannelError
from plugins.amazon.auth import LwaCredentials, LwaTokens
from plugins.amazon.client import (
    AmazonAuthError,
    AmazonInputError,
    AmazonNotFoundError,
    AmazonThrottledError,
    AmazonUnavailableError,
    SpApiClient,
)
from plugins.amazon.ratelimit import MemoryRateLimiter
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

ALL_MARKETPLACES = "A1F83G8C2ARO7P,A1PA6795UKMFR9,A13V1IB3VIYZZH,APJ6JRA9NG5V4,A1RKKUPIHCS9HS,A1805IZSGTT6HS"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=3, orders=1500, time_scale=600)) as sb:
        yield sb


def make_client(sb: RunningSandbox, refresh_token: str | None = None) -> SpApiClient:
    c = sb.credentials
    http = httpx.Client(timeout=30)
    creds = LwaCredentials(c.client_id, c.client_secret, refresh_token or c.refresh_token)
    return SpApiClient(
        endpoint=sb.base_url,
        seller_id=c.seller_id,
        region="EU",
        tokens=LwaTokens(http, f"{sb.base_url}/auth/o2/token", creds),
        limiter=MemoryRateLimiter(),
        http=http,
        sleep=lambda _s: None,  # retries and pacing without waiting: the sandbox refills 600x faster
    )


def fault(sb: RunningSandbox, operation: str, status: int, count: int) -> None:
    body = {"operation": operation, "status": status, "count": count}
    httpx.post(f"{sb.base_url}/_sandbox/faults", json=body).raise_for_status()


def test_pagination_returns_every_order_exactly_once(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox)
    seen: list[str] = []
    for page in client.search_orders(
        marketplace_ids=ALL_MARKETPLACES.split(","), last_updated_after="2020-01-01T00:00:00Z"
    ):
        seen.extend(order["orderId"] for order in page["orders"])
    wanted = {
        oid
        for oid, o in sandbox.state.orders.by_id.items()
        if o.spec.marketplace.marketplace_id in ALL_MARKETPLACES
    }
    assert len(seen) == len(set(seen)) >= 1000
    assert set(seen) == wanted
    client.close()


def test_an_expired_token_is_refreshed_once(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox)
    client.get_order(next(iter(sandbox.state.orders.by_id)))
    before = sandbox.stats()["requests"].get("lwa.token", 0)
    httpx.post(f"{sandbox.base_url}/_sandbox/expire-tokens").raise_for_status()
    client.get_order(next(iter(sandbox.state.orders.by_id)))
    assert sandbox.stats()["requests"]["lwa.token"] == before + 1
    client.close()


def test_a_revoked_refresh_token_is_a_typed_auth_error(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox, refresh_token="Atzr|revoked-by-the-seller")
    with pytest.raises(Exception, match="invalid_grant") as error:
        client.get_order("202-0000000-0000000")
    assert error.value.code == "invalid_grant"  # type: ignore[attr-defined]
    client.close()


def test_429_and_503_are_retried_and_counted(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox)
    order_id = next(iter(sandbox.state.orders.by_id))
    fault(sandbox, "orders.getOrder", 429, 2)
    assert client.get_order(order_id)
    assert client.metrics.throttled["orders.getOrder"] == 2
    assert client.metrics.requests["orders.getOrder"] == 3
    client.close()


def test_retries_are_bounded_and_end_in_typed_errors(sandbox: RunningSandbox) -> None:
    client = make_client(sandbox)
    order_id = next(iter(sandbox.state.orders.by_id))
    fault(sandbox, "orders.getOrder", 429, 50)
    with pytest.raises(AmazonThrottledError) as throttled:
        client.get_order(order_id)
    assert throttled.value.operation == "orders.getOrder" and throttled.value.code == "QuotaExceeded"
    assert client.metrics.requests["orders.getOrder"] == 5
    fault(sandbox, "orders.getOrder", 500, 50)
    with pytest.raises(AmazonUnavailableError) as unavailable:
        client.get_order(order_id)
    assert isinstance(unavailable.value, TransientChannelError)
    client.close()


def test_client_errors_carry_code_message_and_operation(sandbox: RunningSandbox) -> None:
    httpx.post(f"{sandbox.base_url}/_sandbox/reset").raise_for_status()
    client = make_client(sandbox)
    with pytest.raises(AmazonNotFoundError) as missing:
        client.get_order("999-9999999-9999999")
    assert missing.value.operation == "orders.getOrder" and missing.value.code == "NotFound"
    with pytest.raises(AmazonInputError) as invalid:
        client.call("orders.searchOrders", params={"marketplaceIds": "A1F83G8C2ARO7P"})
    assert invalid.value.code == "InvalidInput" and "lastUpdatedAfter" in str(invalid.value)
    with pytest.raises(AmazonAuthError):
        client.restricted_data_token("/orders/2026-01-01/orders?marketplaceIds=A33AVAJ2PDY3EV", ["buyerInfo"])
    client.close()


def test_connectors_share_one_tls_context_instead_of_loading_the_ca_bundle_each() -> None:
    from core.types import ConnectorContext
    from plugins.amazon.connector import AmazonConnector, tls_context
    from plugins.amazon.marketplaces import BY_CODE
    from plugins.amazon.settings import AmazonSettings

    def connector() -> AmazonConnector:
        context = ConnectorContext(
            integration_id=1,
            alias="uk",
            marketplace=BY_CODE["UK"],
            settings=AmazonSettings(seller_id="A1SELLER"),
            credentials={"client_id": "id", "client_secret": "secret", "refresh_token": "token"},
        )
        return AmazonConnector(context)

    first, second = connector(), connector()
    try:
        pools = [c.client._http._transport._pool for c in (first, second)]  # type: ignore[attr-defined]
        assert pools[0]._ssl_context is pools[1]._ssl_context is tls_context()
        assert tls_context().verify_mode is ssl.CERT_REQUIRED and tls_context().check_hostname
    finally:
        first.close()
        second.close()
