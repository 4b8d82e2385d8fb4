"""JSON responses in the CLI's convention (docs/cli.md): ISO 8601 times, money as strings."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from core.json_convention import to_json


class ConventionJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return to_json(content, indent=None).encode()
