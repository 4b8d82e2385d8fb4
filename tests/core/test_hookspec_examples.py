"""Every example in core/hookspecs.py is a complete plugin module: it runs as written.

Each hook's docstring example is cut out, executed as a module of its own (imports
included, nothing provided by the test but ``__file__``), registered with a plugin manager
(which validates the hook implementations against the specs) and then called through core's
plugin facade, whose answer is checked.
"""

from __future__ import annotations

import inspect
import re
import textwrap
import types
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from core.db.models import NotifyState
from core.dto import CarrierContext, Destination, Money, NewShipment, PriceRuleSpec, RateQuote, RateRequest
from core.hookspecs import ChannelhubSpecs
from core.plugins import PluginManager

HOOKS = sorted(name for name, _ in inspect.getmembers(ChannelhubSpecs) if name.startswith("channelhub_"))
EXAMPLE = re.compile(r"Example[^\n]*::\n\n(?P<code>(?:(?: {12}[^\n]*)?\n)+)")


def example(hook: str) -> str:
    docstring = getattr(ChannelhubSpecs, hook).__doc__ or ""
    found = EXAMPLE.search(docstring + "\n")
    assert found, f"{hook}: its docstring has no 'Example::' block"
    return textwrap.dedent(found["code"])


def load(hook: str) -> tuple[PluginManager, types.ModuleType]:
    module = types.ModuleType(f"example_{hook}")
    module.__file__ = "/srv/myshop_channelhub/plugin.py"
    code = compile(example(hook), f"<{hook} example>", "exec", dont_inherit=True)  # no __future__ of ours
    exec(code, module.__dict__)
    manager = PluginManager()
    assert manager.register(module, f"example-{hook}"), manager.failures
    return manager, module


def _channel_types(m: PluginManager, _: types.ModuleType) -> None:
    channel = m.channel_type("myshop")
    assert channel.account_setting == "shop_id" and channel.credential_fields == ("api_key",)


def _carriers(m: PluginManager, _: types.ModuleType) -> None:
    assert m.carriers()["gls"].areas == ("ES-MAINLAND", "ES-CANARIES")


def _carrier_area(m: PluginManager, _: types.ModuleType) -> None:
    assert m.carrier_area("gls", Destination("ES", "35001")) == "ES-CANARIES"
    assert m.carrier_area("dhl", Destination("ES", "28001")) is None


REQUEST = RateRequest(
    order_id=1, integration_id=1, destination=Destination("ES", "28001"), weight_kg=Decimal(1)
)


def _quote_rates(m: PluginManager, _: types.ModuleType) -> None:
    assert [q.carrier_code for q in m.quote_rates(REQUEST)] == ["gls"]


def _select_carrier(m: PluginManager, _: types.ModuleType) -> None:
    quotes = [
        RateQuote("gls", "std", "ES-MAINLAND", Money(Decimal("4.50"), "EUR"), 2),
        RateQuote("seur", "std", "ES-MAINLAND", Money(Decimal("3.90"), "EUR"), 3),
    ]
    decision = m.select_carrier(REQUEST, quotes, CarrierContext())
    assert decision is not None and (decision.carrier_code, decision.reason) == ("seur", "cheapest")
    fastest = CarrierContext(options={1: {"myplugin.strategy": "fastest"}})
    decision = m.select_carrier(REQUEST, quotes, fastest)
    assert decision is not None and (decision.carrier_code, decision.reason) == ("gls", "fastest")
    assert m.select_carrier(REQUEST, [], CarrierContext()) is None


def _carrier_options(m: PluginManager, module: types.ModuleType) -> None:
    engine = create_engine("sqlite://")
    module.MyPluginBase.metadata.create_all(engine)  # a throwaway database, not a schema change
    with Session(engine) as session:
        session.add(module.MyOptions(integration_id=1, strategy="fastest"))
        session.flush()
        assert m.carrier_options(session, [1, 2]) == {1: {"myplugin.strategy": "fastest"}, 2: {}}


def _price_rule_types(m: PluginManager, _: types.ModuleType) -> None:
    assert m.price_rule_types()["markup"].params_model(percent="10").percent == Decimal(10)  # type: ignore[attr-defined]


