"""What a plugin author implements so the conformance suites can drive their plugin.

A harness owns the channel (or nothing, for carriers and price rules): it starts a fake
server or points at a sandbox, seeds it, and reads back what the channel was told. The suites
never reach into a plugin any other way than core does: through its hook implementations and
the :class:`~core.types.ChannelConnector` its channel type builds.

Lifecycle, per test class: ``start()`` once, ``reset()`` before every test, ``stop()`` once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.crypto import Secrets
from core.dto import CarrierContext, PriceRuleSpec, PricingInput, RateRequest
from core.types import ChannelType, ConnectorContext


class _Lifecycle:
    """Hooks shared by every harness; all optional."""

    def start(self) -> None:
        """Start the fake server / connect to the sandbox. Called once per test class."""

    def reset(self) -> None:
        """Forget what earlier tests did (pushes, confirmations, throttling). Called before each test."""

    def stop(self) -> None:
        """Stop what ``start`` started. Called once, even when tests failed."""


class ChannelHarness(_Lifecycle, ABC):
    """Drives one channel plugin for :func:`core.testing.channel_conformance`.

    Required: :attr:`plugin`, :attr:`channel_key`, :attr:`currency`, :meth:`settings`,
    :meth:`credentials`, :meth:`seed_orders`, :meth:`accepted_skus`,
    :meth:`confirmations_recorded`. Optional (override or opt the contract out):
    :meth:`throttled`, :meth:`recorded_quantity`, :meth:`recorded_price`.
    """

    plugin: object
    """The object holding your ``@hookimpl`` functions (usually your ``plugin`` module)."""

    channel_key: str
    """The :attr:`ChannelType.key` your plugin registers."""

    currency: str
    """ISO currency of the marketplace under test; prices are pushed in it."""

    marketplace_code: str | None = None
    """Which of your marketplaces to connect to; ``None`` takes the first one."""

    @abstractmethod
    def settings(self) -> Mapping[str, object]:
        """Integration settings (validated by your ``settings_model``), e.g. the fake server's URL."""

    @abstractmethod
    def credentials(self, *, valid: bool) -> Mapping[str, str]:
        """Credentials the channel accepts (``valid=True``) or refuses (``valid=False``)."""

    @abstractmethod
    def seed_orders(self, count: int) -> Sequence[str]:
        """Make the channel hold at least ``count`` orders spread over at least 3 pages.

        Include at least one unshipped merchant-fulfilled (MFN) order (the shipment tests
        confirm it). Return the channel order ids the channel must return from a fetch with
        no cursor: the paging test reports any of them missing as a gap.
        """

    @abstractmethod
    def accepted_skus(self) -> Sequence[str]:
        """At least two SKUs the channel accepts quantity and price pushes for."""

    def unknown_sku(self) -> str:
        """A SKU the channel does not know; pushing it must be rejected for that SKU only."""
        return "CONFORMANCE-NO-SUCH-SKU-0001"

    @abstractmethod
    def confirmations_recorded(self, channel_order_id: str) -> int:
        """How many times the channel was told that this order shipped."""

    def throttled(self) -> AbstractContextManager[None]:
        """A context in which the channel throttles every request (HTTP 429 or equivalent).

        Keep it throttling until the context exits so the connector's own retries run out;
        build the connector (in :meth:`settings`) with short back-off so the test stays fast.
        """
        raise NotImplementedError(
            "implement ChannelHarness.throttled() or opt out of 'throttling' with a reason"
        )

    def recorded_quantity(self, sku: str) -> int | None:
        """The quantity the channel now offers for ``sku`` (for the ``push_recorded`` contract)."""
        raise NotImplementedError(
            "implement ChannelHarness.recorded_quantity() or opt out of 'push_recorded' with a reason"
        )

    def recorded_price(self, sku: str) -> Decimal | None:
        """The price the channel now shows for ``sku`` (for the ``push_recorded`` contract)."""
        raise NotImplementedError(
            "implement ChannelHarness.recorded_price() or opt out of 'push_recorded' with a reason"
        )

    def orders_since(self) -> datetime:
        """The ``since`` passed to ``fetch_orders`` (default: 30 days ago, core's widest window)."""
        return datetime.now(UTC) - timedelta(days=30)

    def context(self, channel: ChannelType, *, valid: bool = True) -> ConnectorContext:
        """The context core would hand your connector factory; override to add ``redis_url``."""
        marketplace = (
            channel.marketplace(self.marketplace_code) if self.marketplace_code else channel.marketplaces[0]
        )
        if marketplace is None:
            raise LookupError(f"channel {channel.key!r} has no marketplace {self.marketplace_code!r}")
        return ConnectorContext(
            integration_id=1,
            alias=f"{channel.key}-conformance",
            marketplace=marketplace,
            settings=channel.settings_model.model_validate(dict(self.settings())),
            credentials=Secrets(self.credentials(valid=valid)),
        )


class CarrierHarness(_Lifecycle, ABC):
    """Drives one carrier plugin for :func:`core.testing.carrier_conformance`."""

    plugin: object
    """The object holding your ``@hookimpl`` functions."""

    @abstractmethod
    def requests(self) -> Sequence[RateRequest]:
        """Orders your carriers can ship (each must get at least one quote)."""

    def context(self) -> CarrierContext:
        """The context the hooks get for :meth:`requests`: what your ``channelhub_carrier_options``
        would load (e.g. a strategy per integration). Default: empty (every option at its default)."""
        return CarrierContext()

    def unserved_request(self) -> RateRequest:
        """An order none of your carriers serves (it must get no quote)."""
        raise NotImplementedError(
            "implement CarrierHarness.unserved_request() or opt out of 'unserved_destination' with a reason"
        )


class PricingHarness(_Lifecycle, ABC):
    """Drives one price-rule plugin for :func:`core.testing.pricing_conformance`."""

    plugin: object
    """The object holding your ``@hookimpl`` functions."""

    @abstractmethod
    def rules(self) -> Sequence[PriceRuleSpec]:
        """Valid rules (of your rule types) the products below are priced with."""

    @abstractmethod
    def products(self) -> Sequence[PricingInput]:
        """Products your rules apply to; at least one must get a decision."""

    @abstractmethod
    def bad_params(self) -> Mapping[str, Sequence[Mapping[str, object]]]:
        """Per rule type key, parameter sets its ``params_model`` must reject."""
