"""The sync engine's streams, one module each, behind the small :class:`Stream` protocol.

``core.services.sync`` runs a stream for one integration (lease, job log, error handling);
each module here says what one stream does with the integration's
:class:`~core.types.ChannelConnector`. Every stream is channel-agnostic: no channel is named.
"""

from __future__ import annotations

from typing import Protocol

from core.services.streams.inventory import InventoryStream
from core.services.streams.mcf import McfStream
from core.services.streams.orders import OrdersStream
from core.services.streams.outbound import OutboundStream
from core.services.streams.products import ProductsStream
from core.services.streams.runner import Runner
from core.types import ChannelConnector


class Stream(Protocol):
    """One kind of sync between the hub and an integration, with its own cursor and lock."""

    @property
    def name(self) -> str: ...

    def run(self, runner: Runner, connector: ChannelConnector) -> None:
        """Do one run: read or push in batches, each committed under ``runner``'s lease."""


STREAM_LIST: tuple[Stream, ...] = (
    OrdersStream(),
    ProductsStream(),
    InventoryStream(),
    McfStream(),
    OutboundStream(),
)
BY_NAME: dict[str, Stream] = {stream.name: stream for stream in STREAM_LIST}
"""Every stream by name, in the order a full sync runs them."""