def _price_formula(m: PluginManager, module: types.ModuleType) -> None:
    rule = PriceRuleSpec(rule_id=1, rule_type="markup", priority=1, conditions={}, params={"percent": "10"})
    formula = m.price_formula(rule, module.Markup(percent=Decimal(10)))
    assert formula is not None
    assert formula.compute(types.SimpleNamespace(rrp=Decimal("20.00"))) == Decimal("22.0000")  # type: ignore[arg-type]


def _migrations(m: PluginManager, _: types.ModuleType) -> None:
    [location] = m.migration_locations()
    assert location.branch == "myshop" and location.path.as_posix() == "/srv/myshop_channelhub/migrations"


def _cli(m: PluginManager, _: types.ModuleType) -> None:
    [group] = m.cli_groups()
    assert (group.parent, group.name) == ("sandbox", "myshop")


def _actors(m: PluginManager, _: types.ModuleType) -> None:
    [actor] = m.actors()
    assert actor.name == "myshop_refresh" and actor.every is not None


def _demo_channel(m: PluginManager, _: types.ModuleType) -> None:
    offered = m.demo_channel()
    assert offered is not None and offered.channel_key == "myshop"
    with offered.start(50) as run:
        assert [i.marketplace for i in run.integrations] == ["MAIN"] and run.figures()


def _demo_steps(m: PluginManager, _: types.ModuleType) -> None:
    [step] = m.demo_steps()

    class NoOrders:
        def scalar(self, _query: object) -> int:
            return 0

        def __enter__(self) -> NoOrders:
            return self

        def __exit__(self, *_: object) -> None: ...

    sessions: Any = NoOrders
    outcome = step.run(sessions, m, "My Shop")
    assert outcome.rows == [("orders", 0)] and outcome.lines == ["0 orders came from My Shop"]


def _shipment_created(m: PluginManager, module: types.ModuleType) -> None:
    engine = create_engine("sqlite://")
    module.MyPluginBase.metadata.create_all(engine)  # a throwaway database, not a schema change
    shipment = NewShipment(7, 1, (3, 4), "gls", None, "TRK1", datetime(2026, 12, 2, tzinfo=UTC))
    with Session(engine) as session:
        assert m.shipment_created(session, shipment) == [NotifyState.PENDING]
        session.flush()
        rows = session.query(module.MyNotice).order_by(module.MyNotice.order_id).all()
        assert [(n.shipment_id, n.order_id, n.state) for n in rows] == [(7, 3, "queued"), (7, 4, "queued")]


def _shipping_fees(m: PluginManager, module: types.ModuleType) -> None:
    [(plugin, table)] = m.shipping_fees(None, 7)  # type: ignore[arg-type]  # the example reads no table
    assert plugin == "example-channelhub_shipping_fees" and table.fees[0].max_price.amount == Decimal("4.50")
    assert table.strategy is not None and table.strategy.current == "cheapest"
    table.strategy.store(None, 7, "fastest")  # type: ignore[arg-type]
    [(_, again)] = m.shipping_fees(None, 7)  # type: ignore[arg-type]
    assert again.strategy is not None and again.strategy.current == "fastest"


CHECKS: dict[str, Callable[[PluginManager, types.ModuleType], None]] = {
    "channelhub_channel_types": _channel_types,
    "channelhub_carriers": _carriers,
    "channelhub_carrier_area": _carrier_area,
    "channelhub_carrier_options": _carrier_options,
    "channelhub_quote_rates": _quote_rates,
    "channelhub_select_carrier": _select_carrier,
    "channelhub_price_rule_types": _price_rule_types,
    "channelhub_price_formula": _price_formula,
    "channelhub_migrations": _migrations,
    "channelhub_cli": _cli,
    "channelhub_actors": _actors,
    "channelhub_demo_channel": _demo_channel,
    "channelhub_demo_steps": _demo_steps,
    "channelhub_shipment_created": _shipment_created,
    "channelhub_shipping_fees": _shipping_fees,
}


def test_every_hook_has_an_example_and_a_check() -> None:
    assert sorted(CHECKS) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_the_example_runs_as_a_plugin(hook: str) -> None:
    manager, module = load(hook)
    CHECKS[hook](manager, module)
