"""Order import throughput and memory: the sandbox (throttling off) into PostgreSQL.

For each size, against a fresh schema and a fresh sandbox, three figures of the very same
orders (one integration per sandbox marketplace, the ten imported by the orders stream):

- **end to end**: ``sync.run_stream`` as a worker runs it, the channel's pages fetched over
  HTTP, decoded, mapped, validated, written and given carriers. ``--workers N`` runs the
  integrations in N processes at once, as N ``channelhub worker`` processes would share them
  (default: 1 and 2), timed from the moment the workers are up (their start-up, paid once per
  worker, left out). Target: >= 5,000 orders/s.
- **write path**: the same stream fed from memory (every page fetched before the clock
  starts), in one process: validation, the bulk upsert, the lease and cursor, carrier
  selection, commits. Target: >= 25% of COPY's rate.
- **COPY**: PostgreSQL's ``COPY`` of the rows just imported into empty copies of the order
  tables with the same columns, indexes, checks and foreign keys: the database's own speed
  limit for these rows (the median of three loads: a single one moves by tens of percent with
  a checkpoint). The foreign keys cost PostgreSQL a lookup per order and two per item, which
  the import's writes pay too; ``COPY noFK`` (copies without them, as ``LIKE ... INCLUDING
  ALL`` makes them) is printed beside it.

Also the time per order (target: at 500k within 10% of 10k) and the importing process's peak
memory (target: growth < 20%). The load average is printed with each line: the machine is
shared, and other work slows every figure.

    python benchmarks/ingest.py [--sizes 10000 100000 500000] [--workers 1 2] [--database postgresql://postgres@127.0.0.1:5432/test]
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
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import create_engine, text

SANDBOX_MARKETPLACES = ["UK", "DE", "FR", "IT", "ES", "NL", "TR", "US", "CA", "JP"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _world(database_url: str) -> tuple[Any, Any]:
    """This process as the ``channelhub`` command sets one up: logging, GC, plugins, sessions."""
    from core.db.session import session_factory
    from core.logs import configure_logging
    from core.plugins import get_plugin_manager
    from core.runtime import tune_garbage_collector

    configure_logging("WARNING")
    tune_garbage_collector()
    return get_plugin_manager(), session_factory(database_url)


def connect_all(database_url: str, base_url: str) -> list[int]:
    """Migrate the schema and add one Live integration per sandbox marketplace."""
    from core.db import migrate
    from core.services import integrations
    from plugins.amazon.sandbox.config import SandboxCredentials

    plugins, sessions = _world(database_url)
    migrate.upgrade(plugins, database_url)
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
    return ids


def import_orders(database_url: str, ids: list[int]) -> None:
    """Worker process: run the orders stream of these integrations; print one JSON line with
    when the imports started and finished (wall clock, shared by the workers of one run)."""
    from core.services import sync

    plugins, sessions = _world(database_url)
    created = 0
    started = time.time()
    for integration_id in ids:
        created += sync.run_stream(sessions, plugins, integration_id, "orders").counts.get("created", 0)
    finished = time.time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"orders": created, "started": started, "finished": finished, "peak_rss_mb": peak / 1024})
    )


def end_to_end(database_url: str, base_url: str, workers: int) -> None:
    """Child process: connect, import in ``workers`` processes at once, then COPY the same rows.

    Timed from the first worker's start of its imports to the last one's end: a worker's own
    start-up (the interpreter, imports, plugin discovery: about a second) is paid once per
    ``channelhub worker``, not per import, and is left out."""
    ids = connect_all(database_url, base_url)
    shares = [ids[w::workers] for w in range(workers)]
    env = {**os.environ, "CHANNELHUB_DATABASE_URL": database_url}
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--import", database_url, ",".join(map(str, share))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    outputs = [p.communicate() for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        if proc.returncode:
            raise SystemExit(f"a worker failed:\n{err[-3000:]}")
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    elapsed = max(r["finished"] for r in results) - min(r["started"] for r in results)
    _, sessions = _world(database_url)
    print(
        json.dumps(
            {
                "orders": sum(r["orders"] for r in results),
                "seconds": elapsed,
                **copy_same_rows(sessions),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
            }
        )
    )


class Replay:
    """A connector whose orders pages were all fetched (by the real connector) beforehand."""

    def __init__(self, real: Any, pages: list[Any]) -> None:
        self._real, self._pages = real, pages

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[Any]:
        yield from self._pages

    def close(self) -> None:
        self._real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def write_path(database_url: str, base_url: str) -> None:
    """Child process: fetch every page first, then time the orders stream fed from memory."""
    from core.db.base import utcnow
    from core.services import integrations, sync

    ids = connect_all(database_url, base_url)
    plugins, sessions = _world(database_url)
    since = utcnow() - timedelta(days=30)
    pages: dict[int, list[Any]] = {}
    for integration_id in ids:
        with sessions() as session:
            integration = integrations.get_integration(session, integration_id)
            connector = integrations.build_connector(integration, plugins)
        pages[integration_id] = list(connector.fetch_orders(None, since=since))
        connector.close()
    real_build = integrations.build_connector

    def replaying(integration: Any, plugins: Any) -> Any:
        return Replay(real_build(integration, plugins), pages[integration.id])

    integrations.build_connector = replaying  # type: ignore[assignment]
    started = time.perf_counter()
    created = 0
    for integration_id in ids:
        created += sync.run_stream(sessions, plugins, integration_id, "orders").counts.get("created", 0)
    print(json.dumps({"orders": created, "seconds": time.perf_counter() - started}))


COPY_RUNS = 3
"""COPY is timed this many times and the median kept: one load of a second or two moves by tens
of percent with a checkpoint or autovacuum landing in it, and the ratio is the figure."""

COPIED = ("orders", "order_items")


def _foreign_keys(cursor: Any, table: str, prefix: str) -> list[str]:
    """``table``'s foreign keys as ``ALTER TABLE`` clauses for its copy: ``CREATE TABLE ... (LIKE
    ... INCLUDING ALL)`` copies indexes and checks but not these, and PostgreSQL checks each
    inserted row against them (orders against integrations, items against orders and
    products), as it does on the import's own writes. A key to a copied table points at its copy."""
    cursor.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
        (table,),
    )
    clauses = []
    for (definition,) in cursor.fetchall():
        for copied in COPIED:
            definition = definition.replace(f"REFERENCES {copied}(", f"REFERENCES {prefix}{copied}(")
        clauses.append(f"ADD {definition}")
    return clauses


