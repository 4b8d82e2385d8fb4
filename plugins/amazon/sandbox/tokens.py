"""Tokens API: createRestrictedDataToken.

Granted for the restricted order operations, except when a resource's path asks for a
marketplace in ``SandboxConfig.rdt_refused_marketplaces`` (``?marketplaceIds=...``): then 403
Unauthorized, as when Amazon has not approved the app for PII there. Whatever the RDT, orders
of refused marketplaces never carry buyer or recipient data.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from plugins.amazon.operations import OPERATIONS
from plugins.amazon.sandbox.http import Call, error, invalid_input, json_body, json_response, sp_api

RESTRICTED = frozenset(
    OPERATIONS[key].path for key in ("orders.searchOrders", "orders.getOrder", "ordersV0.getOrderItems")
)
RDT_LIFETIME_SECONDS = 3600


@sp_api("tokens.createRestrictedDataToken")
async def create_restricted_data_token(request: Request, call: Call) -> Response:
    body = await json_body(request)
    if isinstance(body, Response):
        return body
    resources = body.get("restrictedResources")
    if not isinstance(resources, list) or not resources:
        return invalid_input("restrictedResources must be a non-empty list.")
    refused = call.state.config.rdt_refused_marketplaces
    paths = set()
    for n, resource in enumerate(resources):
        if not isinstance(resource, dict) or resource.get("method") not in ("GET", "PUT", "POST", "DELETE"):
            return invalid_input(f"restrictedResources[{n}].method must be one of GET, PUT, POST, DELETE.")
        raw_path = resource.get("path")
        if not isinstance(raw_path, str) or not raw_path.startswith("/"):
            return invalid_input(f"restrictedResources[{n}].path must be an absolute path.")
        parts = urlsplit(raw_path)
        template = "/".join(
            "{orderId}" if i == 4 and seg and not seg.startswith("{") else seg
            for i, seg in enumerate(parts.path.split("/"))
        )
        if parts.path not in RESTRICTED and template not in RESTRICTED:
            return invalid_input(f"restrictedResources[{n}].path {parts.path} is not a restricted operation.")
        asked = {m for v in parse_qs(parts.query).get("marketplaceIds", []) for m in v.split(",")}
        if asked & refused:
            return error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                f"The application is not authorized for restricted data in marketplace(s) "
                f"{', '.join(sorted(asked & refused))}.",
            )
        paths.add(parts.path)
    rdt = call.state.issue_token(call.seller_id, frozenset(paths))
    return json_response(
        {
            "restrictedDataToken": rdt.token,
            "expiresIn": min(RDT_LIFETIME_SECONDS, call.state.config.token_ttl_seconds),
        }
    )
