"""What an armed fault makes of a response the sandbox has already produced."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from plugins.amazon.sandbox.faults import CORRUPTIBLE, LONG_FIELD_LENGTH, Fault, FaultBoard


def _replace_body(response: Response, body: bytes, status: int | None = None) -> Response:
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return Response(body, status_code=status or response.status_code, headers=headers)


def unparseable(response: Response, mode: str) -> Response:
    """``bad_json``: a 200 whose body is not JSON; ``truncated_json``: the body cut short (with
    a matching Content-Length, so only the JSON parser notices)."""
    body = bytes(response.body) or b"{}"
    status = 200 if response.status_code == 204 else response.status_code
    if mode == "bad_json":
        return _replace_body(response, b"<html><body>Bad Gateway</body></html>" + body[:16], status)
    return _replace_body(response, body[: max(1, len(body) // 2)], status)


def _corrupt(record: dict[str, Any], fault: Fault) -> None:
    shape = CORRUPTIBLE[fault.operation]
    if fault.corruption == "missing_id":
        record.pop(shape.id_field, None)
    elif fault.corruption == "wrong_type":
        field = shape.wrong_type_field
        record[field] = 20261201 if isinstance(record.get(field), str) else "n/a"
    else:
        node: Any = record
        *path, last = shape.long_field
        for step in path:
            node = node[step]
        node[last] = "X" * LONG_FIELD_LENGTH


def corrupt_records(response: Response, fault: Fault, board: FaultBoard) -> Response:
    """The page with ``fault``'s record corrupted, when the page holds it."""
    if response.status_code != 200:
        return response
    shape = CORRUPTIBLE[fault.operation]
    body = json.loads(bytes(response.body))
    parent: Any = body
    for step in shape.records[:-1]:
        parent = parent.get(step, {})
    found = parent.get(shape.records[-1])
    records = found if isinstance(found, list) else [found] if isinstance(found, dict) else []
    if not records:
        return response
    target = board.target(fault, records[0].get(shape.id_field))
    hit = next((r for r in records if r.get(shape.id_field) == target), None)
    if hit is None:
        return response
    _corrupt(hit, fault)
    board.served(fault)
    return _replace_body(response, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
