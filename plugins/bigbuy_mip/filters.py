"""Product filters: which products an integration offers.

A product is excluded from an integration when it matches any *exclude* filter, or when the
integration has *include* filters and it matches none of them. A filter matches when all its
given conditions hold: category and brand (case-insensitive), SKU pattern (shell glob) and, for
exclude filters only, ``stock_below`` (on-hand stock lower than the threshold; unknown stock
is never below). The plugin decides and core stores: :func:`apply_filters` hands the verdict to
``core.services.catalog.set_exclusions``, and core pushes 0 for an excluded listing on every
later push (stock set, order import, adoption) until a filter change lets it go again.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.api import Fulfilment, InputError, Integration, Listing, NotFoundError, Product, set_exclusions
from plugins.bigbuy_mip.models import FilterMode, ProductFilter


def add_filter(
    session: Session,
    integration: Integration,
    mode: str,
    *,
    category: str | None = None,
    brand: str | None = None,
    sku_pattern: str | None = None,
    stock_below: int | None = None,
) -> ProductFilter:
    if mode not in {m.value for m in FilterMode}:
        raise InputError("mode", f"must be include or exclude, got {mode!r}")
    if category is None and brand is None and sku_pattern is None and stock_below is None:
        raise InputError("filter", "give at least one of --category, --brand, --sku-pattern, --stock-below")
    if stock_below is not None:
        if mode == FilterMode.INCLUDE:
            raise InputError("stock_below", "only exclude filters take a stock threshold")
        if stock_below < 0:
            raise InputError("stock_below", "must be 0 or more")
    row = ProductFilter(
        integration_id=integration.id,
        mode=mode,
        category=category,
        brand=brand,
        sku_pattern=sku_pattern,
        stock_below=stock_below,
    )
    session.add(row)
    session.flush()
    return row


def remove_filter(session: Session, filter_id: int) -> Integration:
    """Delete a filter; returns its integration, whose verdict the caller applies again."""
    row = session.get(ProductFilter, filter_id)
    if row is None:
        raise NotFoundError(f"no product filter {filter_id}")
    integration = session.get_one(Integration, row.integration_id)
    session.delete(row)
    session.flush()
    return integration


def list_filters(session: Session, integration_id: int | None = None) -> list[ProductFilter]:
    query = select(ProductFilter).order_by(ProductFilter.id)
    if integration_id is not None:
        query = query.where(ProductFilter.integration_id == integration_id)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class _Compiled:
    mode: str
    category: str | None
    brand: str | None
    sku_pattern: str | None
    stock_below: int | None

    def matches(self, sku: str, category: str | None, brand: str | None, stock: int | None) -> bool:
        if self.category is not None and (category or "").casefold() != self.category:
            return False
        if self.brand is not None and (brand or "").casefold() != self.brand:
            return False
        if self.sku_pattern is not None and not fnmatch.fnmatchcase(sku, self.sku_pattern):
            return False
        return self.stock_below is None or (stock is not None and stock < self.stock_below)


class FilterSet:
    """An integration's filters, compiled once to test many products."""

    def __init__(self, filters: Sequence[ProductFilter]) -> None:
        compiled = [
            _Compiled(
                f.mode,
                f.category.casefold() if f.category else None,
                f.brand.casefold() if f.brand else None,
                f.sku_pattern,
                f.stock_below,
            )
            for f in filters
        ]
        self.includes = [f for f in compiled if f.mode == FilterMode.INCLUDE]
        self.excludes = [f for f in compiled if f.mode == FilterMode.EXCLUDE]

    def excluded(self, sku: str, category: str | None, brand: str | None, stock: int | None) -> bool:
        if self.includes and not any(f.matches(sku, category, brand, stock) for f in self.includes):
            return True
        return any(f.matches(sku, category, brand, stock) for f in self.excludes)


def excluded_listings(session: Session, integration: Integration) -> list[tuple[str, str, int]]:
    """(channel SKU, product SKU, product id) of the integration's MFN listings its filters exclude."""
    filters = FilterSet(list_filters(session, integration.id))
    if not filters.includes and not filters.excludes:
        return []
    rows = session.execute(
        select(
            Listing.channel_sku,
            Product.sku,
            Product.id,
            Product.category,
            Product.brand,
            Product.stock_on_hand,
        )
        .join(Product, Product.id == Listing.product_id)
        .where(Listing.integration_id == integration.id, Listing.fulfilment == Fulfilment.MFN)
        .order_by(Listing.id)
    )
    return [
        (channel_sku, sku, product_id)
        for channel_sku, sku, product_id, cat, brand, stock in rows
        if filters.excluded(sku, cat, brand, stock)
    ]


def apply_filters(session: Session, integration: Integration) -> int:
    """Hand the filters' verdict to core; returns how many products changed side.

    Newly excluded listings are queued to go to 0, listings no filter excludes any more are
    queued with their real available quantity.
    """
    excluded = {product_id for _, _, product_id in excluded_listings(session, integration)}
    return set_exclusions(session, integration.id, excluded)
