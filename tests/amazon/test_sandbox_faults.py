"""Fault modes over real loopback HTTP: each mode acts at its moment (before or after the
request is processed), counts hold under concurrent callers, and a bad description is a 400."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox
from plugins.amazon.sandbox.faults import LONG_FIELD_LENGTH, FaultError, parse_flag
from tests.amazon.models import needs_models
from tests.amazon.sandbox_support import access_token, assert_valid, sp_client

SINCE = {"createdAfter": "2000-01-01T00:00:00Z", "maxResultsPerPage": "10"}
CONFIRM = "ordersV0.confirmShipment"
MCF = "fulfillmentOutbound_2020-07-01.json"


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=11, orders=60, throttle=False, time_scale=600.0)) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb: RunningSandbox) -> Iterator[httpx.Client]:
    with sp_client(sb) as client:
        yield client
    httpx.delete(f"{sb.base_url}/_sandbox/faults").raise_for_status()


def arm(sb: RunningSandbox, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{sb.base_url}/_sandbox/faults", json=body)
    assert response.status_code == 200, response.text
    armed: dict[str, Any] = response.json()
    return armed


def order_id(sb: RunningSandbox) -> str:
    return min(sb.state.orders.by_id)


def confirm(api: httpx.Client, oid: str = "999-0000000-0000000") -> httpx.Response:
    """A confirmShipment the sandbox records whatever it answers (here 404: unknown order)."""
    return api.post(f"/orders/v0/orders/{oid}/shipmentConfirmation", json={"marketplaceId": "X"})


def test_status_fault_by_count_then_cleared_by_operation(sb: RunningSandbox, api: httpx.Client) -> None:
    arm(sb, operation="orders.getOrder", mode="status", status=503, count=2)
    arm(sb, operation="fbaInventory.getInventorySummaries", status=500, count=None)
    listed = httpx.get(f"{sb.base_url}/_sandbox/faults").json()["faults"]
    assert {(f["operation"], f["count"]) for f in listed} == {
        ("orders.getOrder", 2),
        ("fbaInventory.getInventorySummaries", None),
    }
    path = f"/orders/2026-01-01/orders/{order_id(sb)}"
    first = api.get(path)
    assert first.status_code == 503 and first.headers["x-amzn-ErrorType"] == "ServiceUnavailable"
    assert first.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert [api.get(path).status_code for _ in range(2)] == [503, 200]
    cleared = httpx.delete(f"{sb.base_url}/_sandbox/faults", params={"operation": "orders.getOrder"})
    assert cleared.json() == {"cleared": 0}, "a spent fault is gone by itself"
    assert [f["operation"] for f in httpx.get(f"{sb.base_url}/_sandbox/faults").json()["faults"]] == [
        "fbaInventory.getInventorySummaries"
    ]


def test_probability_fires_on_a_share_of_requests(sb: RunningSandbox, api: httpx.Client) -> None:
    arm(sb, operation="orders.getOrder", mode="status", status=429, probability=0.5)
    path = f"/orders/2026-01-01/orders/{order_id(sb)}"
    statuses = Counter(api.get(path).status_code for _ in range(60))
    assert set(statuses) == {200, 429} and 15 <= statuses[429] <= 45, statuses
    [listed] = httpx.get(f"{sb.base_url}/_sandbox/faults").json()["faults"]
    assert listed["fired"] == statuses[429] and listed["count"] is None


def test_counts_hold_under_concurrent_callers(sb: RunningSandbox, api: httpx.Client) -> None:
    arm(sb, operation="orders.getOrder", mode="status", status=500, count=25)
    path = f"/orders/2026-01-01/orders/{order_id(sb)}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(lambda _: api.get(path).status_code, range(80)))
    assert statuses == {500: 25, 200: 55}


def test_latency_waits_fixed_plus_jitter(sb: RunningSandbox, api: httpx.Client) -> None:
    arm(sb, operation="orders.getOrder", mode="latency", seconds=0.2, jitter=0.2, count=3)
    path = f"/orders/2026-01-01/orders/{order_id(sb)}"
    took = []
    for _ in range(4):
        start = time.monotonic()
        assert api.get(path).status_code == 200
        took.append(time.monotonic() - start)
    assert all(0.2 <= t < 0.6 for t in took[:3]), took
    assert took[3] < 0.15, took


def test_reset_drops_the_connection_before_processing(sb: RunningSandbox, api: httpx.Client) -> None:
    before = len(sb.state.confirmations)
    arm(sb, operation=CONFIRM, mode="reset")
    with pytest.raises(httpx.TransportError):
        confirm(api)
    assert len(sb.state.confirmations) == before, "a reset request is never processed"
    assert confirm(api).status_code == 404 and len(sb.state.confirmations) == before + 1


def test_lost_response_is_processed_but_never_answered(sb: RunningSandbox, api: httpx.Client) -> None:
    before = len(sb.state.confirmations)
    arm(sb, operation=CONFIRM, mode="lost_response", count=2)
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            confirm(api)
    assert len(sb.state.confirmations) == before + 2, "processed although no answer came"
    assert confirm(api).status_code == 404


def test_error_after_processing(sb: RunningSandbox, api: httpx.Client) -> None:
    before = len(sb.state.confirmations)
    arm(sb, operation=CONFIRM, mode="error_after", status=503)
    answered = confirm(api)
    assert answered.status_code == 503 and answered.json()["errors"][0]["code"] == "ServiceUnavailable"
    assert len(sb.state.confirmations) == before + 1
    arm(sb, operation=CONFIRM, mode="error_after")
    assert confirm(api).status_code == 500, "500 unless told otherwise"


@pytest.mark.parametrize("mode", ["bad_json", "truncated_json"])
def test_unparseable_bodies(sb: RunningSandbox, api: httpx.Client, mode: str) -> None:
    path = f"/orders/2026-01-01/orders/{order_id(sb)}"
    whole = api.get(path).content
    arm(sb, operation="orders.getOrder", mode=mode)
    broken = api.get(path)
    assert broken.status_code == 200
    assert int(broken.headers["content-length"]) == len(broken.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    if mode == "truncated_json":
        assert whole.startswith(broken.content) and len(broken.content) < len(whole)
    assert api.get(path).content == whole


def pages(api: httpx.Client) -> list[list[dict[str, Any]]]:
    result, query = [], dict(SINCE)
    while True:
        body = api.get("/orders/2026-01-01/orders", params=query).json()
        result.append(body["orders"])
        token = body.get("pagination", {}).get("nextToken")
        if not token:
            return result
        query = {**SINCE, "paginationToken": token}


@pytest.mark.parametrize("corruption", ["wrong_type", "missing_id", "long_field"])
def test_corrupt_record_in_every_page_holding_it(
    sb: RunningSandbox, api: httpx.Client, corruption: str
) -> None:
    clean = pages(api)
    target = clean[2][3]["orderId"]
    arm(sb, operation="orders.searchOrders", mode="corrupt_record", corruption=corruption, order_id=target)
    for _ in range(2):  # holds until cleared: a retried page is corrupted again
        corrupted = pages(api)
        changed = [
            (n, i) for n, page in enumerate(corrupted) for i, rec in enumerate(page) if rec != clean[n][i]
        ]
        assert changed == [(2, 3)]
        record = corrupted[2][3]
        if corruption == "missing_id":
            assert "orderId" not in record
        elif corruption == "wrong_type":
            assert isinstance(record["createdTime"], int)
        else:
            assert len(record["orderItems"][0]["product"]["sellerSku"]) == LONG_FIELD_LENGTH
    single = api.get(f"/orders/2026-01-01/orders/{target}").json()["order"]
    assert single == clean[2][3], "getOrder is another operation, not corrupted"
    httpx.delete(f"{sb.base_url}/_sandbox/faults").raise_for_status()
    assert pages(api) == clean


def test_corrupt_record_without_id_pins_the_first_record_served(
    sb: RunningSandbox, api: httpx.Client
) -> None:
    clean = pages(api)
    arm(sb, operation="orders.searchOrders", mode="corrupt_record", corruption="missing_id")
    corrupted = pages(api)
    assert "orderId" not in corrupted[0][0] and corrupted[1:] == clean[1:]
    second = api.get("/orders/2026-01-01/orders", params={**SINCE, "maxResultsPerPage": "1"}).json()
    assert "orderId" not in second["orders"][0], "the same record, on a page of another size"
    [listed] = httpx.get(f"{sb.base_url}/_sandbox/faults").json()["faults"]
    assert listed["order_id"] == clean[0][0]["orderId"] and listed["fired"] == 2


def test_token_expiry_mid_run(sb: RunningSandbox, api: httpx.Client) -> None:
    path = f"/orders/2026-01-01/orders/{order_id(sb)}"
    assert api.get(path).status_code == 200
    arm(sb, operation="orders.getOrder", mode="token_expiry")
    expired = api.get(path)
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["details"] == "The access token you provided has expired."
    assert api.get(path).status_code == 403, "the token stays expired"
    fresh = api.get(path, headers={"x-amz-access-token": access_token(sb)})
    assert fresh.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"operation": "orders.nope", "status": 503}, "operation"),
        ({"operation": "orders.getOrder", "mode": "explode"}, "mode"),
        ({"operation": "orders.getOrder", "status": 502}, "status"),
        ({"operation": "orders.getOrder", "status": 503, "count": 0}, "count"),
        ({"operation": "orders.getOrder", "status": 503, "probability": 1.5}, "probability"),
        ({"operation": "orders.getOrder", "mode": "latency"}, "seconds"),
        ({"operation": "orders.getOrder", "mode": "latency", "seconds": -1}, "seconds"),
        ({"operation": CONFIRM, "mode": "corrupt_record", "corruption": "missing_id"}, "operation"),
        ({"operation": "orders.getOrder", "mode": "corrupt_record", "corruption": "odd"}, "corruption"),
        (
            {
                "operation": "orders.getOrder",
                "mode": "corrupt_record",
                "corruption": "wrong_type",
                "count": 1,
            },
            "count",
        ),
        ({"operation": "orders.getOrder", "mode": "reset", "cuont": 2}, "cuont"),
    ],
)
def test_bad_fault_descriptions_are_refused(sb: RunningSandbox, body: dict[str, Any], field: str) -> None:
    refused = httpx.post(f"{sb.base_url}/_sandbox/faults", json=body)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith(f"{field}:")
    assert httpx.get(f"{sb.base_url}/_sandbox/faults").json() == {"faults": []}


def test_serve_flags_parse_like_the_endpoint() -> None:
    assert parse_flag("orders.getOrder:status:429").as_json()["status"] == 429
    latency = parse_flag("orders.searchOrders:latency:1.5:jitter=0.5:count=null")
    assert (latency.seconds, latency.jitter, latency.remaining) == (1.5, 0.5, None)
    corrupt = parse_flag("orders.searchOrders:corrupt_record:long_field:order_id=171-1")
    assert (corrupt.corruption, corrupt.order_id) == ("long_field", "171-1")
    assert parse_flag("ordersV0.confirmShipment:lost_response:probability=0.1").probability == 0.1
    for bad in ("orders.getOrder", "orders.getOrder:reset:5", "orders.getOrder:status:abc"):
        with pytest.raises(FaultError):
            parse_flag(bad)


def test_configured_faults_are_armed_at_start_and_on_reset() -> None:
    config = SandboxConfig(orders=5, throttle=False, faults=(parse_flag("orders.getOrder:status:503"),))
    with running_sandbox(config) as sb, sp_client(sb) as api:
        path = f"/orders/2026-01-01/orders/{order_id(sb)}"
        assert [api.get(path).status_code for _ in range(2)] == [503, 200]
        httpx.post(f"{sb.base_url}/_sandbox/reset").raise_for_status()
        token = access_token(sb)
        assert [api.get(path, headers={"x-amz-access-token": token}).status_code for _ in range(2)] == [
            503,
            200,
        ]


def test_every_response_has_a_request_id(sb: RunningSandbox, api: httpx.Client) -> None:
    responses = [
        api.get("/orders/2026-01-01/orders", params=SINCE),
        api.get("/no/such/path"),
        httpx.get(f"{sb.base_url}/orders/2026-01-01/orders"),
        httpx.post(f"{sb.base_url}/auth/o2/token", data={}),
    ]
    ids = [r.headers.get("x-amzn-RequestId") for r in responses]
    assert all(ids) and len(set(ids)) == len(ids)
    assert responses[2].headers["x-amzn-ErrorType"] == "Unauthorized"


@needs_models
@pytest.mark.parametrize(
    ("method", "path", "model", "definition"),
    [
        ("GET", "/orders/v0/orders", "ordersV0.json", "GetOrdersResponse"),
        ("GET", "/orders/v0/orders/202-1234567-1234567", "ordersV0.json", "GetOrderResponse"),
        ("GET", "/orders/v0/orders/202-1234567-1234567/address", "ordersV0.json", "GetOrderAddressResponse"),
        (
            "GET",
            "/orders/v0/orders/202-1234567-1234567/buyerInfo",
            "ordersV0.json",
            "GetOrderBuyerInfoResponse",
        ),
        ("POST", "/fba/outbound/2020-07-01/fulfillmentOrders", MCF, "CreateFulfillmentOrderResponse"),
        ("GET", "/feeds/2021-06-30/feeds", "feeds_2021-06-30.json", "ErrorList"),
        ("DELETE", "/feeds/2021-06-30/feeds/50001", "feeds_2021-06-30.json", "ErrorList"),
        ("GET", "/reports/2021-06-30/reports", "reports_2021-06-30.json", "ErrorList"),
    ],
)
def test_unserved_operations_answer_like_an_unauthorised_app(
    api: httpx.Client, method: str, path: str, model: str, definition: str
) -> None:
    answer = api.request(method, path, json={} if method == "POST" else None)
    assert answer.status_code == 403, "never a 404 (the order is gone?) nor an undeclared 405"
    assert answer.headers["x-amzn-ErrorType"] == "Unauthorized" and answer.headers["x-amzn-RequestId"]
    assert answer.json()["errors"][0]["message"] == "Access to requested resource is denied."
    assert_valid(model, definition, answer.json())


def test_document_urls_come_from_the_base_url_and_upload_like_s3(
    sb: RunningSandbox, api: httpx.Client
) -> None:
    content_type = "application/json; charset=UTF-8"
    created = api.post(
        "/feeds/2021-06-30/documents",
        json={"contentType": content_type},
        headers={"host": "elsewhere.example:9"},
    ).json()
    assert created["url"].startswith(f"{sb.base_url}/_sandbox/documents/"), "not from the Host header"
    wrong = httpx.put(created["url"], content=b"{}", headers={"content-type": "text/plain"})
    assert wrong.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in wrong.content
    assert httpx.put(created["url"], content=b"{}", headers={"content-type": content_type}).status_code == 200
    again = httpx.put(created["url"], content=b"[]", headers={"content-type": content_type})
    assert again.status_code == 403 and b"<Code>AccessDenied</Code>" in again.content
    assert httpx.get(created["url"]).content == b"{}", "the first upload stands"
