"""Fault modes: what an integrator (or channelhub's own reliability tests) arms per operation to
make the sandbox misbehave the way Amazon and the network do.

A fault is armed with ``POST /_sandbox/faults`` or ``serve --fault OP:MODE[:ARG]`` and holds for
``count`` requests (default 1, ``None`` = until cleared), optionally firing only with
``probability``. One fault per (operation, mode): arming the same pair again replaces it.
Every decision to fire is taken under one lock, so concurrent workers consume a count exactly
once each and never see a fault fire more often than it was armed for.

Modes, by the moment they act in a request:

- ``latency``: before anything, wait ``seconds`` plus up to ``jitter`` more (real seconds);
- ``reset``: the connection is dropped (TCP RST) before the request is processed;
- ``status``: answer ``status`` (400/429/500/503) without processing;
- ``token_expiry``: the request's access token expires now, answered 403 Unauthorized;
- ``lost_response``: processed, then the connection is closed without an answer;
- ``error_after``: processed, then answered ``status`` (default 500);
- ``bad_json`` / ``truncated_json``: processed, then a 200 whose body does not parse;
- ``corrupt_record``: every page holding the chosen record (``order_id``, else the first record
  of the next page served) serves it corrupted until cleared.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plugins.amazon.operations import OPERATIONS

MODES = (
    "status",
    "latency",
    "lost_response",
    "error_after",
    "reset",
    "bad_json",
    "truncated_json",
    "corrupt_record",
    "token_expiry",
)
CORRUPTIONS = ("wrong_type", "missing_id", "long_field")
FAULT_STATUSES = frozenset({400, 429, 500, 503})
_FIELDS = frozenset(
    {"operation", "mode", "count", "probability", "status", "seconds", "jitter", "corruption", "order_id"}
)


@dataclass(frozen=True, slots=True)
class RecordShape:
    """Where an operation's records sit in its JSON body and which fields a corruption hits."""

    records: tuple[str, ...]
    """Path of keys to the record list (or to the one record)."""
    id_field: str
    wrong_type_field: str
    long_field: tuple[str | int, ...]
    """Path inside a record to a free-text field made over-long."""


CORRUPTIBLE: dict[str, RecordShape] = {
    "orders.searchOrders": RecordShape(
        ("orders",), "orderId", "createdTime", ("orderItems", 0, "product", "sellerSku")
    ),
    "orders.getOrder": RecordShape(
        ("order",), "orderId", "createdTime", ("orderItems", 0, "product", "sellerSku")
    ),
    "listingsItems.searchListingsItems": RecordShape(("items",), "sku", "summaries", ("sku",)),
    "fbaInventory.getInventorySummaries": RecordShape(
        ("payload", "inventorySummaries"), "sellerSku", "totalQuantity", ("productName",)
    ),
    "fulfillmentOutbound.listAllFulfillmentOrders": RecordShape(
        ("payload", "fulfillmentOrders"),
        "sellerFulfillmentOrderId",
        "statusUpdatedDate",
        ("displayableOrderComment",),
    ),
}
LONG_FIELD_LENGTH = 10_000
"""Longer than any text column or model ``maxLength`` (SKUs are at most 40 characters)."""


class FaultError(ValueError):
    """A fault description that cannot be armed; the message names the field."""


@dataclass(slots=True)
class Fault:
    """One armed fault. ``remaining`` None means every request until cleared."""

    operation: str
    mode: str
    remaining: int | None = 1
    probability: float | None = None
    status: int | None = None
    seconds: float = 0.0
    jitter: float = 0.0
    corruption: str | None = None
    order_id: str | None = None
    fired: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "mode": self.mode,
            "count": self.remaining,
            "probability": self.probability,
            "status": self.status,
            "seconds": self.seconds,
            "jitter": self.jitter,
            "corruption": self.corruption,
            "order_id": self.order_id,
            "fired": self.fired,
        }


