"""Product search: SKU prefixes, then title prefixes (any case), paged across both, through indexes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import not_, select, text
from sqlalchemy.orm import Session

from core.db.models import Product
from core.errors import InputError
from core.services import product_search
from tests.conftest import ON_POSTGRES
from tests.core import factories
from tests.web.conftest import Shop, bearer


@pytest.fixture
def catalogue(session: Session) -> None:
    for sku, title in [
        ("LAMP-1", "Desk lamp"),
        ("LAMP-2", "Floor lamp"),
        ("lamp-3", "Lamp shade"),  # lower-case SKU: a title match, not a SKU one
        ("DESK-1", "Lamp desk, oak"),
        ("CUP_1", "100% cotton cup"),
        ("CUPX1", "Cup"),
    ]:
        factories.product(session, sku, title=title)
    session.commit()


def skus(session: Session, q: str, offset: int = 0, limit: int = 50) -> list[str]:
    return [p.sku for p in product_search.search(session, q, offset=offset, limit=limit).products]


def test_sku_matches_come_first_then_titles_in_any_case(session: Session, catalogue: None) -> None:
    assert skus(session, "LAMP") == ["LAMP-1", "LAMP-2", "DESK-1", "lamp-3"]
    assert skus(session, "desk") == ["LAMP-1"]  # "Desk lamp"; the SKU DESK-1 is upper case
    assert skus(session, "lamp d") == ["DESK-1"]
    assert skus(session, "shade") == []  # a word inside a title is not a prefix


def test_like_wildcards_in_the_text_are_literal(session: Session, catalogue: None) -> None:
    assert skus(session, "CUP_") == ["CUP_1"]
    assert skus(session, "100%") == ["CUP_1"]


def test_pages_follow_each_other_across_skus_and_titles(session: Session, catalogue: None) -> None:
    everything = skus(session, "LAMP")
    for limit in (1, 2, 3):
        paged: list[str] = []
        offset = 0
        while True:
            found = product_search.search(session, "LAMP", offset=offset, limit=limit)
            paged += [p.sku for p in found.products]
            if not found.more:
                break
            offset += limit
        assert paged == everything, limit
    assert skus(session, "LAMP", offset=3) == ["lamp-3"]
    assert skus(session, "LAMP", offset=4) == []


def test_too_long_a_text_names_the_field(client: TestClient, session: Session, shop: Shop) -> None:
    with pytest.raises(InputError) as refused:
        product_search.search(session, "x" * 201, offset=0, limit=10)
    assert refused.value.field == "q"
    answer = client.get("/api/v1/products", params={"q": "x" * 201}, headers=bearer(shop, "host"))
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "q"


def test_api_pages_a_search(client: TestClient, shop: Shop, session: Session) -> None:
    factories.product(session, "OTHER-1", title="Mug rack")
    session.commit()
    host = bearer(shop, "host")
    found: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get("/api/v1/products", params={"q": "MUG", "limit": 2, "offset": offset}, headers=host)
        found += [p["sku"] for p in page.json()["items"]]
        offset = page.json()["next_offset"]
    assert found == [*shop.skus, "OTHER-1"]


@pytest.mark.skipif(not ON_POSTGRES, reason="the indexes are PostgreSQL's (SQLite scans)")
def test_postgresql_reads_the_indexes_not_the_table(session: Session, catalogue: None) -> None:
    # a tiny table: make a scan and a full sort look as dear as they are at a million rows
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_sort = off"))
    for q in ("LAMP", "lamp d"):
        sku_match, title_match, title_order = product_search._conditions(session, q)
        for query in (
            select(Product).where(sku_match).order_by(Product.sku).limit(51),
            select(Product).where(title_match, not_(sku_match)).order_by(*title_order).limit(51),
        ):
            compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
            plan = "\n".join(session.execute(text(f"EXPLAIN {compiled}")).scalars())
            assert "Seq Scan" not in plan, plan
            # the index gives the order; equal titles at most get an incremental sort by id
            assert not re.search(r"(^|->\s+)Sort\s+\(", plan, re.MULTILINE), plan
