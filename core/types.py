"""What plugins register: channel types, carriers, price-rule types, migrations, CLI groups,
and the :class:`ChannelConnector` protocol every channel implements.

Each registration is a frozen dataclass with a ``name``-like key; the plugin manager refuses
two plugins claiming the same key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from core.crypto import Secrets
from core.dto import (
    ChannelProduct,
    ConfirmationResult,
    FulfilmentPage,
    InventoryLevel,
    Money,
    OrdersPage,
    PriceUpdate,
    PushResult,
    QuantityUpdate,
    ShipmentConfirmation,
)

if TYPE_CHECKING:
    import typer
    from sqlalchemy.orm import Session, sessionmaker

    from core.plugins import PluginManager


@runtime_checkable
class ChannelConnector(Protocol):
    """One integration's live connection to a sales channel.

    Core calls it from workers (possibly several at once for different streams) and never
    keeps it across jobs. Methods raise :class:`core.errors.ChannelAuthError` when the channel
    refuses the credentials, :class:`core.errors.ThrottledError` when throttled past the
    connector's own retries, and :class:`core.errors.TransientChannelError` for 5xx/timeouts.
    """

    def verify_credentials(self) -> None:
        """Make one cheap authenticated call; return normally if the credentials work."""

    def fetch_orders(self, cursor: str | None, *, since: datetime) -> Iterator[OrdersPage]:
        """Orders created or updated after ``cursor`` (or after ``since`` when there is none).

        Yield pages in order; each page's ``cursor`` resumes right after it. Re-fetching from
        an older cursor must return the same orders again (core upserts).
        """

    def fetch_products(self) -> Iterator[Sequence[ChannelProduct]]:
        """Every listing on the channel, in batches (MFN, with the channel's price)."""

    def fetch_inventory(self) -> Iterator[Sequence[InventoryLevel]]:
        """Channel-held stock (FBA), in batches. Yield nothing if the channel holds none."""

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        """Set quantities in bulk; one :class:`SkuResult` per update."""

    def push_prices(self, updates: Sequence[PriceUpdate]) -> PushResult:
        """Set prices in bulk; one :class:`SkuResult` per update."""

    def confirm_shipments(
        self, confirmations: Sequence[ShipmentConfirmation]
    ) -> Sequence[ConfirmationResult]:
        """Tell the channel orders shipped, batching calls as the channel allows."""

    def fetch_fulfilment_updates(self, cursor: str | None) -> Iterator[FulfilmentPage]:
        """Tracking for channel-fulfilled (MCF) orders since ``cursor``."""

    def close(self) -> None:
        """Release connections. Called once when the job ends."""


@runtime_checkable
class RefetchesOrders(Protocol):
    """Optional connector capability: fetch named orders again, for the quarantine.

    An order the hub could not take (a field missing or malformed, a value too long) is
    quarantined and the orders cursor moves on. The fix happens on the channel's side, so
    core asks the channel for that order again on later runs (and on ``channelhub errors
    retry``) until it imports or someone dismisses it. A connector without this method
    still quarantines bad orders; they are retried only when the channel serves them again
    in the normal orders stream.

    Implement it like ``fetch_orders``, but for the given channel order ids only::

        def fetch_orders_by_id(self, channel_order_ids: Sequence[str]) -> OrdersPage:
            orders, failures = [], []
            for order_id in channel_order_ids:
                raw = self._get(f"/orders/{order_id}")
                if raw is None:
                    failures.append(RecordFailure(order_id, "order: not found on the channel"))
                    continue
                try:
                    orders.append(self._map(raw))
                except InputError as exc:
                    failures.append(RecordFailure(order_id, f"{exc.field}: invalid", payload=raw))
            return OrdersPage(orders, None, failures)

    Return every id either as an order or as a failure (an id missing from both stays
    quarantined with its old reason). ``cursor`` is ignored. Reasons name fields, never values.
    """

    def fetch_orders_by_id(self, channel_order_ids: Sequence[str]) -> OrdersPage:
        """The named orders as the channel holds them now, mapped like ``fetch_orders``."""


@dataclass(frozen=True, slots=True)
class Marketplace:
    """One storefront of a channel (Amazon has one per country)."""

    code: str  # what people type: "UK", "DE"
    name: str
    channel_id: str  # the channel's own id, e.g. Amazon's marketplace id
    country_code: str
    currency: str
    language: str
    region: str


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """Everything a connector factory gets to build a connector for one integration."""

    integration_id: int
    alias: str
    marketplace: Marketplace
    settings: BaseModel
    credentials: Secrets
    redis_url: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelType:
    """A kind of sales channel a plugin provides.

    ``settings_model`` validates the integration's options (history window, handling time...);
    ``credential_fields`` names what is stored encrypted; ``connector_factory`` builds a
    :class:`ChannelConnector` for one integration.

    ``integrations add KEY`` offers one option per settings field and per credential, so any
    installed channel can be connected without a command of its own. ``optional_credentials``
    are stored encrypted too when given (e.g. an app's client id that has a default).
    ``account_setting`` names the settings field that identifies the seller's account on the
    channel (Amazon: ``seller_id``): a second integration of the same channel, marketplace and
    account is refused, since it would import every order twice. Without it only the alias
    tells integrations apart.
    """

    key: str
    display_name: str
    marketplaces: tuple[Marketplace, ...]
    settings_model: type[BaseModel]
    credential_fields: tuple[str, ...]
    connector_factory: Callable[[ConnectorContext], ChannelConnector]
    optional_credentials: tuple[str, ...] = ()
    account_setting: str | None = None

    def marketplace(self, code: str) -> Marketplace | None:
        wanted = code.upper()
        return next((m for m in self.marketplaces if m.code == wanted), None)


@dataclass(frozen=True, slots=True)
class CarrierService:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Carrier:
    """A shipping carrier a plugin can quote and select.

    ``areas``: codes of the areas it has fees for; a host enables or disables it per area
    (``channelhub carriers disable CODE --area AREA``), core keeps the switches.
    """

    code: str
    name: str
    services: tuple[CarrierService, ...]
    tracking: bool = True
    areas: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PriceRuleType:
    """A kind of price rule an admin can configure; ``params_model`` validates its settings."""

    key: str
    name: str
    description: str
    params_model: type[BaseModel]


class PricedProduct(Protocol):
    """What a price formula may read of a product (core passes database rows in bulk)."""

    @property
    def sku(self) -> str: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def rrp(self) -> Decimal | None: ...
    @property
    def cost(self) -> Decimal | None: ...
    @property
    def current_price(self) -> Decimal | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def brand(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PriceFormula:
    """One stored rule, compiled by its plugin into functions core calls per product.

    ``compute`` returns the rule's raw price, or ``None`` when the product lacks what the rule
    needs (then the next rule is tried). ``round_up`` moves a price up to the rule's ending
    (never down); core applies it to the rule's price and to the floor when the floor wins.
    Both must be pure and cheap: core calls them up to a million times per preview.
    """

    compute: Callable[[PricedProduct], Decimal | None]
    round_up: Callable[[Decimal], Decimal] | None = None


@dataclass(frozen=True, slots=True)
class MigrationLocation:
    """A folder of Alembic revisions owned by a plugin (its own branch, see the guide)."""

    branch: str
    path: Path


@dataclass(frozen=True, slots=True)
class CliGroup:
    """A command group a plugin adds: ``channelhub [parent] <name> ...``."""

    name: str
    app: typer.Typer
    help: str = ""
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class ActorSpec:
    """A background job a plugin contributes; declared on the broker chosen at start-up.

    With ``every`` set, ``channelhub scheduler`` enqueues it (without arguments) once per
    period, e.g. a daily redaction pass or a notification retry loop every minute.
    """

    name: str
    fn: Callable[..., Any]
    queue: str = "default"
    options: dict[str, Any] = field(default_factory=dict)
    every: timedelta | None = None


@dataclass(frozen=True, slots=True)
class DemoIntegration:
    """One integration ``channelhub demo`` connects to a stand-in: add's arguments."""

    marketplace: str
    settings: Mapping[str, Any]
    credentials: Mapping[str, str]


class DemoRun(Protocol):
    """A running stand-in for a channel (a sandbox on loopback), for ``channelhub demo``."""

    @property
    def url(self) -> str: ...

    @property
    def integrations(self) -> Sequence[DemoIntegration]: ...

    def figures(self) -> Sequence[tuple[str, int]]:
        """Lines of the demo's summary table from the stand-in's side (requests, throttling)."""


@dataclass(frozen=True, slots=True)
class DemoChannel:
    """A channel plugin's stand-in for its channel, offered to ``channelhub demo``.

    ``start(orders)`` serves the stand-in seeded with about ``orders`` orders and stops it
    on exit; ``name`` and ``import_note`` are the prose the demo shows for it.
    """

    channel_key: str
    name: str
    import_note: str
    start: Callable[[int], AbstractContextManager[DemoRun]]


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    """What one demo step did: lines to print, and rows for the summary table."""

    lines: Sequence[str]
    rows: Sequence[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class DemoStep:
    """A step of a seller's first day a plugin contributes to ``channelhub demo``.

    Steps run after orders, listings and stock are imported and prices pushed, by ``order``.
    ``run(sessions, plugins, channel_name)`` works on the demo's database and says what it did.
    """

    name: str
    order: int
    run: Callable[[sessionmaker[Session], PluginManager, str], DemoOutcome]


@dataclass(frozen=True, slots=True)
class ShippingFee:
    """One band of a shipping fee table: what a carrier service costs to one area.

    ``band`` is how a person reads it ("up to 2 kg", "per order"); ``basis`` is ``weight`` (the
    first band whose ``max_kg`` covers the parcel) or ``order`` (one flat band). A host charges
    ``max_price`` (a conservative strategy) or ``min_price`` (a competitive one); neither holds the
    channel's commission, which is charged on product + shipping.
    """

    area: str
    carrier: str
    service: str
    band: str
    basis: str
    max_kg: Decimal | None
    min_price: Money
    max_price: Money
    transit_days: int


@dataclass(frozen=True, slots=True)
class StrategySetting:
    """A per-integration choice a plugin stores for itself, which a host may switch.

    ``key`` is prefixed by the plugin's name. Core checks a new value is one of ``choices``,
    then calls ``store(session, integration_id, value)`` in the request's transaction.
    """

    key: str
    label: str
    current: str
    choices: tuple[str, ...]
    store: Callable[[Session, int, str], None]
    help: str = ""


@dataclass(frozen=True, slots=True)
class FeeTable:
    """A plugin's shipping fees for one integration, and the strategy it applies to them."""

    fees: tuple[ShippingFee, ...]
    strategy: StrategySetting | None = None
