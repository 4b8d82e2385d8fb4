"""Printing helpers shared by commands: tables for people, JSON for scripts (in the convention
of :mod:`core.json_convention`, shared with the console's API)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
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

from core.json_convention import to_json

console = Console()
err_console = Console(stderr=True)


def redact_url(url: str) -> str:
    """A URL without its password, fit for an error message or a start-up line."""
    return re.sub(r"(//[^:/@]*):[^@/]+@", r"\1:***@", url)  # also redis://:password@host


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
