"""Pages show money with the currency's decimals; the JSON keeps the stored digits."""

from __future__ import annotations

import pytest

from core.web.pages import amount


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        ("68.9800", "GBP", "68.98"),
        ("12.0000", "JPY", "12"),
        ("1.2345", "GBP", "1.2345"),  # a digit the currency has no place for is shown, not rounded away
        (None, "GBP", ""),
        ("5.5", None, "5.5"),  # no currency: as stored
    ],
)
def test_amount(value: str | None, currency: str | None, shown: str) -> None:
    assert amount(value, currency) == shown
