"""The carrier conformance suite: what core relies on from carrier plugins.

Usage::

    class TestMyCarriers(carrier_conformance(harness=MyCarrierHarness)):
        pass
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event

from core.dto import CarrierContext, CarrierDecision, Money, RateQuote, RateRequest
from core.plugins import PluginManager
from core.testing.harness import CarrierHarness
from core.testing.suite import build_suite, check, contract, fail, no_failures, single_plugin_manager
from core.types import Carrier


def _carriers(h: CarrierHarness, name: str) -> tuple[PluginManager, dict[str, Carrier]]:
    manager = single_plugin_manager(h.plugin)
    carriers = manager.carriers()
    no_failures(manager, name)
    check(carriers, name, "channelhub_carriers registered no carrier")
    return manager, carriers


def _quotes(
    manager: PluginManager, request: RateRequest, name: str, context: CarrierContext | None = None
) -> list[RateQuote]:
    quotes = manager.quote_rates(request, context or CarrierContext())
    no_failures(manager, name)
    return quotes


@contextmanager
def _no_database(name: str) -> Iterator[list[str]]:
    """Record any engine connection opened meanwhile (carrier hooks get what they need as arguments)."""
    opened: list[str] = []

    def record(connection: Any) -> None:
        opened.append(str(connection.engine.url.render_as_string(hide_password=True)))

    event.listen(Engine, "engine_connect", record)
    try:
        yield opened
    finally:
        event.remove(Engine, "engine_connect", record)


class CarrierConformance:
    """Base of the class :func:`carrier_conformance` builds. One method per contract."""

    @contract("registration")
    def test_registration(self, channelhub_harness: CarrierHarness) -> None:
        """Carriers have codes, names and unique service codes."""
        name = "registration"
        _, carriers = _carriers(channelhub_harness, name)
        for code, carrier in carriers.items():
            check(code and carrier.name, name, f"carrier {code!r} needs a code and a name")
            check(
                carrier.services, name, f"carrier {code!r} lists no services: add at least one CarrierService"
            )
            services = [s.code for s in carrier.services]
            dupes = sorted({s for s in services if services.count(s) > 1})
            check(not dupes, name, f"carrier {code!r} lists service code(s) {dupes} more than once")

    @contract("quotes_typed")
    def test_quotes_typed(self, channelhub_harness: CarrierHarness) -> None:
        """Quotes name registered carriers and services, with Money prices and transit days >= 0."""
        h, name = channelhub_harness, "quotes_typed"
        manager, carriers = _carriers(h, name)
        requests = list(h.requests())
        check(requests, name, "harness.requests() must return at least one RateRequest")
        for request in requests:
            quotes = _quotes(manager, request, name)
            check(
                quotes,
                name,
                f"no quote for order {request.order_id} to {request.destination}: harness.requests() "
                "must name destinations your carriers serve",
            )
            for q in quotes:
                where = f"quote {q.carrier_code}/{q.service_code} for order {request.order_id}"
                carrier = carriers.get(q.carrier_code)
                check(
                    carrier,
                    name,
                    f"{where}: carrier {q.carrier_code!r} is not registered by channelhub_carriers",
                )
                assert carrier is not None
                check(
                    q.service_code in {s.code for s in carrier.services},
                    name,
                    f"{where}: service {q.service_code!r} is not among the carrier's services",
                )
                check(q.area_code, name, f"{where}: area_code must name the area the price applies to")
                for label, money in (("price", q.price), ("max_price", q.max_price)):
                    if label == "max_price" and money is None:
                        continue
                    check(
                        isinstance(money, Money) and isinstance(money.amount, Decimal) and money.amount >= 0,
                        name,
                        f"{where}: {label} must be a Money with a Decimal amount >= 0, got {money!r}",
                    )
                if q.max_price is not None:
                    check(
                        q.max_price.currency == q.price.currency and q.max_price.amount >= q.price.amount,
                        name,
                        f"{where}: max_price {q.max_price} must be in {q.price.currency} "
                        f"and >= price {q.price}",
                    )
                check(
                    isinstance(q.transit_days, int) and q.transit_days >= 0,
                    name,
                    f"{where}: transit_days must be an int >= 0, got {q.transit_days!r}",
                )

    @contract("areas")
    def test_areas(self, channelhub_harness: CarrierHarness) -> None:
        """Quoted areas are declared in Carrier.areas, and channelhub_carrier_area names the same one.

        Core switches carriers per area and, when one is switched off, finds the orders of that
        area through channelhub_carrier_area: it must agree with the quotes.
        """
        h, name = channelhub_harness, "areas"
        manager, carriers = _carriers(h, name)
        for request in h.requests():
            for q in _quotes(manager, request, name):
                carrier = carriers[q.carrier_code]
                check(
                    q.area_code in carrier.areas,
                    name,
                    f"{q.carrier_code} quoted area {q.area_code!r}, which is not in its Carrier.areas "
                    f"{carrier.areas}: declare every area a host can switch it on or off in",
                )
                area = manager.carrier_area(q.carrier_code, request.destination)
                no_failures(manager, name)
                check(
                    area == q.area_code,
                    name,
                    f"channelhub_carrier_area({q.carrier_code!r}, {request.destination}) gave {area!r}, "
                    f"the quote says {q.area_code!r}",
                )
        unserved = h.unserved_request().destination
        for code in carriers:
            check(
                manager.carrier_area(code, unserved) is None,
                name,
                f"channelhub_carrier_area({code!r}, {unserved}) names an area for the unserved destination",
            )
        check(
            manager.carrier_area("__another_plugins_carrier__", h.requests()[0].destination) is None,
            name,
            "channelhub_carrier_area answered for a carrier it did not register: return None for it",
        )

    @contract("unserved_destination")
    def test_unserved_destination(self, channelhub_harness: CarrierHarness) -> None:
        """A destination no carrier serves gets no quote (so the order goes to Pending review)."""
        h, name = channelhub_harness, "unserved_destination"
        manager, _ = _carriers(h, name)
        request = h.unserved_request()
        quotes = _quotes(manager, request, name)
        check(
            not quotes,
            name,
            f"quoted {[(q.carrier_code, q.service_code) for q in quotes]} for {request.destination}, which "
            "harness.unserved_request() says no carrier serves: a quote means the carrier serves it",
        )

    @contract("select_among_candidates")
    def test_select_among_candidates(self, channelhub_harness: CarrierHarness) -> None:
        """select_carrier picks one of the quotes it was given (any subset), or None."""
        h, name = channelhub_harness, "select_among_candidates"
        manager, _ = _carriers(h, name)
        subsets: Sequence[Callable[[list[RateQuote]], list[RateQuote]]] = (
            lambda qs: qs,
            lambda qs: qs[-1:],
            lambda qs: list(reversed(qs)),
            lambda qs: [replace(q, carrier_code=f"other-{q.carrier_code}") for q in qs],
        )
        decided = 0
        for request in h.requests():
            quotes = _quotes(manager, request, name)
            for subset in subsets:
                candidates = subset(quotes)
                decision = manager.select_carrier(request, candidates, h.context())
                if decision is None:
                    continue
                decided += 1
                check(
                    isinstance(decision, CarrierDecision) and decision.reason,
                    name,
                    f"select_carrier must return a CarrierDecision with a reason, got {decision!r}",
                )
                offered = {(c.carrier_code, c.service_code) for c in candidates}
                check(
                    (decision.carrier_code, decision.service_code) in offered,
                    name,
                    f"select_carrier chose {decision.carrier_code}/{decision.service_code} for order "
                    f"{request.order_id}, which is not among the candidates {sorted(offered)}: only pick "
                    "from `candidates` (the host may have disabled the others)",
                )
        check(decided, name, "select_carrier never decided for harness.requests(): return a CarrierDecision")

    @contract("no_database_per_order")
    def test_no_database_per_order(self, channelhub_harness: CarrierHarness) -> None:
        """quote_rates and select_carrier use their arguments only: no connection per order."""
        h, name = channelhub_harness, "no_database_per_order"
        manager, _ = _carriers(h, name)
        context = h.context()
        with _no_database(name) as opened:
            for request in h.requests():
                quotes = _quotes(manager, request, name, context)
                manager.select_carrier(request, quotes, context)
        check(
            not opened,
            name,
            f"a carrier hook opened a database connection ({opened[0] if opened else ''}): load "
            "per-integration options once per batch in channelhub_carrier_options(session, "
            "integration_ids) and read them from context.option(...) in the hooks",
        )

    @contract("no_candidates")
    def test_no_candidates(self, channelhub_harness: CarrierHarness) -> None:
        """With no candidates select_carrier returns None (the order goes to Pending review)."""
        h, name = channelhub_harness, "no_candidates"
        manager, _ = _carriers(h, name)
        for request in h.requests():
            try:
                decision = manager.select_carrier(request, [], h.context())
            except Exception as exc:
                fail(name, f"select_carrier(request, []) raised {type(exc).__name__}: {exc}; return None")
            check(decision is None, name, f"select_carrier(request, []) returned {decision!r}, expected None")


def carrier_conformance(
    *,
    harness: type[CarrierHarness] | Callable[[], CarrierHarness],
    skip: Mapping[str, str] | None = None,
) -> type:
    """A test base class checking every carrier contract against ``harness``."""
    return build_suite(CarrierConformance, "carrier", harness, CarrierHarness, skip)
