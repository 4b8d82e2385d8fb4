"""``core.db.members.member_of``: any number of values as one bound parameter, compiled once.

The statement is cached like any other SQLAlchemy statement, so the danger is the opposite
one: a cached statement answering with the values of an earlier execution. Each query here
runs again with other values and must see them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.orm import Session

from core.db.members import member_of
from core.db.models import Product
from tests.core import factories

SKUS = [f"SKU-{i}" for i in range(12)]


def _ids_by_sku(session: Session) -> dict[str, int]:
    products = [factories.product(session, sku=sku) for sku in SKUS]
    session.flush()
    return {p.sku: p.id for p in products}


def test_each_execution_sees_its_own_values_and_reuses_the_compiled_statement(session: Session) -> None:
    ids = _ids_by_sku(session)
    asked = [["SKU-1"], ["SKU-2", "SKU-3"], [], ["SKU-11", "nope", *SKUS[:4]]]
    hits = []
    for skus in asked:
        statement = select(Product.sku).where(member_of(Product.sku, skus))
        result = session.connection().execute(statement)
        assert sorted(result.scalars()) == sorted(s for s in skus if s in ids)
        context = result.context
        assert isinstance(context, DefaultExecutionContext)
        hits.append(context.cache_hit)
    by_id = session.scalars(select(Product.sku).where(member_of(Product.id, [ids["SKU-5"], ids["SKU-6"]])))
    assert sorted(by_id) == ["SKU-5", "SKU-6"]
    assert hits[1:] == [CacheStats.CACHE_HIT] * (len(asked) - 1)


def test_more_values_than_any_parameter_limit(session: Session) -> None:
    ids = _ids_by_sku(session)
    many = [*range(-100_000, 0), *ids.values()]
    assert len(session.scalars(select(Product.id).where(member_of(Product.id, many))).all()) == len(SKUS)