def _number(body: Mapping[str, Any], name: str, default: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultError(f"{name}: must be a number >= 0, got {value!r}")
    return float(value)


def parse_fault(body: Mapping[str, Any]) -> Fault:
    """The fault ``body`` (the admin endpoint's JSON) describes; FaultError names a bad field."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise FaultError(f"{unknown[0]}: unknown field; known: {', '.join(sorted(_FIELDS))}")
    key = body.get("operation")
    if key not in OPERATIONS:
        raise FaultError(f"operation: unknown operation {key!r}; known: {', '.join(sorted(OPERATIONS))}")
    mode = body.get("mode", "status")
    if mode not in MODES:
        raise FaultError(f"mode: must be one of {', '.join(MODES)}, got {mode!r}")
    probability = body.get("probability")
    if probability is not None and (
        isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1
    ):
        raise FaultError(f"probability: must be a number between 0 and 1, got {probability!r}")
    default_count = None if probability is not None or mode == "corrupt_record" else 1
    count = body.get("count", default_count)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise FaultError(f"count: must be a positive integer or null, got {count!r}")
    fault = Fault(key, mode, count, None if probability is None else float(probability))
    if mode in ("status", "error_after"):
        status = body.get("status", 500 if mode == "error_after" else None)
        if status not in FAULT_STATUSES:
            raise FaultError(f"status: must be one of {sorted(FAULT_STATUSES)}, got {status!r}")
        fault.status = status
    if mode == "latency":
        if "seconds" not in body:
            raise FaultError("seconds: required for mode latency")
        fault.seconds = _number(body, "seconds", 0.0)
        fault.jitter = _number(body, "jitter", 0.0)
    if mode == "corrupt_record":
        if key not in CORRUPTIBLE:
            raise FaultError(f"operation: corrupt_record serves only {', '.join(sorted(CORRUPTIBLE))}")
        if count is not None or probability is not None:
            raise FaultError("count: corrupt_record holds until cleared; give neither count nor probability")
        corruption = body.get("corruption")
        if corruption not in CORRUPTIONS:
            raise FaultError(f"corruption: must be one of {', '.join(CORRUPTIONS)}, got {corruption!r}")
        order_id = body.get("order_id")
        if order_id is not None and (not isinstance(order_id, str) or not order_id):
            raise FaultError(f"order_id: must be a non-empty string, got {order_id!r}")
        fault.corruption, fault.order_id = corruption, order_id
    return fault


def parse_flag(flag: str) -> Fault:
    """``OP:MODE[:ARG][:name=value...]`` from ``serve --fault``, as the admin endpoint's body.

    ARG is the status (status, error_after), the seconds (latency) or the corruption
    (corrupt_record); ``name=value`` sets any other field (``count=null`` = until cleared).
    """
    parts = flag.split(":")
    if len(parts) < 2:
        raise FaultError(f"--fault: expected OPERATION:MODE[:ARG], got {flag!r}")
    body: dict[str, Any] = {"operation": parts[0], "mode": parts[1]}
    positional = {"status": "status", "error_after": "status", "latency": "seconds"}
    for n, part in enumerate(parts[2:]):
        name, sep, raw = part.partition("=")
        if not sep:
            if n != 0 or (parts[1] not in positional and parts[1] != "corrupt_record"):
                raise FaultError(f"--fault: unexpected argument {part!r} in {flag!r}")
            name, raw = positional.get(parts[1], "corruption"), part
        body[name] = _flag_value(name, raw)
    return parse_fault(body)


def _flag_value(name: str, raw: str) -> Any:
    if raw in ("null", "none"):
        return None
    if name in ("corruption", "order_id", "operation", "mode"):
        return raw
    try:
        return int(raw) if name in ("count", "status") else float(raw)
    except ValueError:
        raise FaultError(f"{name}: not a number: {raw!r}") from None


class FaultBoard:
    """The armed faults of one sandbox, safe to consult from many concurrent requests."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[tuple[str, str], Fault] = {}
        self._rng = rng or random.Random()  # noqa: S311 - chance of a fault, not a secret

    def arm(self, fault: Fault) -> None:
        with self._lock:
            self._faults[(fault.operation, fault.mode)] = fault

    def clear(self, operation: str | None = None) -> int:
        """Disarm every fault (of ``operation`` only, when given); how many were armed."""
        with self._lock:
            doomed = [k for k in self._faults if operation is None or k[0] == operation]
            for k in doomed:
                del self._faults[k]
            return len(doomed)

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_json() for _, f in sorted(self._faults.items())]

    def draw(self, operation: str, modes: Iterable[str]) -> Fault | None:
        """The first armed fault of ``modes`` that fires on this request, its count consumed.

        An empty board costs one dict lookup per mode and no lock.
        """
        if not self._faults:
            return None
        with self._lock:
            for mode in modes:
                fault = self._faults.get((operation, mode))
                if fault is None:
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self._faults[(operation, mode)]
                return fault
        return None

    def jitter(self, fault: Fault) -> float:
        """Seconds a latency fault waits this time: its fixed delay plus a random share of jitter."""
        with self._lock:
            return fault.seconds + self._rng.uniform(0, fault.jitter)

    def corruption(self, operation: str) -> Fault | None:
        """The corrupt_record fault of ``operation``, if armed (it holds until cleared)."""
        if not self._faults:
            return None
        with self._lock:
            return self._faults.get((operation, "corrupt_record"))

    def target(self, fault: Fault, first_id: str | None) -> str | None:
        """The record a corrupt_record fault hits: its ``order_id``, else the first record of
        the first page served since it was armed (a concurrent request may have chosen
        already; that choice stands)."""
        with self._lock:
            if fault.order_id is None and first_id is not None:
                fault.order_id = first_id
            return fault.order_id

    def served(self, fault: Fault) -> None:
        """Count one page served with ``fault``'s corrupted record."""
        with self._lock:
            fault.fired += 1
