"""The one check every price entering the hub passes: ``price set``, ``products set``, imports.

A price is refused at input, never at push: a 0, a negative, or more decimals than the
currency has (ISO 4217 minor units: 2 for EUR, 0 for JPY, 3 for KWD) would otherwise reach
Amazon and come back as a feed error hours later.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.errors import InputError

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
         "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip
"""ISO 4217 currencies whose minor unit is not 2 decimals (every other code has 2)."""

MAX_PRICE = Decimal("1000000")
"""Upper bound for one unit's price: far above any marketplace's limit, well inside NUMERIC(18, 4)."""


def decimals_of(currency: str) -> int:
    """Decimals a ``currency`` (ISO 4217 code) allows; a malformed code is bad input."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InputError("currency", f"must be a 3-letter ISO 4217 code like GBP, got {currency!r}")
    return MINOR_UNITS.get(code, 2)


def parse_price(field: str, value: str | Decimal, currency: str | None) -> Decimal:
    """``value`` as an exact price in ``currency``, or an :class:`InputError` naming ``field``.

    Without a currency only the sign and size are checked (each listing then brings its own).
    """
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(field, f"must be a number like 12.99, got {value!r}") from None
    if not amount.is_finite():
        raise InputError(field, f"must be a number like 12.99, got {value!r}")
    if amount <= 0:
        raise InputError(field, f"must be more than 0, got {amount}")
    if amount > MAX_PRICE:
        raise InputError(field, f"must be at most {MAX_PRICE}, got {amount}")
    if currency is not None:
        places = decimals_of(currency)
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise InputError(
                field, f"{currency.upper()} has {places} decimal(s), got {amount} ({-exponent} decimals)"
            )
    return amount
