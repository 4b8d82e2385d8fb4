"""Hook implementations of the Amazon channel plugin (registered by entry point ``amazon``)."""

from __future__ import annotations

from collections.abc import Iterator

from core.hookspecs import hookimpl
from core.types import CliGroup


@hookimpl
def channelhub_cli() -> Iterator[CliGroup]:
    """``channelhub sandbox amazon serve``: the local SP-API sandbox."""
    from plugins.amazon.sandbox.cli import app

    yield CliGroup(name="amazon", parent="sandbox", app=app, help="Local Amazon SP-API sandbox.")
