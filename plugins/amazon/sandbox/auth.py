"""Login with Amazon's token endpoint (``POST /auth/o2/token``), refresh-token grant only,
answering with LWA's own OAuth error shape (not SP-API's error list)."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.sandbox.http import json_response
from plugins.amazon.sandbox.state import SandboxState

LWA_KEY = "lwa.token"


def _oauth_error(status: int, code: str, description: str) -> Response:
    return json_response({"error": code, "error_description": description}, status)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    with state.lock:
        state.requests[LWA_KEY] += 1
    # Parsed by hand: LWA takes application/x-www-form-urlencoded only, and this keeps the
    # sandbox free of a multipart dependency.
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    fields = {
        name: form.get(name, [""])[0]
        for name in ("grant_type", "refresh_token", "client_id", "client_secret")
    }
    missing = [name for name, value in fields.items() if not value]
    if missing:
        return _oauth_error(400, "invalid_request", f"Missing required parameter(s): {', '.join(missing)}")
    if fields["grant_type"] != "refresh_token":
        return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type {fields['grant_type']!r}")
    creds = state.config.credentials
    if not (
        _same(fields["client_id"], creds.client_id) and _same(fields["client_secret"], creds.client_secret)
    ):
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    if not _same(fields["refresh_token"], creds.refresh_token):
        return _oauth_error(
            400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
        )
    issued = state.issue_token(creds.seller_id)
    return json_response(
        {
            "access_token": issued.token,
            "refresh_token": creds.refresh_token,
            "token_type": "bearer",
            "expires_in": state.config.token_ttl_seconds,
        }
    )