def copy_same_rows(sessions: Any) -> dict[str, float]:
    """Seconds PostgreSQL's COPY takes to load the very rows just imported into empty copies of
    the order tables: the database's own speed limit. ``copy_seconds``: copies with the same
    columns, indexes, checks and foreign keys as the tables (what the import's own writes
    pay); ``copy_no_fk_seconds``: copies without the foreign keys. Each the median of
    :data:`COPY_RUNS` loads into freshly emptied copies, the two kinds taking turns."""
    with sessions() as session:
        cursor = session.connection().connection.driver_connection.cursor()
        dumps = {}
        for table in COPIED:
            buffer = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            dumps[table] = buffer.getvalue()
            for prefix in ("copy_", "keyed_"):
                cursor.execute(f"CREATE TABLE {prefix}{table} (LIKE {table} INCLUDING ALL)")
            keys = _foreign_keys(cursor, table, "keyed_")
            if keys:
                cursor.execute(f"ALTER TABLE keyed_{table} " + ", ".join(keys))
        session.commit()

        def load(prefix: str) -> float:
            cursor.execute("TRUNCATE " + ", ".join(f"{prefix}{table}" for table in dumps))
            session.commit()
            started = time.perf_counter()
            for table, data in dumps.items():
                with cursor.copy(f"COPY {prefix}{table} FROM STDIN") as copy:
                    copy.write(data)
            session.commit()
            return time.perf_counter() - started

        times: dict[str, list[float]] = {"keyed_": [], "copy_": []}
        for _ in range(COPY_RUNS):
            for prefix, runs in times.items():
                runs.append(load(prefix))
        keyed, plain = (sorted(runs)[COPY_RUNS // 2] for runs in times.values())
        return {"copy_seconds": keyed, "copy_no_fk_seconds": plain}


def _in_fresh_schema(database: str, args: list[str], base_url: str) -> dict[str, float]:
    """Run this script as a child with ``args`` against a schema of its own; its JSON line."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{database}?options=-csearch_path%3D{schema}"
        env = {**os.environ, "CHANNELHUB_DATABASE_URL": url}
        env.pop("CHANNELHUB_REDIS_URL", None)
        child = subprocess.run(
            [sys.executable, __file__, *args, url, base_url], env=env, capture_output=True, text=True
        )
        if child.returncode:
            raise SystemExit(f"import failed:\n{child.stderr[-3000:]}")
        return dict(json.loads(child.stdout.strip().splitlines()[-1]))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_size(size: int, database: str, workers: list[int]) -> dict[str, Any]:
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
        runs = {n: _in_fresh_schema(database, ["--end-to-end", str(n)], base_url) for n in workers}
        return {"runs": runs, "write": _in_fresh_schema(database, ["--write-path"], base_url)}
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--end-to-end", nargs=3, metavar=("WORKERS", "URL", "BASE"), help=argparse.SUPPRESS)
    parser.add_argument("--write-path", nargs=2, metavar=("URL", "BASE"), help=argparse.SUPPRESS)
    parser.add_argument("--import", nargs=2, dest="import_", metavar=("URL", "IDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.end_to_end:
        end_to_end(args.end_to_end[1], args.end_to_end[2], int(args.end_to_end[0]))
        return
    if args.write_path:
        write_path(*args.write_path)
        return
    if args.import_:
        import_orders(args.import_[0], [int(i) for i in args.import_[1].split(",")])
        return
    ends = " ".join(f"{f'e2e x{n}':>9}" for n in args.workers)
    print(
        f"{'seeded':>9} {'imported':>9} {ends} {'write':>9} {'COPY':>9} {'write/COPY':>10} "
        f"{'COPY noFK':>9} {'w/noFK':>7} {'us/order':>9} {'peak MB':>9} load"
    )
    print("(orders/s; COPY: same indexes, checks and foreign keys; noFK: without the foreign keys;")
    print(" us/order and peak MB: 1 worker)")
    results = []
    for size in args.sizes:
        r = run_size(size, args.database, args.workers)
        one = r["runs"][args.workers[0]]
        rates = " ".join(f"{x['orders'] / x['seconds']:>9.0f}" for x in r["runs"].values())
        write_rate = r["write"]["orders"] / r["write"]["seconds"]
        copy_rate = one["orders"] / one["copy_seconds"]
        plain_rate = one["orders"] / one["copy_no_fk_seconds"]
        per_order = one["seconds"] / one["orders"] * 1e6
        results.append((one["seconds"] / one["orders"], one["peak_rss_mb"]))
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"{size:>9} {one['orders']:>9} {rates} {write_rate:>9.0f} {copy_rate:>9.0f} "
            f"{write_rate / copy_rate:>10.1%} {plain_rate:>9.0f} {write_rate / plain_rate:>7.1%} "
            f"{per_order:>9.0f} {one['peak_rss_mb']:>9.1f} {load}"
        )
    if len(results) > 1:
        (first_time, first_peak), (last_time, last_peak) = results[0], results[-1]
        span = f"from {args.sizes[0]} to {args.sizes[-1]}"
        growth, slower = last_peak / first_peak - 1, last_time / first_time - 1
        print(f"{span}: peak memory {growth:+.1%}, per-order time {slower:+.1%}")


if __name__ == "__main__":
    main()
