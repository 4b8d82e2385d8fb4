"""The fee table per area and band on the Carriers page and ``/api/v1/fees``, and the carrier strategy.

The shop's integration has UPS switched off in the UK (conftest), so the UK rows are Royal Mail's.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import Shop, bearer, log_in


def uk_charge(page: str) -> str:
    """The charge cell of the UK Royal Mail row of the page's fee table."""
    row = page[page.index("<tr><td>UK</td><td>royal_mail</td>") :]
    cell = row[row.index('class="charge">') + len('class="charge">') :]
    return cell[: cell.index("</td>")]


def uk(record: dict[str, object]) -> list[dict[str, object]]:
    return [f for f in record["fees"] if f["area"] == "UK"]  # type: ignore[attr-defined, index]


def test_the_table_charges_the_max_or_the_min_and_leaves_out_switched_off_carriers(
    client: TestClient, shop: Shop
) -> None:
    url = f"/api/v1/fees?integration_id={shop.integration_id}"
    conservative = client.get(url, headers=bearer(shop, "operator")).json()
    assert conservative["integration"] == shop.alias and conservative["strategy"] == "conservative"
    [royal_mail] = uk(conservative)
    assert royal_mail == {
        "area": "UK",
        "carrier": "royal_mail",
        "service": "intl_standard",
        "band": "up to 2 kg",
        "basis": "weight",
        "max_kg": 2.0,
        "price": "12.90",
        "min_price": "9.90",
        "max_price": "12.90",
        "currency": "EUR",
        "transit_days": royal_mail["transit_days"],
    }
    competitive = client.get(f"{url}&strategy=competitive", headers=bearer(shop, "operator")).json()
    assert [f["price"] for f in uk(competitive)] == ["9.90"]
    assert "commission" in competitive["note"]
    [strategy] = competitive["strategies"]
    assert strategy["key"] == "bigbuy_mip.carrier_strategy" and strategy["current"] == "cheapest"
    assert strategy["choices"] == ["cheapest", "fastest"]


def test_a_wrong_strategy_or_integration_is_named(client: TestClient, shop: Shop) -> None:
    host = bearer(shop, "host")
    bad = client.get(f"/api/v1/fees?integration_id={shop.integration_id}&strategy=cheap", headers=host)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "strategy"
    assert client.get("/api/v1/fees?integration_id=999", headers=host).status_code == 404
    assert client.get("/api/v1/fees", headers=host).status_code == 422
    assert client.get(f"/api/v1/fees?integration_id={shop.integration_id}").status_code == 401


def test_only_a_host_switches_the_carrier_strategy(client: TestClient, shop: Shop) -> None:
    url = f"/api/v1/fees/{shop.integration_id}/strategies/bigbuy_mip.carrier_strategy"
    assert client.put(url, json={"value": "fastest"}, headers=bearer(shop, "admin")).status_code == 403
    assert client.put(url, json={"value": "fastest"}).status_code == 401
    wrong = client.put(url, json={"value": "slowest"}, headers=bearer(shop, "host"))
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "value"
    done = client.put(url, json={"value": "fastest"}, headers=bearer(shop, "host"))
    assert done.status_code == 200 and done.json()["current"] == "fastest"
    record = client.get(f"/api/v1/fees?integration_id={shop.integration_id}", headers=bearer(shop, "admin"))
    assert record.json()["strategies"][0]["current"] == "fastest"
    unknown = f"/api/v1/fees/{shop.integration_id}/strategies/nobody.strategy"
    assert client.put(unknown, json={"value": "fastest"}, headers=bearer(shop, "host")).status_code == 404


def test_the_carriers_page_shows_the_table_and_the_control_only_to_a_host(
    client: TestClient, shop: Shop
) -> None:
    log_in(client, "admin")
    page = client.get("/carriers?strategy=competitive").text
    assert 'id="fee-table"' in page and uk_charge(page) == "9.90 EUR"
    assert (
        "<tr><td>UK</td><td>ups</td>" not in page
    )  # switched off in the UK (the matrix row has an alias first)
    assert 'action="/carriers/' not in page and 'class="current">cheapest<' in page
    client.post("/logout", headers={"x-csrf-token": log_in(client, "admin")})
    csrf = log_in(client, "host")
    page = client.get("/carriers").text
    assert uk_charge(page) == "12.90 EUR" and f'action="/carriers/{shop.integration_id}/strategies/' in page
    saved = client.post(
        f"/carriers/{shop.integration_id}/strategies/bigbuy_mip.carrier_strategy",
        data={"value": "fastest", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert '<option value="fastest" selected>' in client.get("/carriers").text


def test_a_switch_reloads_the_fee_table_without_the_carrier(client: TestClient, shop: Shop) -> None:
    csrf = log_in(client, "host")
    partial = f"/carriers/fees?fees_for={shop.integration_id}"
    assert "<tr><td>FR</td><td>gls</td>" in client.get(partial).text
    switch = {"integration_id": shop.integration_id, "area": "FR", "carrier": "gls", "enabled": "false"}
    done = client.post("/carriers/switch", data={**switch, "csrf_token": csrf, "confirm": "true"})
    assert done.status_code == 200 and done.headers["hx-trigger"] == "carriers-changed"
    again = client.get(partial).text
    assert again.lstrip().startswith("<section") and "<tr><td>FR</td><td>gls</td>" not in again
    assert "<tr><td>FR</td><td>dpd</td>" in again
