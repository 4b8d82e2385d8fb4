"""What every SP-API route shares: the access-token check, usage-plan throttling, armed
faults, request counting, and Amazon's error body and headers."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.operations import UsagePlan, operation
from plugins.amazon.sandbox.catalog import BY_ID
from plugins.amazon.sandbox.connections import DroppedConnection
from plugins.amazon.sandbox.fault_responses import corrupt_records, unparseable
from plugins.amazon.sandbox.state import AccessToken, SandboxState

TIME_SCALE_HEADER = "x-channelhub-sandbox-time-scale"
"""Sandbox-only: Amazon seconds per real second, when not 1 (Amazon never sends it)."""

Handler = Callable[[Request, "Call"], Awaitable[Response]]

_FAULT_ERRORS = {
    400: ("InvalidInput", "Invalid input (injected fault)."),
    429: ("QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service temporarily unavailable. Please try again."),
}


class Call:
    """The authenticated context of one SP-API request."""

    __slots__ = ("key", "state", "token")

    def __init__(self, key: str, state: SandboxState, token: AccessToken) -> None:
        self.key = key
        self.state = state
        self.token = token

    @property
    def seller_id(self) -> str:
        return self.token.seller_id

    def has_restricted_access(self, path: str) -> bool:
        """Whether the token is an RDT that unlocks restricted data on ``path``."""
        return self.token.covers(path)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_body(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"errors": [error]}


def error(status: int, code: str, message: str, details: str | None = None) -> Response:
    """Amazon's ``{"errors": [{code, message, details}]}`` response, its code also in
    ``x-amzn-ErrorType`` as Amazon's API gateway sends it."""
    return json_response(error_body(code, message, details), status, {"x-amzn-ErrorType": code})


def invalid_input(message: str, details: str | None = None) -> Response:
    return error(400, "InvalidInput", message, details)


def not_found(message: str) -> Response:
    return error(404, "NotFound", message)


def _unauthorized(details: str) -> Response:
    return error(403, "Unauthorized", "Access to requested resource is denied.", details)


def authenticate(state: SandboxState, request: Request) -> AccessToken | Response:
    raw = request.headers.get("x-amz-access-token")
    if not raw:
        return _unauthorized("The request has no x-amz-access-token header.")
    token = state.tokens.get(raw)
    if token is None or token.expires_at <= time.time():
        return _unauthorized("The access token you provided has expired.")
    return token


def _reject(state: SandboxState, request: Request) -> tuple[AccessToken | None, Response | None]:
    """The request's token, or the 403 that refuses it."""
    token = authenticate(state, request)
    if isinstance(token, Response):
        return None, token
    if token.restricted_paths is not None and not token.covers(request.url.path):
        return None, _unauthorized("The restricted data token does not cover this resource.")
    return token, None


def _throttled(state: SandboxState, key: str) -> Response:
    with state.lock:
        state.throttled[key] += 1
    return error(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")


def sp_api(key: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap ``handler`` as the route of operation ``key``: auth, count, throttle, faults."""
    plan = operation(key).plan

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state: SandboxState = request.app.state.sandbox
            faults = state.faults
            state.advance()
            latency = faults.draw(key, ("latency",))
            if latency is not None:
                await asyncio.sleep(faults.jitter(latency))
            if faults.draw(key, ("reset",)) is not None:
                return DroppedConnection(request.app.state.connections, reset=True)
            token, refused = _reject(state, request)
            if refused is not None:
                return refused
            assert token is not None
            problem = query_problem(request)
            if problem is not None:
                return problem
            with state.lock:
                state.requests[key] += 1
            if state.config.throttle and not state.throttle.take(token.seller_id, key, plan):
                return _limit_header(state, plan, _throttled(state, key))
            before = faults.draw(key, ("status", "token_expiry"))
            if before is not None and before.mode == "token_expiry":
                state.revoke_token(token.token)
                return _unauthorized("The access token you provided has expired.")
            if before is not None:
                assert before.status is not None
                if before.status == 429:
                    return _limit_header(state, plan, _throttled(state, key))
                code, message = _FAULT_ERRORS[before.status]
                return _limit_header(state, plan, error(before.status, code, message))
            response = await handler(request, Call(key, state, token))
            corrupt = faults.corruption(key)
            if corrupt is not None:
                response = corrupt_records(response, corrupt, faults)
            after = faults.draw(key, ("lost_response", "error_after", "bad_json", "truncated_json"))
            if after is not None:
                if after.mode == "lost_response":
                    return DroppedConnection(request.app.state.connections, reset=False)
                if after.mode == "error_after":
                    assert after.status is not None
                    code, message = _FAULT_ERRORS[after.status]
                    response = error(after.status, code, message)
                else:
                    response = unparseable(response, after.mode)
            return _limit_header(state, plan, response)

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


def _limit_header(state: SandboxState, plan: UsagePlan, response: Response) -> Response:
    """Amazon's real (unscaled) rate on the response; a configurable share of 429s go
    without it, as Amazon's often do. A sped-up clock is told apart in its own header, so a
    client can pace to the sandbox without ever reading a rate Amazon would not send."""
    if response.status_code != 429 or not state.omit_limit_header():
        response.headers["x-amzn-RateLimit-Limit"] = format(plan.rate, "g")
    if state.config.time_scale != 1:
        response.headers[TIME_SCALE_HEADER] = format(state.config.time_scale, "g")
    return response


async def json_body(request: Request) -> dict[str, Any] | Response:
    """The request's JSON object, or a 400 InvalidInput saying why it is not one."""
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        return invalid_input("The request body is not valid JSON.", str(exc))
    if not isinstance(body, dict):
        return invalid_input("The request body must be a JSON object.")
    return body


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def rfc3339(raw: str) -> datetime | None:
    """``raw`` as an RFC 3339 date-time (offset required), or None. Python's ``fromisoformat``
    also takes date-only, week-date and basic-format strings, which Amazon refuses."""
    if not _RFC3339.fullmatch(raw):
        return None
    try:
        return datetime.fromisoformat(raw.upper()[:19] + _fraction(raw) + _offset(raw))
    except ValueError:  # 2026-02-30 and the like
        return None


def _fraction(raw: str) -> str:
    match = re.search(r"\.(\d+)", raw)
    return "." + match.group(1)[:6].ljust(6, "0") if match else ""


def _offset(raw: str) -> str:
    return "+00:00" if raw[-1] in "Zz" else raw[-6:]


def query_problem(request: Request) -> Response | None:
    """What every SP-API operation refuses in a query: an empty value (``includedData=``) and
    a marketplace id Amazon does not know."""
    for name, value in request.query_params.multi_items():
        if not value.strip(", "):
            return invalid_input(f"Invalid {name}: the value must not be empty.")
    unknown = sorted(set(list_param(request, "marketplaceIds")) - set(BY_ID))
    if unknown:
        return invalid_input(f"Invalid marketplaceIds value(s): {', '.join(unknown)}.")
    return None


def list_param(request: Request, name: str) -> list[str]:
    """An array query parameter, accepted comma-separated (Swagger's csv) or repeated."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values
