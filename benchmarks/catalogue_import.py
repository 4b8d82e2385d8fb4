"""Catalogue import throughput and memory: a generated CSV into PostgreSQL.

Writes a CSV of N products (every column filled, a stock and an RRP on each row), then, in a
fresh process per size against a fresh schema, runs ``channelhub products import``'s service
and prints rows per second and the importing process's peak memory (RSS). Run for 100,000 and
1,000,000 rows to show memory stays flat. Target: >= 50,000 rows/s; peak RSS growth < 20 %.

    python benchmarks/catalogue_import.py [--sizes 100000 1000000] \
        [--database postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

HEADER = ["sku", "title", "ean", "brand", "category", "weight_kg", "cost", "rrp", "currency", "on_hand"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow(
                [f"SKU-{i:08d}", f"Product {i}", f"{5000000000000 + i}", f"Brand {i % 50}",
                 f"Category {i % 200}", f"{(i % 5000) / 1000:.3f}", f"{1 + i % 90}.{i % 100:02d}",
                 f"{10 + i % 90}.{(i * 7) % 100:02d}", "GBP", i % 300]
            )  # fmt: skip


def import_once(database_url: str, path: str) -> None:
    """Child process: migrate, import the file, print one JSON line."""
    from core.db import migrate
    from core.db.session import session_factory
    from core.logs import configure_logging
    from core.plugins import get_plugin_manager
    from core.services import catalogue_import

    configure_logging("WARNING")
    migrate.upgrade(get_plugin_manager(), database_url)
    started = time.perf_counter()
    with session_factory(database_url)() as session:
        report = catalogue_import.import_file(session, Path(path))
        session.commit()
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": report.rows, "bad": report.bad, "seconds": elapsed, "peak_rss_kib": peak_kib}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--database",
        default=os.environ.get("CHANNELHUB_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import_once(*args.child)
        return
    admin = create_engine(args.database)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"catalogue-{size}.csv"
            write_csv(path, size)
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.database else "?"
            url = f"{args.database}{sep}options=-csearch_path%3D{schema}"
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "CHANNELHUB_DATABASE_URL": url},
                ).stdout
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            result = json.loads(out.strip().splitlines()[-1])
            results.append(result)
            print(
                f"{size:>9,} rows: {result['rows'] / result['seconds']:>9,.0f} rows/s "
                f"({result['seconds']:.1f} s), peak RSS {result['peak_rss_kib'] / 1024:.0f} MiB"
            )
    if len(results) > 1:
        growth = results[-1]["peak_rss_kib"] / results[0]["peak_rss_kib"] - 1
        print(f"peak RSS growth from {args.sizes[0]:,} to {args.sizes[-1]:,} rows: {growth:+.1%}")


if __name__ == "__main__":
    main()
