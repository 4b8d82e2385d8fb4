"""The live TCP connections of one sandbox server, so a fault can drop one mid-request.

ASGI hides the transport from the application, and a connection closed without a single
byte is exactly what the ``lost_response`` and ``reset`` faults must produce (an exception in
the app would make uvicorn answer 500 instead). The server's HTTP protocol class records each
connection's transport under its peer address, which the app finds in ``scope["client"]``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

Peer = tuple[str, int]


class ConnectionRegistry:
    """Transports by peer address, maintained by :meth:`protocol`'s connections."""

    def __init__(self) -> None:
        self._by_peer: dict[Peer, asyncio.Transport] = {}

    def protocol(self) -> type[H11Protocol]:
        """uvicorn's h11 protocol, recording each connection here while it is open."""
        registry = self._by_peer

        class TrackedH11Protocol(H11Protocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                if self.client is not None:
                    registry[self.client] = transport

            def connection_lost(self, exc: Exception | None) -> None:
                if self.client is not None:
                    registry.pop(self.client, None)
                super().connection_lost(exc)

        return TrackedH11Protocol

    def transport(self, scope: Scope) -> asyncio.Transport | None:
        client = scope.get("client")
        return self._by_peer.get((client[0], client[1])) if client else None


class DroppedConnection(Response):
    """Not a response: the connection closes without one (``reset``: with a TCP RST)."""

    def __init__(self, registry: ConnectionRegistry, *, reset: bool) -> None:
        super().__init__(status_code=599)
        self._registry = registry
        self._reset = reset

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = self._registry.transport(scope)
        if transport is None:
            raise RuntimeError("lost_response and reset faults need the sandbox's own server")
        if self._reset:
            sock: Any = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        # Wait until the server has seen the connection go, so it does not try to answer 500.
        while (await receive())["type"] != "http.disconnect":
            pass
