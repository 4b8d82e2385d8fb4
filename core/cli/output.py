"""Printing helpers shared by commands: tables for people, JSON for scripts."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def redact_url(url: str) -> str:
    """A URL without its password, fit for an error message or a start-up line."""
    return re.sub(r"(//[^:/@]*):[^@/]+@", r"\1:***@", url)  # also redis://:password@host


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


def print_json(data: Any) -> None:
    """JSON on stdout, nothing else, so ``| jq`` always works (convention: docs/cli.md)."""
    sys.stdout.write(to_json(data) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table that keeps ids whole: a column whose values have no spaces (ids, SKUs,
    amounts, statuses) never wraps or shrinks; columns of prose give up the room instead."""
    cells = [[_cell(v) for v in row] for row in rows]
    table = Table(title=title)
    for n, column in enumerate(columns):
        values = [row[n] for row in cells if n < len(row)]
        if values and not any(" " in v for v in values):
            widest = min(max(len(column), *(len(v) for v in values)), ID_WIDTH_CAP)
            table.add_column(column, no_wrap=True, min_width=widest)
        else:
            table.add_column(column)
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _cell(value: Any) -> str:
    """A table cell: a time to the minute in UTC (the seconds and offset are for --json)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(UTC)
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)


ID_WIDTH_CAP = 40
"""Past this, even an id column may fold: a table wider than any terminal helps nobody."""


def progress_bar(*, transient: bool = False) -> Progress:
    """The progress display long commands share (sync run, demo)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )


def advancer(bar: Progress, task: TaskID) -> Callable[[str, int], None]:
    """A ``core.services.sync.Progress`` callback moving ``task`` on ``bar``."""
    return lambda _what, count: bar.advance(task, count)
