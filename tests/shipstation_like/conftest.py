"""A recording fake channel (throttles, crashes after accepting), fake carriers, order helpers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Integration, IntegrationStatus, Order, OrderItem, OrderStatus
from core.db.session import session_factory
from core.dto import ConfirmationResult, Fulfilment, ShipmentConfirmation
from core.errors import ThrottledError
from core.hookspecs import hookimpl
from core.plugins import PluginManager
from core.settings import Settings
from core.types import Carrier, CarrierService, ChannelType, ConnectorContext
from tests.fakes.channel import FAKE_MARKETPLACE, FakeConnector, FakeSettings

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class WorkerDied(Exception):
    """Stands for a worker killed after the channel accepted and before the answer was stored."""


@dataclass
class RecordingChannel:
    """The channel's side: every confirmation it accepted is the witness of exactly-once."""

    throttle_calls: int = 0
    crash_after_accept: int = 0
    delay: float = 0.0
    permanent_for: set[str] = field(default_factory=set)
    received: list[ShipmentConfirmation] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)  # confirmations per accepted call
    throttled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def confirmed(self) -> Counter[str]:
        return Counter(c.channel_order_id for c in self.received)

    def confirm(self, confirmations: Sequence[ShipmentConfirmation]) -> list[ConfirmationResult]:
        with self.lock:
            if self.throttle_calls > 0:
                self.throttle_calls -= 1
                self.throttled += 1
                raise ThrottledError("request is throttled", retry_after=60)
            self.calls.append(len(confirmations))
            results = []
            for c in confirmations:
                if c.channel_order_id in self.permanent_for:
                    results.append(
                        ConfirmationResult(c.channel_order_id, False, "invalid carrier", permanent=True)
                    )
                elif c.possibly_sent and c.channel_order_id in self.confirmed:
                    results.append(ConfirmationResult(c.channel_order_id, True, already_confirmed=True))
                else:  # a real channel without possibly_sent would confirm twice: so does this one
                    self.received.append(c)
                    results.append(ConfirmationResult(c.channel_order_id, True))
            crash = self.crash_after_accept > 0
            self.crash_after_accept -= crash
        if self.delay:
            time.sleep(self.delay)
        if crash:
            raise WorkerDied("killed between the channel's answer and the commit")
        return results


class RecordingConnector(FakeConnector):
    def __init__(self, context: ConnectorContext, channel: RecordingChannel) -> None:
        super().__init__(context)
        self.channel = channel

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        return self.channel.confirm(confirmations)


class FakeFulfilmentPlugin:
    def __init__(self, channel: RecordingChannel) -> None:
        self.channel = channel

    @hookimpl
    def channelhub_channel_types(self) -> Iterator[ChannelType]:
        yield ChannelType(
            key="fake",
            display_name="Fake channel",
            marketplaces=(FAKE_MARKETPLACE,),
            settings_model=FakeSettings,
            credential_fields=("api_key",),
            connector_factory=lambda ctx: RecordingConnector(ctx, self.channel),
        )

    @hookimpl
    def channelhub_carriers(self) -> Iterator[Carrier]:
        yield Carrier("trk", "Tracked Post", (CarrierService("std", "Standard"),), tracking=True)
        yield Carrier("letter", "Letter Post", (CarrierService("2nd", "Second class"),), tracking=False)


@dataclass
class Shop:
    plugins: PluginManager
    factory: sessionmaker[Session]
    channel: RecordingChannel
    integration_id: int

    def order(
        self,
        session: Session,
        channel_order_id: str,
        *,
        items: Sequence[tuple[str, int]] = (("L1", 1),),
        imported_at: datetime = T0,
        ship_by: datetime | None = None,
        status: OrderStatus = OrderStatus.AWAITING_SHIPMENT,
        integration_id: int | None = None,
    ) -> Order:
        order = Order(
            integration_id=integration_id or self.integration_id,
            channel_order_id=channel_order_id,
            status=status,
            fulfilment=Fulfilment.MFN,
            purchase_date=imported_at - timedelta(hours=1),
            imported_at=imported_at,
            ship_by=ship_by,
            currency="GBP",
            buyer_name="Ada Buyer",
            buyer_email="ada@example.com",
            ship_name="Ada Buyer",
            ship_line1="1 Secret Street",
            ship_city="Leeds",
            ship_state="West Yorkshire",
            ship_postal_code="LS1 1AA",
            ship_country="GB",
            items=[
                OrderItem(
                    channel_item_id=item_id,
                    sku=f"SKU-{item_id}",
                    quantity=qty,
                    unit_price=Decimal("9.99"),
                    gift_message="Happy birthday, Ada",
                )
                for item_id, qty in items
            ],
        )
        session.add(order)
        session.flush()
        return order


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def shop(migrated: Settings, plugins: PluginManager, channel: RecordingChannel) -> Shop:
    assert plugins.register(FakeFulfilmentPlugin(channel), "fake_fulfilment")
    factory = session_factory(migrated.database_url)
    with factory() as session, session.begin():
        integration = Integration(
            channel_key="fake",
            marketplace="XX",
            alias="fake-uk",
            status=IntegrationStatus.LIVE,
            settings={"prefill_phone": "+44 20 7946 0000", "prefill_email": "shipping@seller.example"},
        )
        session.add(integration)
        session.flush()
        integration_id = integration.id
    return Shop(plugins, factory, channel, integration_id)
