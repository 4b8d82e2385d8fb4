"""The sandbox's live, in-memory state. One lock guards all mutation; reads of immutable
pre-rendered order JSON take no lock."""

from __future__ import annotations

import bisect
import gc
import heapq
import itertools
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from plugins.amazon.sandbox.config import SandboxConfig
from plugins.amazon.sandbox.faults import FaultBoard
from plugins.amazon.sandbox.mcf_seed import generate_fulfillment_orders
from plugins.amazon.sandbox.render import RenderedOrder, render
from plugins.amazon.sandbox.seed import Catalogue, Listing, OrderSpec, generate_listings, generate_order
from plugins.amazon.sandbox.throttle import Throttle

Key = tuple[float, str]


class StoredOrder:
    """An order and its JSON fragments. Seeded orders are rendered up front so pages stay
    cheap; a changed order is re-rendered on its next read."""

    __slots__ = ("_rendered", "spec")

    def __init__(self, spec: OrderSpec, rendered: RenderedOrder | None = None) -> None:
        self.spec = spec
        self._rendered = rendered

    @property
    def rendered(self) -> RenderedOrder:
        rendered = self._rendered
        if rendered is None:
            # Two threads may race to render the same order; both produce the same value.
            rendered = self._rendered = render(self.spec)
        return rendered


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An LWA access token or a Restricted Data Token, with what it may reach."""

    token: str
    seller_id: str
    expires_at: float
    restricted_paths: frozenset[str] | None = None
    """For an RDT: the paths whose restricted data it unlocks; ``{name}`` matches one segment."""

    def covers(self, path: str) -> bool:
        """Whether this token is an RDT for ``path`` (a request path, without query)."""
        if self.restricted_paths is None:
            return False
        segments = path.strip("/").split("/")
        for pattern in self.restricted_paths:
            parts = pattern.strip("/").split("/")
            if len(parts) == len(segments) and all(
                p == s or (p.startswith("{") and p.endswith("}"))
                for p, s in zip(parts, segments, strict=True)
            ):
                return True
        return False


@dataclass(slots=True)
class Confirmation:
    order_id: str
    body: Any
    time: str


class OrderStore:
    """Orders by id plus sorted indexes by created time and by last-updated time, each kept
    for all orders and per marketplace, so a page is a bisect and a short scan of the
    marketplaces asked for (as Amazon's own store is partitioned), not of every order."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredOrder] = {}
        self.by_created: list[Key] = []
        self.by_updated: list[Key] = []
        self._created_in: dict[str, list[Key]] = {}
        self._updated_in: dict[str, list[Key]] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def load(self, specs: list[OrderSpec]) -> None:
        for spec in specs:
            self.by_id[spec.order_id] = StoredOrder(spec, render(spec))
        self.by_created = sorted((s.created.timestamp(), s.order_id) for s in specs)
        self.by_updated = sorted((s.last_updated.timestamp(), s.order_id) for s in specs)
        self._created_in, self._updated_in = {}, {}
        for index, by_market in ((self.by_created, self._created_in), (self.by_updated, self._updated_in)):
            for key in index:  # already sorted: each marketplace's list comes out sorted too
                by_market.setdefault(self._market(key[1]), []).append(key)

    def _market(self, order_id: str) -> str:
        return self.by_id[order_id].spec.marketplace.marketplace_id

    def add(self, spec: OrderSpec) -> None:
        self.by_id[spec.order_id] = StoredOrder(spec)
        market = spec.marketplace.marketplace_id
        for key, index, by_market in (
            ((spec.created.timestamp(), spec.order_id), self.by_created, self._created_in),
            ((spec.last_updated.timestamp(), spec.order_id), self.by_updated, self._updated_in),
        ):
            bisect.insort(index, key)
            bisect.insort(by_market.setdefault(market, []), key)

    def updated(self, spec: OrderSpec, previous_update: datetime) -> None:
        """Move changed ``spec`` in the last-updated indexes; it is re-rendered on its next read."""
        old = (previous_update.timestamp(), spec.order_id)
        new = (spec.last_updated.timestamp(), spec.order_id)
        for index in (self.by_updated, self._updated_in.setdefault(spec.marketplace.marketplace_id, [])):
            i = bisect.bisect_left(index, old)
            if i < len(index) and index[i] == old:
                del index[i]
            bisect.insort(index, new)
        self.by_id[spec.order_id] = StoredOrder(spec)

    def scan(
        self, by: str, start: Key, inclusive: bool, until: float, marketplaces: set[str] | None = None
    ) -> Iterator[StoredOrder]:
        """Orders by ``by`` ("created" or "updated") from ``start`` (excluded unless
        ``inclusive``) up to ``until``, of the given marketplaces (None: all), in index order."""
        if marketplaces:
            by_market = self._created_in if by == "created" else self._updated_in
            parts = [self._slice(by_market.get(m, []), start, inclusive, until) for m in sorted(marketplaces)]
            keys: Iterator[Key] = parts[0] if len(parts) == 1 else heapq.merge(*parts)
        else:
            index = self.by_created if by == "created" else self.by_updated
            keys = self._slice(index, start, inclusive, until)
        by_id = self.by_id
        for _, order_id in keys:
            yield by_id[order_id]

    @staticmethod
    def _slice(index: list[Key], start: Key, inclusive: bool, until: float) -> Iterator[Key]:
        pos = (bisect.bisect_left if inclusive else bisect.bisect_right)(index, start)
        for i in range(pos, len(index)):
            key = index[i]
            if key[0] > until:
                return
            yield key


@dataclass
class SandboxState:
    """Everything the sandbox serves and records; built deterministically from the config."""

    config: SandboxConfig
    anchor: datetime
    orders: OrderStore = field(default_factory=OrderStore)
    listings: dict[str, Listing] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    confirmations: list[Confirmation] = field(default_factory=list)
    faults: FaultBoard = field(init=False)
    _rng: random.Random = field(init=False)
    requests: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    feeds: dict[str, Any] = field(default_factory=dict)
    """Feeds by id (``feeds.Feed``)."""
    reports: dict[str, Any] = field(default_factory=dict)
    """Reports by id (``reports.Report``)."""
    documents: dict[str, Any] = field(default_factory=dict)
    """Feed and report documents by id (``documents.Document``)."""
    fulfillment_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    jobs: list[tuple[float, int, Callable[[SandboxState], None]]] = field(default_factory=list)
    _job_ids: itertools.count[int] = field(default_factory=itertools.count)
    throttle: Throttle = field(init=False)
    next_order_index: int = 0
    base_url: str = ""
    """Where clients reach the sandbox (document URLs point there); set by the server."""

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.config.time_scale)
        # Seeded: which 429s lack the rate header and when a fault fires by chance, not secrets.
        self._rng = random.Random(self.config.seed)  # noqa: S311
        self.faults = FaultBoard(random.Random(self.config.seed + 1))  # noqa: S311

    @classmethod
    def build(cls, config: SandboxConfig) -> SandboxState:
        # An hour back, so even the newest seeded order is past searchOrders' settling time.
        anchor = config.anchor or datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(
            hours=1
        )
        state = cls(config=config, anchor=anchor)
        state.seed()
        return state

    def seed(self) -> None:
        """(Re)build all seeded data: listings, orders, MCF orders; clear every record."""
        cfg = self.config
        listings = generate_listings(cfg.seed, cfg.listings, self.anchor)
        self.listings = {lst.sku: lst for lst in listings}
        self.orders = OrderStore()
        catalogue = Catalogue.of(listings)
        # Seeding allocates millions of long-lived objects: pausing the cyclic collector
        # meanwhile, then freezing them out of its reach, saves a fifth of the seeding time
        # and keeps later collections from rescanning them while serving.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.orders.load(
                [generate_order(cfg.seed, i, catalogue, None, self.anchor) for i in range(cfg.orders)]
            )
        finally:
            if collecting:
                gc.enable()
        gc.freeze()
        self.next_order_index = cfg.orders
        self.fulfillment_orders = generate_fulfillment_orders(
            cfg.seed, cfg.fulfillment_orders, listings, self.anchor
        )
        self.tokens.clear()
        self.confirmations.clear()
        self.faults.clear()
        for fault in cfg.faults:
            self.faults.arm(replace(fault))
        self.requests.clear()
        self.throttled.clear()
        self.feeds.clear()
        self.reports.clear()
        self.documents.clear()
        self.jobs.clear()
        self.throttle.reset()

    def add_orders(self, count: int) -> list[str]:
        """``count`` new orders placed now (deterministic from the seed and their index)."""
        with self.lock:
            catalogue = Catalogue.of(list(self.listings.values()))
            ids = []
            for _ in range(count):
                spec = generate_order(
                    self.config.seed, self.next_order_index, catalogue, datetime.now(UTC), self.anchor
                )
                self.next_order_index += 1
                spec.last_updated = spec.created
                self.orders.add(spec)
                ids.append(spec.order_id)
            return ids

    def processing_delay(self) -> float:
        """Real seconds a feed or report takes: Amazon's delay on the scaled clock."""
        return self.config.processing_seconds / self.config.time_scale

    def schedule(self, delay: float, job: Callable[[SandboxState], None]) -> float:
        """Run ``job`` (under the lock) on the first request at least ``delay`` seconds from now."""
        due = time.monotonic() + delay
        with self.lock:
            heapq.heappush(self.jobs, (due, next(self._job_ids), job))
        return due

    def advance(self) -> None:
        """Run the jobs that are due (feed and report processing). Called on each request,
        so processing happens lazily but in order, with no background thread."""
        if not self.jobs or self.jobs[0][0] > time.monotonic():
            return
        with self.lock:
            while self.jobs and self.jobs[0][0] <= time.monotonic():
                _, _, job = heapq.heappop(self.jobs)
                job(self)

    def issue_token(self, seller_id: str, restricted_paths: frozenset[str] | None = None) -> AccessToken:
        prefix = "Atz.sprdt|" if restricted_paths is not None else "Atza|"
        token = AccessToken(
            prefix + secrets.token_urlsafe(24),
            seller_id,
            time.time() + self.config.token_ttl_seconds,
            restricted_paths,
        )
        with self.lock:
            self.tokens[token.token] = token
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def revoke_token(self, token: str) -> None:
        """Expire one access token now (the ``token_expiry`` fault)."""
        with self.lock:
            self.tokens.pop(token, None)

    def omit_limit_header(self) -> bool:
        """Whether this 429 goes without ``x-amzn-RateLimit-Limit`` (a configured share do)."""
        with self.lock:
            return self._rng.random() < self.config.limit_header_omitted

    def stats(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {"requests": dict(self.requests), "throttled": dict(self.throttled)}
