"""Command-line input checked at the edge, before anything reaches the database.

Each checker is a typer ``callback`` (or is called by one): it returns the value, or raises
:class:`core.errors.InputError` naming the option, which the entry point prints as one line
with exit code 2, before any table is touched. The bounds are the ones the database holds:
a PostgreSQL INTEGER, the ``Numeric(18, 4)`` money columns, the declared string lengths.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import typer

from core.errors import InputError

INT_MAX = 2**31 - 1
"""The largest PostgreSQL INTEGER: ids, quantities, priorities."""

QUANTITY_MAX = 1_000_000_000
"""A quantity the hub takes; far above any real stock, far below what overflows a sum."""

MONEY_MAX = Decimal("1e14")
"""Money columns are Numeric(18, 4): fewer than 14 digits before the point."""

OLDEST = datetime(1970, 1, 1, tzinfo=UTC)
NEWEST = datetime(9999, 1, 1, tzinfo=UTC)

_INVISIBLE = {"Cf", "Cc", "Co", "Cs", "Zl", "Zp"}
"""Unicode categories of format (bidi, zero-width), control and private-use characters."""

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
"""A plain decimal: no underscores, no words (NaN, Infinity), no hex."""

T = TypeVar("T")


def _name(param: Any) -> str:
    """The option as a person typed it (``--priority``) or the argument's name (``sku``)."""
    if param is None:
        return "value"
    opts = getattr(param, "opts", None) or []
    longest = max(opts, key=len) if opts else None
    if longest and longest.startswith("-"):
        return str(longest)
    return str(getattr(param, "name", None) or "value")


def check_int(value: int, field: str, *, low: int = 0, high: int = INT_MAX) -> int:
    if not low <= value <= high:
        raise InputError(field, f"must be between {low:,} and {high:,}, got {value:,}"[:200])
    return value


def check_decimal(
    value: Decimal | str | float,
    field: str,
    *,
    low: Decimal = Decimal(0),
    high: Decimal = MONEY_MAX,
    places: int = 4,
) -> Decimal:
    """A finite decimal within ``low``..``high`` (exclusive of ``high``) with at most ``places`` decimals."""
    if not isinstance(value, Decimal) and not _NUMBER.fullmatch(str(value).strip()):
        raise InputError(field, "is not a number like 12.99")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(field, "is not a number like 12.99") from None
    if not number.is_finite():
        raise InputError(field, "must be a finite number (not NaN or infinity)")
    if not low <= number < high:
        raise InputError(field, f"must be at least {low} and less than {high:,.0f}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InputError(field, f"has more than {places} decimal places")
    return number


def check_text(value: str, field: str, *, max_length: int, blank: bool = False) -> str:
    """Printable text that fits its column: no control, bidi or zero-width characters."""
    if not blank and not value.strip():
        raise InputError(field, "must not be blank")
    if len(value) > max_length:
        raise InputError(field, f"must be at most {max_length} characters, got {len(value):,}")
    for char in value:
        if unicodedata.category(char) in _INVISIBLE:
            raise InputError(field, f"contains an invisible or control character (U+{ord(char):04X})")
    return value


def check_secret(value: str, field: str, *, max_length: int = 4096) -> str:
    """A credential: not blank, no whitespace or control characters (never echoed back)."""
    if not value.strip():
        raise InputError(field, "must not be blank")
    if len(value) > max_length:
        raise InputError(field, f"must be at most {max_length} characters")
    if any(char.isspace() or unicodedata.category(char) in _INVISIBLE for char in value):
        raise InputError(field, "must not contain spaces or control characters")
    return value


def check_moment(value: datetime, field: str) -> datetime:
    """An aware date-time the database can store and compare (1970 to 9999, in UTC)."""
    if value.tzinfo is None:
        raise InputError(field, "needs a time zone offset, e.g. 2026-11-23T18:00:00+00:00")
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        raise InputError(field, "is out of range") from None
    if not OLDEST <= moment < NEWEST:
        raise InputError(field, "must be between 1970 and 9999")
    return value


def _each(check: Callable[[Any, str], T]) -> Callable[[typer.Context, Any, Any], Any]:
    def callback(_ctx: typer.Context, param: Any, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return [check(v, _name(param)) for v in value]
        return check(value, _name(param))

    return callback


def db_id(_ctx: typer.Context, param: Any, value: Any) -> Any:
    """A hub id: 1 .. INT_MAX (lists too)."""
    return _each(lambda v, f: check_int(v, f, low=1))(_ctx, param, value)


db_ids = db_id


def quantity(_ctx: typer.Context, param: Any, value: Any) -> Any:
    """A unit count: 0 .. QUANTITY_MAX."""
    return _each(lambda v, f: check_int(v, f, high=QUANTITY_MAX))(_ctx, param, value)


def db_int(_ctx: typer.Context, param: Any, value: Any) -> Any:
    """Any integer a PostgreSQL INTEGER holds (priorities, offsets)."""
    return _each(lambda v, f: check_int(v, f, low=-INT_MAX - 1))(_ctx, param, value)


def money(_ctx: typer.Context, param: Any, value: Any) -> Any:
    """A non-negative amount the money columns hold (prices' own rules are the pricing's).

    Returns the text as given (options typed ``str`` stay strings, e.g. for JSON conditions).
    """
    return _each(lambda v, f: (check_decimal(v, f), v.strip())[1])(_ctx, param, value)


def commission(_ctx: typer.Context, param: Any, value: Any) -> Any:
    """A commission percentage: 0 to under 100, at most 3 decimals (its column's)."""
    return _each(lambda v, f: (check_decimal(v, f, high=Decimal(100), places=3), v.strip())[1])(
        _ctx, param, value
    )


def text(max_length: int) -> Callable[[typer.Context, Any, Any], Any]:
    """Printable text of at most ``max_length`` characters (the column's)."""
    return _each(lambda v, f: check_text(v, f, max_length=max_length))


def secret(_ctx: typer.Context, param: Any, value: Any) -> Any:
    return _each(check_secret)(_ctx, param, value)


def moment(_ctx: typer.Context, param: Any, value: Any) -> Any:
    return _each(check_moment)(_ctx, param, value)


sku = text(200)
"""A SKU (products.sku, listings.channel_sku)."""
alias = text(100)
"""An integration alias: printable, as long as its column."""
code = text(64)
"""A carrier, service or area code."""
label = text(200)
"""A name, brand, category or SKU pattern."""
reference = text(100)
"""A channel order id or tracking number."""
