"""The sandbox's live, in-memory state. One lock guards all mutation; reads of immutable
pre-rendered order JSON take no lock."""

from __future__ import annotations

import bisect
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from plugins.amazon.sandbox.config import SandboxConfig
from plugins.amazon.sandbox.render import RenderedOrder, render
from plugins.amazon.sandbox.seed import Listing, OrderSpec, generate_listings, generate_order
from plugins.amazon.sandbox.throttle import Throttle

Key = tuple[float, str]


@dataclass(slots=True)
class StoredOrder:
    spec: OrderSpec
    rendered: RenderedOrder


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An LWA access token or a Restricted Data Token, with what it may reach."""

    token: str
    seller_id: str
    expires_at: float
    restricted_paths: frozenset[str] | None = None
    """For an RDT: the request paths (no query) whose restricted data it unlocks."""


@dataclass(slots=True)
class Confirmation:
    order_id: str
    body: Any
    time: str


@dataclass(slots=True)
class Fault:
    status: int
    remaining: int


class OrderStore:
    """Orders by id plus two sorted indexes, by created time and by last-updated time, so a
    page is a bisect and a short scan."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredOrder] = {}
        self.by_created: list[Key] = []
        self.by_updated: list[Key] = []

    def __len__(self) -> int:
        return len(self.by_id)

    def load(self, specs: list[OrderSpec]) -> None:
        for spec in specs:
            self.by_id[spec.order_id] = StoredOrder(spec, render(spec))
        self.by_created = sorted((s.created.timestamp(), s.order_id) for s in specs)
        self.by_updated = sorted((s.last_updated.timestamp(), s.order_id) for s in specs)

    def add(self, spec: OrderSpec) -> None:
        self.by_id[spec.order_id] = StoredOrder(spec, render(spec))
        bisect.insort(self.by_created, (spec.created.timestamp(), spec.order_id))
        bisect.insort(self.by_updated, (spec.last_updated.timestamp(), spec.order_id))

    def updated(self, spec: OrderSpec, previous_update: datetime) -> None:
        """Re-render ``spec`` after a change and move it in the last-updated index."""
        old = (previous_update.timestamp(), spec.order_id)
        i = bisect.bisect_left(self.by_updated, old)
        if i < len(self.by_updated) and self.by_updated[i] == old:
            del self.by_updated[i]
        bisect.insort(self.by_updated, (spec.last_updated.timestamp(), spec.order_id))
        self.by_id[spec.order_id] = StoredOrder(spec, render(spec))

    def scan(self, index: list[Key], start: Key, inclusive: bool, until: float) -> Iterator[StoredOrder]:
        """Orders in ``index`` from ``start`` (excluded unless ``inclusive``) up to ``until``."""
        pos = (bisect.bisect_left if inclusive else bisect.bisect_right)(index, start)
        by_id = self.by_id
        for ts, order_id in index[pos:]:
            if ts > until:
                return
            yield by_id[order_id]


@dataclass
class SandboxState:
    """Everything the sandbox serves and records; built deterministically from the config."""

    config: SandboxConfig
    anchor: datetime
    orders: OrderStore = field(default_factory=OrderStore)
    listings: dict[str, Listing] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    confirmations: list[Confirmation] = field(default_factory=list)
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    throttle: Throttle = field(init=False)
    next_order_index: int = 0

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.config.time_scale)

    @classmethod
    def build(cls, config: SandboxConfig) -> SandboxState:
        anchor = config.anchor or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        state = cls(config=config, anchor=anchor)
        state.seed()
        return state

    def seed(self) -> None:
        """(Re)build all seeded data: listings, orders, MCF orders; clear every record."""
        cfg = self.config
        listings = generate_listings(cfg.seed, cfg.listings, self.anchor)
        self.listings = {lst.sku: lst for lst in listings}
        self.orders = OrderStore()
        self.orders.load(
            [generate_order(cfg.seed, i, listings, None, self.anchor) for i in range(cfg.orders)]
        )
        self.next_order_index = cfg.orders
        self.tokens.clear()
        self.confirmations.clear()
        self.faults.clear()
        self.requests.clear()
        self.throttled.clear()
        self.feeds.clear()
        self.reports.clear()
        self.documents.clear()
        self.throttle.reset()

    def add_orders(self, count: int) -> list[str]:
        """``count`` new orders placed now (deterministic from the seed and their index)."""
        with self.lock:
            listings = list(self.listings.values())
            ids = []
            for _ in range(count):
                spec = generate_order(
                    self.config.seed, self.next_order_index, listings, datetime.now(UTC), self.anchor
                )
                self.next_order_index += 1
                spec.last_updated = spec.created
                self.orders.add(spec)
                ids.append(spec.order_id)
            return ids

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

    def take_fault(self, key: str) -> int | None:
        """The status to fail this call of ``key`` with, if a fault is armed."""
        with self.lock:
            fault = self.faults.get(key)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self.faults[key]
            return fault.status

    def stats(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {"requests": dict(self.requests), "throttled": dict(self.throttled)}
