"""Login with Amazon: refresh token -> access token, cached until shortly before it expires.

SP-API takes only the LWA access token (``x-amz-access-token``); requests are no longer
SigV4-signed. Tokens are cached per (client id, refresh token) and shared by every client in
the process; a 401/403 "Unauthorized" invalidates the cached token once so the next call
refreshes it. The refresh token and client secret are never logged.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

import httpx

from core.api import ChannelAuthError, Secrets, TransientChannelError

REFRESH_MARGIN = 60.0
"""Seconds before expiry at which a cached token is considered stale."""


@dataclass(frozen=True, slots=True)
class LwaCredentials:
    client_id: str
    client_secret: str
    refresh_token: str

    @classmethod
    def from_secrets(
        cls, secrets: Secrets, *, client_id: str = "", client_secret: str = ""
    ) -> LwaCredentials:
        """The integration's stored credentials, with the app's id and secret as fallback."""
        return cls(
            client_id=secrets.get("client_id") or client_id,
            client_secret=secrets.get("client_secret") or client_secret,
            refresh_token=secrets.get("refresh_token", ""),
        )

    def cache_key(self) -> str:
        return hashlib.sha256(f"{self.client_id}\0{self.refresh_token}".encode()).hexdigest()


_cache: dict[str, tuple[str, float]] = {}
_cache_lock = threading.Lock()


class LwaTokens:
    """Access tokens for one seller's credentials."""

    def __init__(self, http: httpx.Client, token_url: str, credentials: LwaCredentials) -> None:
        self._http = http
        self._url = token_url
        self._credentials = credentials
        self._key = credentials.cache_key()

    def access_token(self) -> str:
        with _cache_lock:
            cached = _cache.get(self._key)
        if cached and cached[1] - REFRESH_MARGIN > time.monotonic():
            return cached[0]
        return self._refresh()

    def invalidate(self) -> None:
        with _cache_lock:
            _cache.pop(self._key, None)

    def _refresh(self) -> str:
        creds = self._credentials
        missing = [
            n
            for n, v in (
                ("refresh_token", creds.refresh_token),
                ("client_id", creds.client_id),
                ("client_secret", creds.client_secret),
            )
            if not v
        ]
        if missing:
            raise ChannelAuthError(f"Login with Amazon needs {', '.join(missing)}", code="MissingCredentials")
        try:
            response = self._http.post(
                self._url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": creds.refresh_token,
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                },
            )
        except httpx.HTTPError as exc:
            raise TransientChannelError(f"Login with Amazon unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise TransientChannelError(f"Login with Amazon answered {response.status_code}")
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if response.status_code != 200 or "access_token" not in body:
            code = body.get("error", f"HTTP {response.status_code}")
            description = body.get("error_description", "")
            raise ChannelAuthError(
                f"Login with Amazon refused the credentials ({code}: {description}); "
                "re-authorise the app in Seller Central and update the refresh token",
                code=code,
                operation="lwa.token",
            )
        token = str(body["access_token"])
        expires = time.monotonic() + float(body.get("expires_in", 3600))
        with _cache_lock:
            _cache[self._key] = (token, expires)
        return token
