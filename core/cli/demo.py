"""``channelhub demo``: the whole product on the embedded default, against a stand-in channel.

A channel plugin offers a stand-in for its channel through ``channelhub_demo_channel`` (the
Amazon plugin: its SP-API sandbox on a free loopback port). The demo creates a fresh SQLite
database in a folder and runs what a seller's first day looks like, through core's services:
connect the stand-in's integrations, leave the last one's country without a carrier (so its
orders land in Pending review), import orders, products and channel-held stock, reprice the
first integration with a rule and push prices and stock, then every plugin's demo steps
(``channelhub_demo_steps``: shipping a batch and notifying the channel, redacting buyer data)
and a summary. Nothing keeps running afterwards, unless ``--serve``: then the web console
serves the demo's database (the stand-in channel still answering, so Retry and syncs work) with
a new owner user whose generated password is printed once, until Ctrl+C. Core names no plugin:
it wires them by hooks.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core import crypto
from core.cli import serve_cmd
from core.cli.output import advancer, console, print_table, progress_bar
from core.db import migrate
from core.db.models import (
    Listing,
    Order,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    UserRole,
)
from core.db.session import get_engine, session_factory
from core.dto import Fulfilment
from core.errors import ConfigError
from core.plugins import PluginManager, get_plugin_manager
from core.services import carriers, catalog, integrations, pricing, sync, users
from core.settings import get_settings
from core.types import ChannelType, DemoRun

Sessions = sessionmaker[Session]


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


def demo(
    folder: Path | None = typer.Option(
        None, "--dir", help="Where to keep the demo database (default: a new temp folder)."
    ),
    orders: int = typer.Option(1200, min=50, help="Orders the stand-in channel is seeded with."),
    serve: bool = typer.Option(
        False, "--serve", help="Then serve the web console on the demo's data (Ctrl+C stops it)."
    ),
    host: str = typer.Option("127.0.0.1", help="With --serve: address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="With --serve: TCP port."),
) -> None:
    """Run the whole flow against a channel plugin's sandbox, in under a minute, and show the result."""
    started = time.monotonic()
    logging.getLogger("plugins").setLevel(logging.WARNING)  # the summary says it; no line per order
    plugins = get_plugin_manager()
    offered = plugins.demo_channel()
    if offered is None:
        raise ConfigError("no installed channel plugin offers a demo stand-in (channelhub_demo_channel)")
    channel = plugins.channel_type(offered.channel_key)
    folder = folder or Path(tempfile.mkdtemp(prefix="channelhub-demo-"))
    _use_folder(folder)
    migrate.upgrade(plugins, get_settings().database_url)
    sessions = session_factory()
    name = channel.display_name
    with offered.start(orders) as stand_in:
        _say(f"channelhub demo: a seller's first day, against {offered.name} on {stand_in.url}.")
        _say(
            f"Database: {folder / 'channelhub.db'}. The key encrypting the demo's sandbox "
            "credentials is beside it (channelhub.key); nothing to back up."
        )
        ids = _connect(sessions, plugins, channel, stand_in)
        _leave_area_without_carrier(sessions, plugins, channel, ids[-1])
        _say(f"\n{offered.import_note}:")
        _sync(sessions, plugins, ids, ("orders", "products", "inventory"))
        changed = _reprice_and_restock(sessions, plugins, ids[0])
        _say(f"\nPushing the queued prices and stock to {name} (bulk, {name} says yes or no per SKU):")
        _sync(sessions, plugins, ids, ("outbound",))
        rows: list[tuple[str, int]] = []
        for step in plugins.demo_steps():
            outcome = step.run(sessions, plugins, name)
            for line in outcome.lines:
                _say(line)
            rows.extend(outcome.rows)
        rows.extend(stand_in.figures())
        _summary(sessions, name, changed, rows)
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
            "users add me --role owner",
            "serve",
        ):
            _command(f"{prog} {command}")
        if serve:
            _serve(sessions, host, port)


DEMO_USER = "demo"


def _serve(sessions: Sessions, host: str, port: int) -> None:
    """The console on the demo's database, with an owner whose password is shown only now."""
    password = secrets.token_urlsafe(12)
    with sessions() as session:
        users.add_user(session, DEMO_USER, UserRole.OWNER, password)
        session.commit()
    _say(f"\nThe web console, on the demo's data (Ctrl+C stops it and the {DEMO_USER!r} user stays):")
    _command(f"http://{host}:{port}/")
    _say("Log in as (the password is shown this once, stored only as a hash):")
    _command(f"user {DEMO_USER}  password {password}")
    serve_cmd.serve(host=host, port=port, with_workers=False, every=30.0)


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


def _connect(
    sessions: Sessions, plugins: PluginManager, channel: ChannelType, stand_in: DemoRun
) -> list[int]:
    """Each of the stand-in's integrations, added (and verified) like ``integrations add``."""
    ids = []
    with sessions() as session:
        for wanted in stand_in.integrations:
            integration = integrations.add(
                session,
                plugins,
                channel.key,
                f"{channel.key}-{wanted.marketplace.lower()}",
                wanted.settings,
                wanted.credentials,
                marketplace=wanted.marketplace,
            )
            session.commit()
            _say(
                f"connected {integration.alias} ({channel.display_name} {wanted.marketplace}): "
                f"{integration.status.value}"
            )
            ids.append(integration.id)
    return ids


def _leave_area_without_carrier(
    sessions: Sessions, plugins: PluginManager, channel: ChannelType, integration_id: int
) -> None:
    """Every carrier off in the integration's country, so its orders wait in Pending review."""
    with sessions() as session:
        integration = integrations.get_integration(session, integration_id)
        market = channel.marketplace(integration.marketplace)
        area = market.country_code if market else None
        codes = carriers.areas(plugins).get(area or "", [])
        for code in codes:
            carriers.set_enabled(
                session, plugins, code, area or "", enabled=False, integration_ids=[integration_id]
            )
        session.commit()
        alias = integration.alias
    if codes:
        _say(
            f"{alias}: every carrier switched off for area {area}, so its orders will wait "
            "in Pending review (for a person to choose a carrier)"
        )


def _sync(sessions: Sessions, plugins: PluginManager, ids: list[int], streams: tuple[str, ...]) -> None:
    """Each stream with a live bar while it runs, then one plain line with what it did."""
    with sessions() as session:
        names = integrations.aliases(session)
    with progress_bar(transient=True) as bar:
        for integration_id in ids:
            for stream in streams:
                name = f"{names[integration_id]} {stream}"
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
                name="Launch: 5% under RRP, ending .99",
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
        alias = integrations.get_integration(session, integration_id).alias
    _say(
        f"\nPrice rule on {alias} (5% under the recommended retail price, ending in .99): "
        f"{changed} new prices queued. Stock on hand set for {len(skus)} SKUs."
    )
    return int(changed)


def _summary(sessions: Sessions, channel_name: str, changed: int, rows: list[tuple[str, int]]) -> None:
    with sessions() as session:
        by_status = Counter(
            dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        )
        prices = session.scalar(
            select(func.count()).where(
                OutboxEntry.kind == OutboxKind.PRICE, OutboxEntry.state == OutboxState.DONE
            )
        )
    table = [
        (f"orders {status.value.replace('_', ' ')}", count) for status, count in sorted(by_status.items())
    ]
    table += [
        *rows,
        ("prices queued by the rule", changed),
        (f"prices {channel_name} accepted", prices or 0),
    ]
    print_table("channelhub demo", ["what", "count"], table)
