"""Shared by the sandbox tests: Amazon's models as strict validators, and an SP-API session."""

from __future__ import annotations

import json
import socket
from functools import cache
from typing import Any

import httpx
from jsonschema import Draft4Validator, Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from plugins.amazon.sandbox import RunningSandbox
from tests.amazon.models import MODELS


def _strict(node: Any) -> Any:
    """Forbid properties a definition does not declare, so a misspelt key fails validation
    (Amazon's Swagger definitions leave additionalProperties open)."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def _registry(model: str) -> tuple[str, Registry]:
    uri = f"urn:amazon-models:{model}"
    contents = _strict(json.loads((MODELS / model).read_text()))
    return uri, Registry().with_resource(uri, Resource.from_contents(contents, default_specification=DRAFT4))


def assert_valid(model: str, definition: str, body: Any) -> None:
    """``body`` validates against ``#/definitions/<definition>`` of the Swagger 2.0 ``model``."""
    uri, registry = _registry(model)
    validator = Draft4Validator({"$ref": f"{uri}#/definitions/{definition}"}, registry=registry)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{model}#{definition}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]
    )


def assert_valid_document(schema_file: str, document: Any) -> None:
    """``document`` validates against one of the JSON_LISTINGS_FEED (draft-07) schemas."""
    schema = json.loads((MODELS / schema_file).read_text())
    errors = list(Draft7Validator(schema).iter_errors(document))
    assert not errors, f"{schema_file}: " + "; ".join(e.message[:200] for e in errors[:5])


def access_token(sb: RunningSandbox) -> str:
    c = sb.credentials
    response = httpx.post(
        f"{sb.base_url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": c.refresh_token,
            "client_id": c.client_id,
            "client_secret": c.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def sp_client(sb: RunningSandbox) -> httpx.Client:
    """An httpx client for the sandbox, carrying a fresh LWA access token."""
    return httpx.Client(base_url=sb.base_url, headers={"x-amz-access-token": access_token(sb)}, timeout=10)


def free_port() -> int:
    """A loopback port nobody listens on right now, for a sandbox started as a process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
