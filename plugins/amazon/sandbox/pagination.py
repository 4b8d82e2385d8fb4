"""searchOrders pagination tokens: opaque, HMAC-signed, valid 24 sandbox hours, and bound to
the query they came from.

The model says a ``paginationToken`` expires after 24 hours and that every other parameter
must keep the value it had on the first page. A token is the page's resume state plus its
issue time and a digest of the filters, signed with a key made once per sandbox process, so a
client cannot forge one, and a tampered, stale or foreign token is a 400 InvalidInput (never a
500, which clients would retry).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

LIFETIME_SECONDS = 24 * 3600
"""In Amazon (sandbox) seconds: divided by the time scale on the real clock."""
clock = time.time
"""The issue and expiry clock (a test moves it on a day instead of waiting)."""
_KEY = secrets.token_bytes(32)
_SIGNATURE = 16


MISMATCH = (
    "The paginationToken was issued for other parameter values; "
    "every parameter must keep the value it had on the first page."
)


class TokenError(ValueError):
    """Why a pagination token is refused (the message goes to the client)."""


def _digest(filters: dict[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]


def encode(state: dict[str, Any], filters: dict[str, Any]) -> str:
    """A token resuming ``state``, valid only with the same ``filters``."""
    payload = json.dumps({"s": state, "q": _digest(filters), "t": clock()}, separators=(",", ":")).encode()
    mac = hmac.new(_KEY, payload, hashlib.sha256).digest()[:_SIGNATURE]
    return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")


def decode(token: str, filters: dict[str, Any], time_scale: float) -> dict[str, Any]:
    """The resume state in ``token``; TokenError if forged, expired or from another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("Invalid paginationToken.") from None
    mac, payload = raw[:_SIGNATURE], raw[_SIGNATURE:]
    if not hmac.compare_digest(mac, hmac.new(_KEY, payload, hashlib.sha256).digest()[:_SIGNATURE]):
        raise TokenError("Invalid paginationToken.")
    body = json.loads(payload)
    if (clock() - body["t"]) * time_scale > LIFETIME_SECONDS:
        raise TokenError("The paginationToken has expired; tokens are valid for 24 hours.")
    if body["q"] != _digest(filters):
        raise TokenError(MISMATCH)
    state: dict[str, Any] = body["s"]
    return state
