"""Find products by the start of a SKU or of a title, a page at a time, at any catalogue size.

A search reads two btree ranges instead of scanning the catalogue (migration 0010): products
whose SKU starts with the text (case-sensitive, as SKUs are), in SKU order, then products whose
title starts with it (case-insensitive) and whose SKU does not, in title order. Each range is
read in the order of its index, so a page costs a few index pages however many products match,
and pages follow one another over the two lists joined end to end.

A word inside a title is not found: that needs a trigram or full-text index, whose upkeep
tripled the catalogue import's cost per row (see migration 0008).

On SQLite (small catalogues, no "C" collation) the same conditions are answered by a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, not_, select
from sqlalchemy.orm import Session

from core.db.models import Product
from core.errors import InputError

MAX_QUERY = 200
"""Longest search text accepted (a SKU column holds 200 characters)."""


@dataclass(frozen=True, slots=True)
class Found:
    """One page of matches; ``more`` says whether another page follows."""

    products: list[Product]
    more: bool


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def _conditions(
    session: Session, q: str
) -> tuple[ColumnElement[bool], ColumnElement[bool], list[ColumnElement[Any]]]:
    """The SKU condition, the title condition, and the title order, for this backend."""
    postgres = session.get_bind().dialect.name == "postgresql"
    title_key: ColumnElement[Any] = func.lower(Product.title)
    if postgres:  # the collation the indexes are built in, so the planner can use them
        title_key = title_key.collate("C")
        sku_match: ColumnElement[bool] = Product.sku.like(f"{_escaped(q)}%", escape="\\")
    else:  # SQLite's LIKE ignores case: compare the start exactly instead
        sku_match = func.substr(Product.sku, 1, len(q)) == q
    title_match = title_key.like(f"{_escaped(q.lower())}%", escape="\\")
    return sku_match, title_match, [title_key, Product.__table__.c.id]


def search(session: Session, q: str | None, *, offset: int, limit: int) -> Found:
    """Products ``offset`` .. ``offset + limit`` of the matches (every product, by SKU, without ``q``)."""
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        raise InputError("q", f"must be at most {MAX_QUERY} characters")
    if not text:
        return _page(session, select(Product).order_by(Product.sku), offset, limit)
    sku_match, title_match, title_order = _conditions(session, text)
    by_sku = _page(session, select(Product).where(sku_match).order_by(Product.sku), offset, limit)
    if by_sku.more:
        return by_sku
    if by_sku.products or offset == 0:
        sku_total = offset + len(by_sku.products)
    else:  # the page starts past every SKU match: how many there are says where titles start
        sku_total = session.scalar(select(func.count()).select_from(Product).where(sku_match)) or 0
    by_title = _page(
        session,
        select(Product).where(title_match, not_(sku_match)).order_by(*title_order),
        max(offset - sku_total, 0),
        limit - len(by_sku.products),
    )
    return Found(by_sku.products + by_title.products, by_title.more)


def _page(session: Session, query: Select[Product], offset: int, limit: int) -> Found:
    rows = list(session.scalars(query.offset(offset).limit(limit + 1)))
    return Found(rows[:limit], len(rows) > limit)
