"""The hook specifications: the only door between core and plugins.

A plugin is a module (or object) with functions named like the specs below, marked with
:data:`hookimpl`, and exposed through an entry point in the ``channelhub`` group::

    # pyproject.toml of your distribution
    [project.entry-points.channelhub]
    myshop = "myshop_channelhub.plugin"

Every hook is optional. Registration hooks (``channelhub_channel_types``, ``channelhub_carriers``,
``channelhub_price_rule_types``, ``channelhub_migrations``, ``channelhub_cli``,
``channelhub_actors``) are called once when the plugin manager starts and return an iterable of
typed values; keys must be unique across all plugins. ``channelhub_carrier_options`` is called
once per batch of orders needing carriers and loads what the carrier hooks need. Decision hooks
(``channelhub_select_carrier``, ``channelhub_carrier_area``, ``channelhub_price_formula``) are
``firstresult``: the first plugin returning something other than ``None`` wins.
``channelhub_quote_rates`` collects quotes from every plugin. ``channelhub_shipment_created``
runs inside the transaction creating a shipment, for every fulfilment plugin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pluggy
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.db.models import NotifyState
from core.dto import (
    CarrierContext,
    CarrierDecision,
    Destination,
    NewShipment,
    PriceRuleSpec,
    RateQuote,
    RateRequest,
)
from core.types import (
    ActorSpec,
    Carrier,
    ChannelType,
    CliGroup,
    DemoChannel,
    DemoStep,
    FeeTable,
    MigrationLocation,
    PriceFormula,
    PriceRuleType,
)

PROJECT = "channelhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class ChannelhubSpecs:
    """All hook specifications, in one class (the plugin manager registers it once)."""

    # ---------------------------------------------------------------- channel family
    @hookspec
    def channelhub_channel_types(self) -> Iterable[ChannelType]:  # type: ignore[empty-body]
        """Register the sales channel types this plugin provides.

        Called once at start-up. Return :class:`core.types.ChannelType` values; ``key`` must
        be unique across plugins (it is what ``channelhub integrations add KEY`` takes).

        A connector implements :class:`core.types.ChannelConnector`; ``channelhub plugins new
        channel myshop`` writes a whole one. ``integrations add myshop`` is built from this.

        Example::

            from pydantic import BaseModel

            from core.api import ChannelType, ConnectorContext, Marketplace, hookimpl

            class MyShopSettings(BaseModel):
                shop_id: str
                history_days: int = 30

            class MyShopConnector:
                def __init__(self, context: ConnectorContext) -> None:
                    self.api_key = context.credentials["api_key"]

            @hookimpl
            def channelhub_channel_types():
                yield ChannelType(
                    key="myshop",
                    display_name="My Shop",
                    marketplaces=(Marketplace("MAIN", "My Shop", "main", "GB", "GBP", "en", "EU"),),
                    settings_model=MyShopSettings,
                    credential_fields=("api_key",),
                    connector_factory=MyShopConnector,
                    account_setting="shop_id",
                )
        """

    # ---------------------------------------------------------------- carrier family
    @hookspec
    def channelhub_carriers(self) -> Iterable[Carrier]:  # type: ignore[empty-body]
        """Register the carriers this plugin can quote and ship with.

        Called once at start-up. ``code`` must be unique across plugins.

        Example::

            from core.api import Carrier, CarrierService, hookimpl

            @hookimpl
            def channelhub_carriers():
                yield Carrier(
                    "gls",
                    "GLS",
                    services=(CarrierService("std", "Standard"),),
                    areas=("ES-MAINLAND", "ES-CANARIES"),
                )
        """

    @hookspec(firstresult=True)
    def channelhub_carrier_area(self, carrier_code: str, destination: Destination) -> str | None:
        """The area of *your* carrier ``carrier_code`` that ``destination`` falls in, if any.

        ``firstresult``: return ``None`` for carriers that are not yours, or when the carrier
        does not serve the destination. Core calls it when a host disables or enables a carrier
        in an area, to find the open orders of that area (re-selected or sent to Pending review).
        Pure and cheap: no I/O.

        Example::

            from core.api import Destination, hookimpl

            @hookimpl
            def channelhub_carrier_area(carrier_code: str, destination: Destination) -> str | None:
                if carrier_code != "gls" or destination.country_code != "ES":
                    return None
                canaries = (destination.postal_code or "").startswith(("35", "38"))
                return "ES-CANARIES" if canaries else "ES-MAINLAND"
        """

    @hookspec
    def channelhub_carrier_options(  # type: ignore[empty-body]
        self, session: Session, integration_ids: Sequence[int]
    ) -> Mapping[int, Mapping[str, object]]:
        """Load this plugin's per-integration carrier options for one selection batch.

        Called ONCE per batch of orders needing carriers (not once per order), before any
        quote. Read everything you need for all of ``integration_ids`` in one query on the
        ``session`` you are given (never open your own connection: it would cost a pool
        checkout per batch and sees uncommitted work differently), and return
        ``{integration_id: {key: value}}`` with keys prefixed by your plugin's name. Core puts
        the merged result in :class:`core.dto.CarrierContext`, passed to
        ``channelhub_quote_rates`` and ``channelhub_select_carrier`` as ``context``; read it
        there with ``context.option(request.integration_id, "myplugin.key", default)``.
        Integrations you have nothing stored for may be left out (the hooks see ``default``).

        Example (with the plugin's own table of options)::

            from sqlalchemy import String, select
            from sqlalchemy.orm import Mapped, mapped_column

            from core.api import PluginBase, hookimpl, member_of, plugin_metadata

            class MyPluginBase(PluginBase):
                __abstract__ = True
                metadata = plugin_metadata()

            class MyOptions(MyPluginBase):
                __tablename__ = "myplugin_options"
                integration_id: Mapped[int] = mapped_column(primary_key=True)
                strategy: Mapped[str] = mapped_column(String(16))

            @hookimpl
            def channelhub_carrier_options(session, integration_ids):
                rows = session.execute(
                    select(MyOptions.integration_id, MyOptions.strategy)
                    .where(member_of(MyOptions.integration_id, integration_ids))
                )
                return {i: {"myplugin.strategy": s} for i, s in rows}
        """

    @hookspec
    def channelhub_quote_rates(  # type: ignore[empty-body]
        self, request: RateRequest, context: CarrierContext
    ) -> Iterable[RateQuote]:
        """Quote every carrier of this plugin that serves ``request.destination``.

        Called for each order that needs a carrier, before ``channelhub_select_carrier``.
        Return one :class:`core.dto.RateQuote` per carrier service that can ship it (a carrier
        with no quote does not serve the destination). Core drops quotes for carriers the host
        has disabled for the area. All plugins' quotes are collected.

        ``context`` (:class:`core.dto.CarrierContext`) is the same object for every order of
        the batch: per-integration options and disabled carriers, already loaded. Use it
        instead of any database access; this hook must not do I/O. Take only the arguments
        you need (``def channelhub_quote_rates(request)`` is fine).

        Example::

            from decimal import Decimal

            from core.api import Money, RateQuote, hookimpl

            @hookimpl
            def channelhub_quote_rates(request, context):
                if request.destination.country_code == "ES":
                    yield RateQuote("gls", "std", "ES-MAINLAND",
                                    Money(Decimal("4.50"), "EUR"), transit_days=2)
        """

    @hookspec(firstresult=True)
    def channelhub_select_carrier(
        self, request: RateRequest, candidates: Sequence[RateQuote], context: CarrierContext
    ) -> CarrierDecision | None:
        """Choose the carrier for one order among ``candidates`` (enabled carriers' quotes).

        ``firstresult``: the first plugin returning a decision wins. Return ``None`` to leave
        the choice to others; if nobody decides (or there are no candidates) the order goes to
        Pending review, listing the carriers that could serve it if enabled. Per-integration
        settings (a strategy, preferences) come from ``context.option(...)``, loaded once per
        batch by your ``channelhub_carrier_options``: never query per order.

        Example::

            from core.api import CarrierDecision, hookimpl

            @hookimpl
            def channelhub_select_carrier(request, candidates, context):
                if not candidates:
                    return None
                if context.option(request.integration_id, "myplugin.strategy") == "fastest":
                    best = min(candidates, key=lambda q: q.transit_days)
                    return CarrierDecision(best.carrier_code, best.service_code, "fastest")
                best = min(candidates, key=lambda q: q.price.amount)
                return CarrierDecision(best.carrier_code, best.service_code, "cheapest")
        """

    # ---------------------------------------------------------------- pricing family
    @hookspec
    def channelhub_price_rule_types(self) -> Iterable[PriceRuleType]:  # type: ignore[empty-body]
        """Register price-rule types an admin can configure (``channelhub rules add TYPE``).

        Called once at start-up; ``key`` unique across plugins. ``params_model`` (pydantic)
        validates a rule's parameters when it is added, so bad input names the field. Core
        stores the rules, checks their conditions (category, brand, SKU pattern, price range)
        and orders them; a plugin only says what its rule types compute, through
        ``channelhub_price_formula``.

        Example::

            from decimal import Decimal

            from pydantic import BaseModel, Field

            from core.api import PriceRuleType, hookimpl

            class Markup(BaseModel):
                percent: Decimal = Field(gt=-100, le=1000)

            @hookimpl
            def channelhub_price_rule_types():
                yield PriceRuleType("markup", "Markup", "Adds a percentage to the RRP", Markup)
        """

    @hookspec(firstresult=True)
    def channelhub_price_formula(self, rule: PriceRuleSpec, params: BaseModel) -> PriceFormula | None:
        """Compile one stored rule of *your* rule types into a :class:`core.types.PriceFormula`.

        ``params`` is ``rule.params`` already validated by the type's ``params_model``. Return
        ``None`` for rule types that are not yours (``firstresult``: the owner answers). Core
        compiles each rule once per preview or apply, then, per product, tries the rules whose
        conditions hold in priority order across every plugin's types: the first formula that
        returns a price wins (no stacking); none: the RRP. The floor (cost + shipping +
        commission) wins over every rule and is rounded up with the winning rule's
        ``round_up``. Formulas must be pure (no I/O) and cheap: a preview calls them for every
        listing, a million of them in the pricing benchmark.

        Example (complete, with the rule type above)::

            from decimal import Decimal

            from pydantic import BaseModel

            from core.api import PricedProduct, PriceFormula, hookimpl

            class Markup(BaseModel):
                percent: Decimal

            @hookimpl
            def channelhub_price_formula(rule, params):
                if not isinstance(params, Markup):
                    return None
                factor = 1 + params.percent / 100

                def compute(product: PricedProduct) -> Decimal | None:
                    return None if product.rrp is None else product.rrp * factor

                return PriceFormula(compute)
        """

    # ---------------------------------------------------------------- fulfilment family
    @hookspec
    def channelhub_shipment_created(self, session: Session, shipment: NewShipment) -> NotifyState | None:
        """Plan how the channel hears of a shipment core has just stored.

        Called in the transaction that creates the shipment (``session``), after its row and
        items are flushed and before the commit: write your own rows (a notification queue, the
        label's contact) on that session, and they commit or roll back with the shipment.
        Raising refuses the shipment (a unique index of yours firing says "someone else is
        shipping this order right now"). Return :attr:`NotifyState.PENDING` if you will tell the
        channel, :attr:`NotifyState.NOT_REQUIRED` if no order of it needs telling (an earlier
        shipment did), or None if it is not yours. With no fulfilment plugin at all, core marks
        the shipment ``manual``: someone has to update the channel by hand. Report each attempt
        later with ``core.api.record_notification``.

        Example (a plugin queueing one notification per order in its own table)::

            from sqlalchemy import ForeignKey, String
            from sqlalchemy.orm import Mapped, mapped_column

            from core.api import NotifyState, Order, PluginBase, Shipment, hookimpl, plugin_metadata

            class MyPluginBase(PluginBase):
                __abstract__ = True
                metadata = plugin_metadata()

            class MyNotice(MyPluginBase):
                __tablename__ = "myplugin_notices"
                id: Mapped[int] = mapped_column(primary_key=True)
                shipment_id: Mapped[int] = mapped_column(ForeignKey(Shipment.id, ondelete="CASCADE"))
                order_id: Mapped[int] = mapped_column(ForeignKey(Order.id, ondelete="CASCADE"))
                state: Mapped[str] = mapped_column(String(16), default="queued")

            @hookimpl
            def channelhub_shipment_created(session, shipment):
                session.add_all(
                    MyNotice(shipment_id=shipment.shipment_id, order_id=order_id)
                    for order_id in shipment.order_ids
                )
                return NotifyState.PENDING
        """

    # ---------------------------------------------------------------- infrastructure
    @hookspec
    def channelhub_migrations(self) -> Iterable[MigrationLocation]:  # type: ignore[empty-body]
        """Declare the folder holding this plugin's Alembic revisions.

        The first revision must carry ``branch_labels = ("<branch>",)`` and
        ``depends_on = "core@head"``-style dependency on a core revision, so
        ``channelhub db upgrade`` creates the plugin's tables after core's.

        Example::

            from pathlib import Path

            from core.api import MigrationLocation, hookimpl

            @hookimpl
            def channelhub_migrations():
                yield MigrationLocation("myshop", Path(__file__).parent / "migrations")
        """

    @hookspec
    def channelhub_cli(self) -> Iterable[CliGroup]:  # type: ignore[empty-body]
        """Add commands to the ``channelhub`` CLI.

        Each :class:`CliGroup` names a group path, ``parent`` (a space-separated path or None)
        then ``name``; the commands of its Typer ``app`` are merged into the group at that
        path, which is created if missing. So a plugin extends core's groups (``orders``)
        and several channel plugins can each add their command under ``integrations add``.

        Example (adds ``channelhub sandbox myshop serve``)::

            import typer

            from core.api import CliGroup, hookimpl

            app = typer.Typer()

            @app.command()
            def serve(port: int = 8765) -> None: ...

            @hookimpl
            def channelhub_cli():
                yield CliGroup("myshop", app, help="My Shop sandbox", parent="sandbox")
        """

    @hookspec
    def channelhub_actors(self) -> Iterable[ActorSpec]:  # type: ignore[empty-body]
        """Contribute background jobs, declared on the broker chosen at start-up.

        Actors must be idempotent (delivery is at least once) and take ids, never objects.

        Example::

            from datetime import timedelta

            from core.api import ActorSpec, hookimpl

            def refresh_catalogue() -> None:
                ...  # idempotent: fetch the shop's catalogue again (ids only as arguments)

            @hookimpl
            def channelhub_actors():
                yield ActorSpec("myshop_refresh", refresh_catalogue, every=timedelta(hours=6))
        """

    # ---------------------------------------------------------------- the demo
    @hookspec(firstresult=True)
    def channelhub_demo_channel(self) -> DemoChannel | None:
        """Offer a stand-in for your channel (a sandbox on loopback) to ``channelhub demo``.

        ``firstresult``: the first plugin offering one is the demo's channel. Core starts it,
        connects the integrations it lists through ``integrations.add``, syncs, prices and
        runs every plugin's demo steps against it.

        Example (a stand-in already serving at a fixed address; a real one starts a server)::

            from contextlib import contextmanager

            from core.api import DemoChannel, DemoIntegration, hookimpl

            class FakeShopRun:
                url = "http://127.0.0.1:8766"
                integrations = [DemoIntegration("MAIN", {"shop_id": "demo"}, {"api_key": "demo-key"})]

                def figures(self):
                    return [("requests to My Shop", 0)]

            @contextmanager
            def start(orders: int):
                yield FakeShopRun()

            @hookimpl
            def channelhub_demo_channel():
                return DemoChannel("myshop", "a fake My Shop", "Importing My Shop orders", start)
        """

    @hookspec
    def channelhub_demo_steps(self) -> Iterable[DemoStep]:  # type: ignore[empty-body]
        """Contribute steps to ``channelhub demo`` (shipping a batch, redacting buyer data).

        Called when the demo runs; each step gets the demo's sessions, the plugin manager and
        the channel's display name, and returns a :class:`core.types.DemoOutcome`.

        Example::

            from sqlalchemy import func, select

            from core.api import DemoOutcome, DemoStep, Order, hookimpl

            def count_orders(sessions, plugins, channel: str) -> DemoOutcome:
                with sessions() as session:
                    count = session.scalar(select(func.count()).select_from(Order)) or 0
                return DemoOutcome([f"{count} orders came from {channel}"], [("orders", count)])

            @hookimpl
            def channelhub_demo_steps():
                yield DemoStep("count orders", 30, count_orders)
        """

    # ---------------------------------------------------------------- shipping fees
    @hookspec
    def channelhub_shipping_fees(self, session: Session, integration_id: int) -> FeeTable | None:
        """Show the shipping fee table of your carriers to the host (the console's Carriers page).

        Return every band you price (core leaves out carriers the host switched off in an area)
        and, when you store one, the integration's strategy as a
        :class:`core.types.StrategySetting` the host may switch: core checks the value against
        ``choices`` and calls ``store`` with the request's session. Read what you need on the
        ``session`` you are given; return ``None`` when you have no fees. Every plugin's table
        is shown.

        Example::

            from decimal import Decimal

            from core.api import FeeTable, Money, ShippingFee, StrategySetting, hookimpl

            STORED: dict[int, str] = {}  # a real plugin keeps this in its own table

            def store(session, integration_id, value):
                STORED[integration_id] = value

            @hookimpl
            def channelhub_shipping_fees(session, integration_id):
                light = ShippingFee("ES-MAINLAND", "gls", "std", "up to 2 kg", "weight", Decimal(2),
                                    Money(Decimal("3.90"), "EUR"), Money(Decimal("4.50"), "EUR"), 2)
                strategy = StrategySetting("myplugin.strategy", "carrier strategy",
                                           STORED.get(integration_id, "cheapest"),
                                           ("cheapest", "fastest"), store)
                return FeeTable((light,), strategy)
        """
