"""Benchmark: console page and API latency with 100,000 orders and 1,000,000 products on PostgreSQL.

    CHANNELHUB_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/console.py

Seeds its own schema with SQL ``generate_series`` (seeding is not what is measured), dropped at
the end. Each URL is requested ``--repeat`` times in-process (FastAPI TestClient, so the figures
are the application's and the database's, without a network); prints p50 and p95 in ms.
Target (issue 14): p95 under 200 ms for the list pages and the preview diff.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"

SEED = [
    """INSERT INTO integrations (id, channel_key, marketplace, alias, status, settings,
                                 created_at, updated_at)
       VALUES (1, 'amazon', 'UK', 'amazon-uk', 'live', '{}', now(), now())""",
    """INSERT INTO products (id, sku, title, brand, category, rrp, cost, currency, stock_on_hand,
                             stock_source, created_at, updated_at)
       SELECT g, 'SKU-' || lpad(g::text, 7, '0'), 'Product number ' || g, 'Brand ' || (g % 60),
              'Category ' || (g % 40), 10 + (g % 500) / 10.0, 4 + (g % 300) / 10.0, 'GBP', g % 50, 'hub',
              now(), now()
       FROM generate_series(1, :products) g""",
    """INSERT INTO listings (product_id, integration_id, channel_sku, fulfilment, channel_price, currency,
                             channel_quantity, excluded)
       SELECT g, 1, 'SKU-' || lpad(g::text, 7, '0'), 'mfn', 10 + (g % 500) / 10.0 + (g % 3), 'GBP',
              g % 50, false
       FROM generate_series(1, :products) g""",
    """INSERT INTO orders (id, integration_id, channel_order_id, status, fulfilment, purchase_date, ship_by,
                           currency, total, is_gift, buyer_data_available, ship_country, ship_postal_code,
                           carrier_code, imported_at, updated_at)
       SELECT g, 1, '202-' || lpad(g::text, 7, '0') || '-0000001',
              (ARRAY['awaiting_shipment', 'shipped', 'shipped', 'shipped', 'pending_review',
                     'cancelled'])[1 + g % 6],
              CASE WHEN g % 4 = 0 THEN 'fba' ELSE 'mfn' END,
              now() - (g % 60) * interval '1 day', now() + (g % 96) * interval '1 hour',
              'GBP', 19.99, false, true, 'GB', 'SW1A 1AA', 'royal_mail', now(), now()
       FROM generate_series(1, :orders) g""",
    """INSERT INTO order_items (order_id, product_id, channel_item_id, sku, quantity, unit_price, is_custom)
       SELECT g, 1 + g % :products, 'i' || g, 'SKU-' || lpad((1 + g % :products)::text, 7, '0'),
              1, 19.99, false
       FROM generate_series(1, :orders) g""",
    "SELECT setval(pg_get_serial_sequence('orders', 'id'), :orders)",
    "SELECT setval(pg_get_serial_sequence('products', 'id'), :products)",
    "ANALYZE",
]


def urls(orders: int, products: int) -> list[tuple[str, str]]:
    """(name, path) of every page measured; details point into the middle of the data."""
    return [
        ("orders page", "/orders"),
        ("orders page 20", "/orders?offset=1000"),
        ("orders pending review", "/orders?pending_review=1"),
        ("orders late risk", "/orders?late_risk=1"),
        ("orders API", "/api/v1/orders?limit=50"),
        ("order detail", f"/orders/{orders // 2}"),
        ("products page", "/products"),
        ("products page 200", "/products?offset=10000"),
        ("products search SKU", "/products?q=SKU-00123"),
        ("products search SKU deep", "/products?q=SKU-0&offset=5000"),
        ("products search title", "/products?q=product%20number%2077"),
        ("products search no match", "/products?q=zzz"),
        ("products API", "/api/v1/products?limit=50"),
        ("product detail", f"/products/SKU-{products // 2:07d}"),
        ("integrations page", "/integrations"),
        ("carriers page (with fees)", "/carriers"),
        ("fees API", "/api/v1/fees?integration_id=1"),
        ("errors page", "/errors"),
        ("usage page", "/usage"),
        ("price preview page", "/prices/1/preview"),
        ("price preview API", "/api/v1/prices/1/preview?limit=50&offset=500"),
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    base = os.environ.get("CHANNELHUB_DATABASE_URL", DEFAULT_URL)
    if not base.startswith("postgres"):
        raise SystemExit(
            "benchmarks/console.py measures PostgreSQL: set CHANNELHUB_DATABASE_URL=postgresql://..."
        )
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    os.environ["CHANNELHUB_DATABASE_URL"] = f"{base}{sep}options=-csearch_path%3D{schema}"
    os.environ["CHANNELHUB_SECRET_KEY"] = Fernet.generate_key().decode()
    os.environ.pop("CHANNELHUB_REDIS_URL", None)
    from core.db import migrate
    from core.db.models import UserRole
    from core.db.session import get_engine, session_scope
    from core.plugins import build_plugin_manager
    from core.services import users
    from core.settings import get_settings
    from core.web.app import create_app

    try:
        url = get_settings().database_url
        migrate.upgrade(build_plugin_manager(), url)
        started = time.perf_counter()
        with get_engine(url).begin() as conn:
            for statement in SEED:
                conn.execute(text(statement), {"orders": args.orders, "products": args.products})
        took = time.perf_counter() - started
        print(f"seeded {args.orders:,} orders and {args.products:,} products in {took:.0f}s")
        with session_scope() as session:
            users.add_user(session, "bench", UserRole.OWNER, "bench-password")
            token = users.create_token(session, "bench", "bench").token
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(create_app()) as client:
            print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8}")
            for name, path in urls(args.orders, args.products):
                answer = client.get(path, headers=headers)  # warm: plans, caches
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:200])
                times = []
                for _ in range(args.repeat):
                    begun = time.perf_counter()
                    client.get(path, headers=headers)
                    times.append((time.perf_counter() - begun) * 1000)
                print(f"{name:28} {statistics.median(times):8.1f} {percentile(times, 0.95):8.1f}")
    finally:
        get_engine.cache_clear()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
