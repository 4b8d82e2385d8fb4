"""Benchmark: price 1,000,000 products with 50 rules on PostgreSQL (a script, not a test).

The rules are bigbuy_mip's types, compiled by the plugin through ``channelhub_price_formula`` and
run by core's engine (``core.services.price_engine``); apply queues through core's outbox writer.

    CHANNELHUB_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/pricing.py

Works in its own schema, dropped at the end. Prints products priced per second for the bare
computation (rules compiled once, rows already in memory), for the preview (database read +
computation) and the duration of apply (preview + bulk outbox inserts + commit).
Targets: >= 200,000 products/s computation, apply under a minute.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import create_engine, func, select, text

from core.db import migrate
from core.db.models import Integration, Listing, OutboxEntry, PriceRule, Product
from core.db.session import session_factory
from core.plugins import build_plugin_manager
from core.services import pricing
from core.services.price_engine import ListingRow

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
CATEGORIES = [f"Category {i}" for i in range(40)]
BRANDS = [f"Brand {i}" for i in range(60)]


def rules(rng: random.Random, integration_id: int, count: int) -> list[PriceRule]:
    """A realistic mix: most rules narrow by category or brand, some by SKU or price range."""
    made = []
    for i in range(count):
        kind = rng.choice(["percent", "percent", "fixed", "margin", "profit"])
        params: dict[str, object] = {
            "percent": {"percent": str(rng.randint(-20, 40))},
            "fixed": {"amount": str(rng.randint(-5, 10))},
            "margin": {"percent": str(rng.randint(10, 60)), "tax_percent": "21"},
            "profit": {"percent": str(rng.randint(10, 40)), "tax_percent": "21"},
        }[kind] | {"rounding": rng.choice(["none", "0.99", "0.49", "whole"])}
        shape = i % 5
        conditions: dict[str, object] = (
            {"categories": rng.sample(CATEGORIES, 2)}
            if shape in (0, 1)
            else {"brands": rng.sample(BRANDS, 3)}
            if shape == 2
            else {"sku_pattern": f"BB-{rng.randint(0, 9)}*"}
            if shape == 3
            else {"price_min": str(rng.randint(5, 50)), "price_max": str(rng.randint(60, 300))}
        )
        made.append(
            PriceRule(
                integration_id=integration_id,
                name=f"r{i}",
                rule_type=kind,
                priority=i,
                enabled=True,
                conditions=conditions,
                params=params,
            )
        )
    return made


def seed(url: str, n: int, rng: random.Random) -> None:
    """Products and listings through COPY (seeding is not what we measure)."""
    now = datetime.now(UTC).isoformat()
    products, listings = io.StringIO(), io.StringIO()
    for i in range(1, n + 1):
        cost = Decimal(rng.randint(100, 20000)) / 100
        rrp = (cost * Decimal("1.8")).quantize(Decimal("0.01"))
        products.write(
            f"{i}\tBB-{i:07d}\t{rng.choice(BRANDS)}\t{rng.choice(CATEGORIES)}\t{rrp}\t{cost}\tEUR\t5\t{now}\t{now}\n"
        )
        listings.write(f"{i}\t1\tBB-{i:07d}\tmfn\t{rrp}\tEUR\n")
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(
            "COPY products (id, sku, brand, category, rrp, cost, currency, stock_on_hand, created_at, "
            "updated_at) FROM STDIN"
        ) as copy:
            copy.write(products.getvalue())
        with cur.copy(
            "COPY listings (product_id, integration_id, channel_sku, fulfilment, channel_price, currency) "
            "FROM STDIN"
        ) as copy:
            copy.write(listings.getvalue())
        cur.execute("SELECT setval('products_id_seq', %s)", (n,))
        cur.execute("ANALYZE products; ANALYZE listings")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=50)
    args = parser.parse_args()
    base = os.environ.get("CHANNELHUB_DATABASE_URL", DEFAULT_URL)
    if not base.startswith("postgresql"):
        raise SystemExit("this benchmark needs PostgreSQL (CHANNELHUB_DATABASE_URL=postgresql://...)")
    schema = f"bench_pricing_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    rng = random.Random(42)  # noqa: S311 (reproducible test data, not security)
    plugins = build_plugin_manager()
    try:
        migrate.upgrade(plugins, url)
        Session = session_factory(url)
        with Session() as session:
            integration = Integration(channel_key="bench", marketplace="ES", alias="bench", settings={})
            session.add(integration)
            session.flush()
            session.add_all(rules(rng, integration.id, args.rules))
            pricing.configure(session, integration.id, rules_enabled=True, floor_shipping=Decimal("4.50"))
            session.commit()
        started = time.perf_counter()
        seed(url, args.products, rng)
        print(f"seeded {args.products:,} products and listings in {time.perf_counter() - started:.1f} s")

        with Session() as session:
            integration = session.scalar(select(Integration))
            assert integration is not None
            engine = pricing.engine_for(session, plugins, integration.id)
            rows = [
                ListingRow._make(row)
                for row in session.execute(
                    select(*pricing.LISTING_COLUMNS).join(Product, Product.id == Listing.product_id)
                )
            ]
            started = time.perf_counter()
            priced = sum(1 for r in engine.price_many(rows) if r.price is not None)
            elapsed = time.perf_counter() - started
            print(
                f"computation: {priced:,} products in {elapsed:.2f} s = {priced / elapsed:,.0f} products/s "
                f"({args.rules} rules)"
            )

            started = time.perf_counter()
            changes = sum(1 for _ in pricing.changes(session, plugins, integration.id))
            elapsed = time.perf_counter() - started
            print(
                f"preview (read + compute): {args.products:,} listings in {elapsed:.2f} s = "
                f"{args.products / elapsed:,.0f} products/s, {changes:,} changes"
            )

            started = time.perf_counter()
            written = pricing.apply(session, plugins, integration.id)
            session.commit()
            elapsed = time.perf_counter() - started
            queued = session.scalar(select(func.count()).select_from(OutboxEntry))
            assert queued == written == changes
            listings = session.scalar(select(func.count()).select_from(Listing))
            print(f"apply: {written:,} outbox price rows for {listings:,} listings in {elapsed:.1f} s")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
