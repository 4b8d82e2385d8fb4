"""``channelhub demo``: the whole product on the embedded default, against the sandbox.

Starts the Amazon sandbox on a free loopback port, creates a fresh SQLite database in a
folder, and runs what a seller's first day looks like: connect Amazon UK and DE, import
orders, products and FBA inventory, choose carriers (with Germany left without one, so its
orders land in Pending review), reprice the UK with a rule and push prices and stock, ship a
batch and notify Amazon, redact buyer data as the schedule will, and summarise. Nothing keeps
running afterwards. It lives in the Amazon plugin because it drives the built-in plugins
together; core knows nothing of it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core import crypto
from core.cli.output import advancer, console, print_table, progress_bar
from core.db import migrate
from core.db.base import utcnow
from core.db.models import (
    Listing,
    Order,
    OrderStatus,
    OutboxEntry,
    OutboxKind,
    OutboxState,
)
from core.db.session import get_engine, session_factory
from core.dto import Fulfilment
from core.plugins import PluginManager, get_plugin_manager
from core.services import carriers, catalog, integrations, pricing, sync
from core.settings import get_settings
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

app = typer.Typer()
Sessions = sessionmaker[Session]

MARKETS = ("UK", "DE")
NO_CARRIER_AREA = "DE"


def _use_folder(folder: Path) -> None:
    """Point this process at a fresh SQLite database and key in ``folder`` (embedded mode)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "channelhub.db"
    if database.exists():
        database.unlink()
    os.environ["CHANNELHUB_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["CHANNELHUB_KEY_FILE"] = str(folder / "channelhub.key")
    os.environ.pop("CHANNELHUB_REDIS_URL", None)
    os.environ.pop("CHANNELHUB_SECRET_KEY", None)
    get_settings.cache_clear()
    crypto.get_cipher.cache_clear()
    get_engine.cache_clear()
    # The demo's key encrypts only its sandbox credentials: create it now, without the
    # "back it up" warning meant for real keys (the demo's first lines say where it is).
    key_log = logging.getLogger(crypto.__name__)
    level = key_log.level
    key_log.setLevel(logging.ERROR)
    try:
        crypto.get_cipher()
    finally:
        key_log.setLevel(level)


@app.callback(invoke_without_command=True)
def demo(
    folder: Path | None = typer.Option(
        None, "--dir", help="Where to keep the demo database (default: a new temp folder)."
    ),
    orders: int = typer.Option(1200, min=50, help="Orders the sandbox is seeded with."),
) -> None:
    """Run the whole flow against the Amazon sandbox, in under a minute, and show the result."""
    started = time.monotonic()
    logging.getLogger("plugins").setLevel(logging.WARNING)  # the summary says it; no line per order
    folder = folder or Path(tempfile.mkdtemp(prefix="channelhub-demo-"))
    _use_folder(folder)
    plugins = get_plugin_manager()
    migrate.upgrade(plugins, get_settings().database_url)
    sessions = session_factory()
    config = SandboxConfig(seed=42, orders=orders, time_scale=60)
    with running_sandbox(config) as sandbox:
        _say(
            "channelhub demo: a seller's first day, against the Amazon sandbox (a local stand-in "
            f"for Amazon's Selling Partner API, SP-API) on {sandbox.base_url}."
        )
        _say(
            f"Database: {folder / 'channelhub.db'}. The key encrypting the demo's sandbox "
            "credentials is beside it (channelhub.key); nothing to back up."
        )
        ids = _connect(sessions, plugins, sandbox)
        _leave_area_without_carrier(sessions, plugins, ids["DE"])
        _say(
            "\nImporting orders, product listings and FBA stock (the units Amazon stores and "
            "ships for you, Fulfilled by Amazon):"
        )
        _sync(sessions, plugins, ids, ("orders", "products", "inventory"))
        changed = _reprice_and_restock(sessions, plugins, ids["UK"])
        _say("\nPushing the queued prices and stock to Amazon (bulk feeds, Amazon says yes or no per SKU):")
        _sync(sessions, plugins, ids, ("outbound",))
        shipped, notified = _ship_batch(sessions, plugins)
        redacted = _redact(sessions, plugins)
        throttled = sum(sandbox.stats()["throttled"].values())
        paced = sandbox.stats()["requests"]
    _summary(sessions, changed, shipped, notified, redacted, throttled, sum(paced.values()))
    prog = _how_to_run_me()
    _say(f"\nDone in {time.monotonic() - started:.0f}s. Explore the result, in this shell:")
    _command(
        f"export CHANNELHUB_DATABASE_URL={get_settings().database_url} "
        f"CHANNELHUB_KEY_FILE={get_settings().key_file}"
    )
    for command in (
        "orders list",
        "orders pending",
        "products list",
        "carriers list",
        "shipments pending-notify",
    ):
        _command(f"{prog} {command}")


def _how_to_run_me() -> str:
    """``channelhub`` when that is what the shell finds, else the path this was started as."""
    me = Path(sys.argv[0])
    found = shutil.which("channelhub")
    if me.name != "channelhub" or (found and Path(found).resolve() == me.resolve()):
        return "channelhub"
    relative = os.path.relpath(me)
    return relative if len(relative) < len(str(me)) else str(me)


def _say(text: str) -> None:
    """Prose for people, wrapped between words at the terminal's width."""
    console.print(text, highlight=False, markup=False)


def _command(text: str) -> None:
    """A command to copy: never broken by us (the terminal may wrap it, the copy stays whole)."""
    console.print(f"  {text}", highlight=False, markup=False, soft_wrap=True)


def _connect(sessions: Sessions, plugins: PluginManager, sandbox: RunningSandbox) -> dict[str, int]:
    c = sandbox.credentials
    ids = {}
    with sessions() as session:
        for market in MARKETS:
            integration = integrations.add(
                session,
                plugins,
                channel="amazon",
                verify=False,
                marketplace=market,
                alias=f"amazon-{market.lower()}",
                settings={
                    "seller_id": c.seller_id,
                    "endpoint": sandbox.base_url,
                    "prefill_phone": "+44 20 7946 0000",
                    "prefill_email": "shipping@example.com",
                },
                credentials={
                    "refresh_token": c.refresh_token,
                    "client_id": c.client_id,
                    "client_secret": c.client_secret,
                },
            )
            session.commit()
            verified = integrations.verify(session, integration.id, plugins)
            session.commit()
            _say(f"connected {verified.alias} (Amazon {market}): {verified.status.value}")
            ids[market] = verified.id
    return ids


def _leave_area_without_carrier(sessions: Sessions, plugins: PluginManager, integration_id: int) -> None:
    with sessions() as session:
        for code in carriers.areas(plugins)[NO_CARRIER_AREA]:
            carriers.set_enabled(
                session, plugins, code, NO_CARRIER_AREA, enabled=False, integration_ids=[integration_id]
            )
        session.commit()
    _say(
        f"amazon-de: every carrier switched off for area {NO_CARRIER_AREA}, so its orders will wait "
        "in Pending review (for a person to choose a carrier)"
    )


def _sync(sessions: Sessions, plugins: PluginManager, ids: dict[str, int], streams: tuple[str, ...]) -> None:
    """Each stream with a live bar while it runs, then one plain line with what it did."""
    with progress_bar(transient=True) as bar:
        for market, integration_id in ids.items():
            for stream in streams:
                name = f"amazon-{market.lower()} {stream}"
                begun = time.monotonic()
                task = bar.add_task(name, total=None)
                run = sync.run_stream(sessions, plugins, integration_id, stream, progress=advancer(bar, task))
                bar.remove_task(task)
                bar.console.print(
                    f"  {name}: {run.summary()} ({time.monotonic() - begun:.1f}s)",
                    highlight=False,
                    markup=False,
                )


def _reprice_and_restock(sessions: Sessions, plugins: PluginManager, integration_id: int) -> int:
    with sessions() as session:
        pricing.add_rule(
            session,
            plugins,
            pricing.NewRule(
                rule_type="percent",
                params={"percent": "-5", "rounding": "0.99", "base": "rrp"},
                integration_id=integration_id,
                name="UK launch: 5% under RRP, ending .99",
                priority=10,
            ),
        )
        pricing.configure(session, integration_id, rules_enabled=True)
        # Amazon's reports carry no RRP; a seller's supplier feed would. Use today's price.
        listings = session.scalars(select(Listing).where(Listing.integration_id == integration_id)).all()
        for listing in listings:
            if listing.product.rrp is None and listing.channel_price is not None:
                listing.product.rrp = listing.channel_price
                listing.product.currency = listing.currency
        session.flush()
        changed = pricing.apply(session, plugins, integration_id)
        skus = [lst.channel_sku for lst in listings if lst.fulfilment is Fulfilment.MFN][:5]
        for n, sku in enumerate(skus):
            catalog.set_stock(session, sku, 20 + n)
        session.commit()
    _say(
        f"\nPrice rule on amazon-uk (5% under the recommended retail price, ending in .99): "
        f"{changed} new prices queued. Stock on hand set for {len(skus)} SKUs."
    )
    return int(changed)


def _ship_batch(sessions: Sessions, plugins: PluginManager) -> tuple[int, int]:
    from plugins.shipstation_like.notify import notify_pending
    from plugins.shipstation_like.shipments import create_shipment

    with sessions() as session:
        ready = session.scalars(
            select(Order)
            .where(
                Order.status == OrderStatus.AWAITING_SHIPMENT,
                Order.fulfilment == Fulfilment.MFN,
                Order.carrier_code.is_not(None),
            )
            .order_by(Order.ship_by)
            .limit(25)
        ).all()
        for n, order in enumerate(ready):
            create_shipment(session, plugins, [order], tracking=f"DEMO{n:08d}", batch_id="demo-batch-1")
        session.commit()
    summary = notify_pending(sessions, plugins)
    _say(
        f"\nShipped a batch of {len(ready)} orders with tracking numbers; Amazon was told of "
        f"{summary.sent} of them (confirmShipment)."
    )
    return len(ready), int(summary.sent)


def _redact(sessions: Sessions, plugins: PluginManager) -> int:
    from plugins.shipstation_like.redaction import redact_due

    with sessions() as session:
        count = redact_due(session, plugins, utcnow() + timedelta(days=60))
        session.commit()
    _say(
        f"Redaction, as it will run 60 days from now: buyer names, addresses and phone numbers "
        f"removed from {count} orders Amazon no longer lets sellers keep."
    )
    return count


def _summary(
    sessions: Sessions,
    changed: int,
    shipped: int,
    notified: int,
    redacted: int,
    throttled: int,
    requests: int,
) -> None:
    with sessions() as session:
        by_status = Counter(
            dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        )
        prices = session.scalar(
            select(func.count()).where(
                OutboxEntry.kind == OutboxKind.PRICE, OutboxEntry.state == OutboxState.DONE
            )
        )
    rows = [
        (f"orders {status.value.replace('_', ' ')}", count) for status, count in sorted(by_status.items())
    ]
    rows += [
        ("shipments in the batch", shipped),
        ("shipments Amazon was told of", notified),
        ("requests to Amazon's API (SP-API)", requests),
        ("requests Amazon throttled (HTTP 429: waited, retried)", throttled),
        ("prices queued by the rule", changed),
        ("prices Amazon accepted", prices or 0),
        ("orders with buyer data removed", redacted),
    ]
    print_table("channelhub demo", ["what", "count"], rows)
