"""The JSON convention of docs/cli.md, shared by the CLI's ``--json`` and the console's HTTP API:
timestamps in ISO 8601 with an offset, money as exact decimal strings, counts as numbers, and the
two keys naming an integration. It lives below both front ends, so neither imports the other.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 with ``T``, whole seconds and an offset (``2026-11-23T18:23:51+00:00``).

    A naive value is UTC (the hub stores UTC everywhere), so every timestamp carries its zone.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="seconds")


def money(amount: Decimal | None) -> str | None:
    """A decimal string (``"19.99"``): exact, unlike a JSON float. Put ``currency`` beside it."""
    return None if amount is None else str(amount)


def number(value: Decimal | int | float) -> int | float:
    """A count as a JSON number: whole counts as integers, fractional ones (FBA = 0.5) as floats."""
    return int(value) if value == int(value) else float(value)


def integration_ref(integration_id: int | None, alias: str | None) -> dict[str, Any]:
    """The two keys every record naming an integration carries (see docs/cli.md)."""
    return {"integration": alias, "integration_id": integration_id}


def _encode(value: Any) -> Any:
    """What ``json`` cannot encode itself, the one way docs/cli.md describes."""
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"{type(value).__name__} has no JSON form in the CLI convention")


def to_json(data: Any, *, indent: int | None = 2) -> str:
    """``data`` in the JSON convention of docs/cli.md (the HTTP API answers the same way)."""
    return json.dumps(data, indent=indent, default=_encode)
