"""searchOrders pagination tokens: signed, bound to their query, expiring after 24 sandbox
hours, and refused with 400 InvalidInput (never a 500) whatever a client sends."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, pagination, running_sandbox
from tests.amazon.sandbox_support import sp_client

PATH = "/orders/2026-01-01/orders"
FIRST = {"createdAfter": "2000-01-01T00:00:00Z", "maxResultsPerPage": "5", "marketplaceIds": "A1F83G8C2ARO7P"}


@pytest.fixture(scope="module")
def sb() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(seed=5, orders=80, throttle=False, time_scale=600.0)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: RunningSandbox) -> Iterator[httpx.Client]:
    with sp_client(sb) as client:
        yield client


def next_token(api: httpx.Client) -> str:
    body = api.get(PATH, params=FIRST).json()
    token: str = body["pagination"]["nextToken"]
    return token


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidInput"
    message: str = error["message"]
    return message


def test_the_same_query_with_another_page_size_and_datasets_continues(api: httpx.Client) -> None:
    token = next_token(api)
    page = api.get(
        PATH, params={**FIRST, "maxResultsPerPage": "2", "includedData": "PROCEEDS", "paginationToken": token}
    )
    assert page.status_code == 200 and len(page.json()["orders"]) == 2
    assert "proceeds" in page.json()["orders"][0]


@pytest.mark.parametrize(
    "change",
    [
        {"marketplaceIds": "A13V1IB3VIYZZH"},
        {"createdAfter": "2001-01-01T00:00:00Z"},
        {"fulfilledBy": "AMAZON"},
        {"createdAfter": None},
    ],
)
def test_a_token_sent_with_other_filters_is_refused(api: httpx.Client, change: dict[str, str | None]) -> None:
    token = next_token(api)
    params = {k: v for k, v in {**FIRST, **change, "paginationToken": token}.items() if v is not None}
    assert "other parameter values" in refusal(api.get(PATH, params=params))


def test_forged_and_tampered_tokens_are_refused(api: httpx.Client) -> None:
    token = next_token(api)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()
    forged = base64.urlsafe_b64encode(json.dumps({"i": "c", "a": 0, "b": 0, "p": None}).encode()).decode()
    for bad in (tampered, forged, "not-a-token", "%%%", token[:-4]):
        assert refusal(api.get(PATH, params={**FIRST, "paginationToken": bad})) == "Invalid paginationToken."


def test_tokens_expire_after_24_sandbox_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    config = SandboxConfig(seed=5, orders=30, throttle=False, time_scale=3600.0)
    with running_sandbox(config) as sb, sp_client(sb) as api:
        token = next_token(api)
        now = pagination.clock()
        monkeypatch.setattr(pagination, "clock", lambda: now + 23.5)  # 23.5 sandbox hours at 3600x
        assert api.get(PATH, params={**FIRST, "paginationToken": token}).status_code == 200
        monkeypatch.setattr(pagination, "clock", lambda: now + 24.5)
        assert "expired" in refusal(api.get(PATH, params={**FIRST, "paginationToken": token}))


def test_the_window_end_the_first_page_reported_may_be_sent_back(api: httpx.Client) -> None:
    query = {"lastUpdatedAfter": "2000-01-01T00:00:00Z", "maxResultsPerPage": "5"}
    first = api.get(PATH, params=query).json()
    later = {
        **query,
        "lastUpdatedBefore": first["lastUpdatedBefore"],
        "paginationToken": first["pagination"]["nextToken"],
    }
    assert api.get(PATH, params=later).status_code == 200
    later["lastUpdatedBefore"] = "2020-01-01T00:00:00Z"
    assert "other parameter values" in refusal(api.get(PATH, params=later))


@pytest.mark.parametrize(
    ("after", "key"), [("createdAfter", "createdTime"), ("lastUpdatedAfter", "lastUpdatedTime")]
)
def test_pages_of_several_marketplaces_hold_exactly_theirs_in_time_order(
    sb: RunningSandbox, api: httpx.Client, after: str, key: str
) -> None:
    """The store scans each asked-for marketplace's own index and merges them: every order of
    those marketplaces once, none of another, in the index's order across page boundaries."""
    wanted = {"A1F83G8C2ARO7P", "A1PA6795UKMFR9"}  # UK, DE
    params = {
        after: "2000-01-01T00:00:00Z",
        "maxResultsPerPage": "3",
        "marketplaceIds": ",".join(sorted(wanted)),
    }
    seen: list[dict[str, object]] = []
    body = api.get(PATH, params=params).json()
    while True:
        seen.extend(body["orders"])
        token = (body.get("pagination") or {}).get("nextToken")
        if not token:
            break
        bound = {"createdAfter": "createdBefore", "lastUpdatedAfter": "lastUpdatedBefore"}[after]
        body = api.get(PATH, params={**params, bound: body[bound], "paginationToken": token}).json()
    expected = {
        o.spec.order_id for o in sb.state.orders.by_id.values() if o.spec.marketplace.marketplace_id in wanted
    }
    ids = [str(o["orderId"]) for o in seen]
    assert len(ids) == len(set(ids)) and set(ids) == expected and len(expected) > 6
    assert {o["salesChannel"]["marketplaceId"] for o in seen} == wanted  # type: ignore[index]
    keys = [(str(o[key]), str(o["orderId"])) for o in seen]
    assert keys == sorted(keys)
