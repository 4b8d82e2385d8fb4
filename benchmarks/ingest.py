"""Order import throughput and memory: the sandbox (throttling off) into PostgreSQL.

Runs the orders stream of one integration per sandbox marketplace, in a fresh process per
size, against a fresh schema, and prints orders imported per second and the importing
process's peak memory. Run for 10,000 and 100,000 orders to show memory stays flat.
Beside the engine's rate: COPY of the very same rows into empty copies of the tables (the
database's limit; target ratio >= 25%) and the time per order (target: at 500k within 10% of
10k). Target: >= 5,000 orders/s, peak memory growth < 20%. The load average is printed with
each line: the machine is shared, and other work slows every figure.

    python benchmarks/ingest.py [--sizes 10000 100000 500000] [--database postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import create_engine, text

SANDBOX_MARKETPLACES = ["UK", "DE", "FR", "IT", "ES", "NL", "TR", "US", "CA", "JP"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def import_all(database_url: str, base_url: str) -> None:
    """Child process: migrate, connect every marketplace, import, print one JSON line."""
    from core.db import migrate
    from core.db.session import session_factory
    from core.logs import configure_logging
    from core.plugins import get_plugin_manager
    from core.runtime import tune_garbage_collector
    from core.services import integrations, sync
    from plugins.amazon.sandbox.config import SandboxCredentials

    configure_logging("WARNING")
    tune_garbage_collector()  # as the channelhub command does for every process
    plugins = get_plugin_manager()
    migrate.upgrade(plugins, database_url)
    sessions = session_factory(database_url)
    creds = SandboxCredentials()
    ids = []
    with sessions() as session:
        for code in SANDBOX_MARKETPLACES:
            integration = integrations.add(
                session,
                plugins,
                channel="amazon",
                verify=False,
                marketplace=code,
                alias=f"amazon-{code.lower()}",
                settings={"seller_id": creds.seller_id, "endpoint": base_url, "pace_requests": False},
                credentials={
                    "refresh_token": creds.refresh_token,
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                },
            )
            ids.append(integration.id)
        session.execute(text("UPDATE integrations SET status = 'live'"))
        session.commit()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    created = 0
    for integration_id in ids:
        created += sync.run_stream(sessions, plugins, integration_id, "orders").counts.get("created", 0)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    copy_seconds = copy_same_rows(sessions)
    print(
        json.dumps(
            {
                "orders": created,
                "seconds": elapsed,
                "copy_seconds": copy_seconds,
                "peak_rss_mb": peak / 1024,
                "rss_before_mb": rss_before / 1024,
            }
        )
    )


def copy_same_rows(sessions: Any) -> float:
    """Seconds PostgreSQL's COPY takes to load the very rows just imported into empty copies of
    the order tables (same columns, indexes and constraints): the database's own speed limit."""
    with sessions() as session:
        cursor = session.connection().connection.driver_connection.cursor()
        dumps = {}
        for table in ("orders", "order_items"):
            buffer = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            dumps[table] = buffer.getvalue()
            cursor.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
        session.commit()
        started = time.perf_counter()
        for table, data in dumps.items():
            with cursor.copy(f"COPY copy_{table} FROM STDIN") as copy:
                copy.write(data)
        session.commit()
        return time.perf_counter() - started


def run_size(size: int, database: str) -> dict[str, float]:
    port = free_port()
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core",
            "sandbox",
            "amazon",
            "serve",
            "--port",
            str(port),
            "--orders",
            str(size),
            "--no-throttle",
            "--time-scale",
            "600",
            "--seed",
            "5",
        ],
        stdout=subprocess.DEVNULL,
    )
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if sandbox.poll() is not None:
                raise SystemExit("the sandbox did not start")
            try:
                httpx.get(f"{base_url}/_sandbox/stats", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        url = f"{database}?options=-csearch_path%3D{schema}"
        env = {**os.environ, "CHANNELHUB_DATABASE_URL": url}
        env.pop("CHANNELHUB_REDIS_URL", None)
        child = subprocess.run(
            [sys.executable, __file__, "--child", url, base_url],
            env=env,
            capture_output=True,
            text=True,
        )
        if child.returncode:
            raise SystemExit(f"import failed:\n{child.stderr[-3000:]}")
        return dict(json.loads(child.stdout.strip().splitlines()[-1]))
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE_URL", "BASE_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import_all(*args.child)
        return
    header = ("seeded", "imported", "seconds", "orders/s", "COPY/s", "ratio", "us/order", "peak MB")
    print(" ".join(f"{h:>9}" for h in header), "load")
    results = []
    for size in args.sizes:
        r = run_size(size, args.database)
        results.append(r)
        rate = r["orders"] / r["seconds"]
        copy_rate = r["orders"] / r["copy_seconds"]
        per_order = r["seconds"] / r["orders"] * 1e6
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"{size:>9} {r['orders']:>9} {r['seconds']:>9.1f} {rate:>9.0f} {copy_rate:>9.0f} "
            f"{rate / copy_rate:>9.1%} {per_order:>9.0f} {r['peak_rss_mb']:>9.1f} {load}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last["peak_rss_mb"] / first["peak_rss_mb"] - 1
        slower = (last["seconds"] / last["orders"]) / (first["seconds"] / first["orders"]) - 1
        span = f"from {args.sizes[0]} to {args.sizes[-1]}"
        print(f"{span}: peak memory {growth:+.1%}, per-order time {slower:+.1%}")


if __name__ == "__main__":
    main()
