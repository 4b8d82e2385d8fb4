"""The ``inventory`` stream: channel-held (FBA) stock, read-only for the hub."""

from __future__ import annotations

from core.dto import (
    RecordFailure,
)
from core.logs import get_logger
from core.services.streams.products import upsert_listings
from core.services.streams.runner import Runner
from core.types import ChannelConnector

log = get_logger(__name__)


def _inventory(runner: Runner, connector: ChannelConnector) -> None:
    for batch in connector.fetch_inventory():
        levels = [level for level in batch if level.quantity >= 0]
        with runner.sessions() as session:
            runner.fence(session)
            upsert_listings(runner, session, levels, stock_only=True)
            runner.record_failures(
                session,
                (RecordFailure(lv.sku, "quantity: must not be negative") for lv in batch if lv.quantity < 0),
            )
            runner.commit_batch(session)
        runner.progress("inventory", len(batch))


class InventoryStream:
    """The ``inventory`` stream, as the sync engine runs it."""

    name = "inventory"

    def run(self, runner: Runner, connector: ChannelConnector) -> None:
        _inventory(runner, connector)
