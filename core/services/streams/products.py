"""The ``products`` stream: the channel's listings (price edits made on the channel come back)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.members import member_of
from core.db.models import (
    Listing,
)
from core.dto import (
    ChannelProduct,
    Fulfilment,
    InventoryLevel,
    RecordFailure,
)
from core.logs import get_logger
from core.services import (
    catalog,
    quarantine,
)
from core.services.streams.runner import Runner
from core.types import ChannelConnector

log = get_logger(__name__)


def upsert_listings(
    runner: Runner,
    session: Session,
    rows: Sequence[ChannelProduct | InventoryLevel],
    *,
    stock_only: bool,
    first_import: bool = False,
) -> None:
    """Listings of this integration by channel SKU; the same SKU elsewhere is the same product.

    MFN listing quantities are adopted as on hand for products whose stock the hub has never
    learned (``catalog.adopt_stock``); nothing is queued for them, so the listing keeps its value.
    """
    integration_id = runner.integration.id
    skus = {row.sku for row in rows}
    titles = {row.sku: getattr(row, "title", None) for row in rows}
    ids = catalog.product_ids_for(session, skus, titles)
    existing = {
        listing.channel_sku: listing
        for listing in session.scalars(
            select(Listing).where(
                Listing.integration_id == integration_id, member_of(Listing.channel_sku, skus)
            )
        )
    }
    now = utcnow()
    observed: dict[int, int] = {}
    for row in rows:
        listing = existing.get(row.sku)
        if listing is None:
            listing = Listing(product_id=ids[row.sku], integration_id=integration_id, channel_sku=row.sku)
            session.add(listing)
            existing[row.sku] = listing
            runner.run.add("listings_created")
        else:
            runner.run.add("listings_updated")
        listing.fulfilment = row.fulfilment
        listing.asin = row.asin or listing.asin
        listing.last_seen_at = now
        if isinstance(row, InventoryLevel):
            listing.channel_quantity = row.quantity
        elif not stock_only:
            listing.channel_quantity = row.quantity if row.quantity is not None else listing.channel_quantity
            if row.price is not None:
                listing.channel_price = row.price.amount
                listing.currency = row.price.currency
            if row.fulfilment is Fulfilment.MFN and row.quantity is not None:
                seen = observed.get(ids[row.sku])
                observed[ids[row.sku]] = row.quantity if seen is None else min(seen, row.quantity)
    if observed:
        adoption = catalog.adopt_stock(session, observed, first_import=first_import)
        if adoption.adopted:
            runner.run.add("stock_adopted", len(adoption.adopted))
        if adoption.conflicts:
            runner.run.add("stock_conflicts", len(adoption.conflicts))


def _products(runner: Runner, connector: ChannelConnector) -> None:
    first_import = runner.first_run()
    for batch in connector.fetch_products():
        good, bad = _valid_products(batch)
        with runner.sessions() as session:
            runner.fence(session)
            upsert_listings(runner, session, good, stock_only=False, first_import=first_import)
            runner.record_failures(session, bad)
            quarantine.resolve(session, runner.integration.id, "products", (p.sku for p in good))
            runner.commit_batch(session)
        runner.progress("products", len(batch))


def _valid_products(batch: Sequence[ChannelProduct]) -> tuple[list[ChannelProduct], list[RecordFailure]]:
    good, bad = [], []
    for product in batch:
        if not product.sku:
            bad.append(RecordFailure("<no sku>", "sku: is empty"))
        elif product.quantity is not None and product.quantity < 0:
            bad.append(RecordFailure(product.sku, f"quantity: must not be negative, got {product.quantity}"))
        else:
            good.append(product)
    return good, bad


class ProductsStream:
    """The ``products`` stream, as the sync engine runs it."""

    name = "products"

    def run(self, runner: Runner, connector: ChannelConnector) -> None:
        _products(runner, connector)
