"""What every SP-API route shares: the access-token check, usage-plan throttling, armed
faults, request counting, and Amazon's error body and headers."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.operations import operation
from plugins.amazon.sandbox.state import AccessToken, SandboxState

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
    """Amazon's ``{"errors": [{code, message, details}]}`` response."""
    return json_response(error_body(code, message, details), status)


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


def sp_api(key: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap ``handler`` as the route of operation ``key``: auth, count, throttle, faults."""
    plan = operation(key).plan

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state: SandboxState = request.app.state.sandbox
            state.advance()
            token = authenticate(state, request)
            request_id = str(uuid.uuid4())
            if isinstance(token, Response):
                token.headers["x-amzn-RequestId"] = request_id
                return token
            if token.restricted_paths is not None and not token.covers(request.url.path):
                response = _unauthorized("The restricted data token does not cover this resource.")
                response.headers["x-amzn-RequestId"] = request_id
                return response
            limit = state.throttle.header(plan)
            with state.lock:
                state.requests[key] += 1
            if state.config.throttle and not state.throttle.take(token.seller_id, key, plan):
                with state.lock:
                    state.throttled[key] += 1
                response = error(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
            else:
                fault = state.take_fault(key)
                if fault is not None:
                    code, message = _FAULT_ERRORS.get(fault, ("InternalFailure", "Injected fault."))
                    response = error(fault, code, message)
                    if fault == 429:
                        with state.lock:
                            state.throttled[key] += 1
                else:
                    response = await handler(request, Call(key, state, token))
            response.headers["x-amzn-RateLimit-Limit"] = limit
            response.headers["x-amzn-RequestId"] = request_id
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return wrap


async def json_body(request: Request) -> dict[str, Any] | Response:
    """The request's JSON object, or a 400 InvalidInput saying why it is not one."""
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        return invalid_input("The request body is not valid JSON.", str(exc))
    if not isinstance(body, dict):
        return invalid_input("The request body must be a JSON object.")
    return body


def list_param(request: Request, name: str) -> list[str]:
    """An array query parameter, accepted comma-separated (Swagger's csv) or repeated."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values
