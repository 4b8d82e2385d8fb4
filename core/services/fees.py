"""The shipping fee table a host configures on a channel, per area, carrier and band.

Plugins own their fees and the strategies that use them (``channelhub_shipping_fees``); core
leaves out the carriers the host switched off in an area and picks the column the host
charges: a *conservative* strategy charges each band's maximum, a *competitive* one its
minimum (``channelhub fees show --strategy``). Neither holds the channel's commission, which
is charged on product + shipping.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from core.errors import InputError, NotFoundError
from core.plugins import PluginManager
from core.services import carriers, integrations
from core.types import ShippingFee, StrategySetting

STRATEGIES = {"conservative": "max", "competitive": "min"}
"""Fee strategy -> the column of the table it charges."""

NOTE = "Prices exclude the channel's commission, which is charged on product + shipping."


@dataclass(frozen=True, slots=True)
class FeeRow:
    """One band of an enabled carrier, with the price the chosen strategy charges."""

    area: str
    carrier: str
    service: str
    band: str
    basis: str
    max_kg: Decimal | None
    min_price: Decimal
    max_price: Decimal
    price: Decimal
    currency: str
    transit_days: int


@dataclass(frozen=True, slots=True)
class StrategyState:
    """A plugin's per-integration strategy as the console shows it (``store`` stays behind)."""

    key: str
    label: str
    current: str
    choices: tuple[str, ...]
    help: str


@dataclass(frozen=True, slots=True)
class Fees:
    integration_id: int
    integration: str
    strategy: str
    fees: list[FeeRow]
    strategies: list[StrategyState]
    note: str = NOTE


def _row(fee: ShippingFee, strategy: str) -> FeeRow:
    charged = fee.max_price if STRATEGIES[strategy] == "max" else fee.min_price
    return FeeRow(
        fee.area,
        fee.carrier,
        fee.service,
        fee.band,
        fee.basis,
        fee.max_kg,
        fee.min_price.amount,
        fee.max_price.amount,
        charged.amount,
        charged.currency,
        fee.transit_days,
    )


def fee_table(
    session: Session, plugins: PluginManager, integration_id: int, strategy: str = "conservative"
) -> Fees:
    """Every plugin's bands for the carriers the integration has on, priced by ``strategy``."""
    if strategy not in STRATEGIES:
        raise InputError("strategy", f"must be {' or '.join(STRATEGIES)}, got {strategy!r}")
    integration = integrations.get_integration(session, integration_id)
    off = carriers.disabled_pairs(session, integration_id)
    rows: list[FeeRow] = []
    states: list[StrategyState] = []
    for _plugin, table in plugins.shipping_fees(session, integration_id):
        rows += [_row(f, strategy) for f in table.fees if (f.area, f.carrier) not in off]
        if table.strategy is not None:
            s = table.strategy
            states.append(StrategyState(s.key, s.label, s.current, s.choices, s.help))
    return Fees(integration_id, integration.alias, strategy, rows, states)


def _setting(session: Session, plugins: PluginManager, integration_id: int, key: str) -> StrategySetting:
    for _plugin, table in plugins.shipping_fees(session, integration_id):
        if table.strategy is not None and table.strategy.key == key:
            return table.strategy
    raise NotFoundError(f"no plugin offers a strategy {key!r} for integration {integration_id}")


def set_strategy(
    session: Session, plugins: PluginManager, integration_id: int, key: str, value: str
) -> StrategyState:
    """Switch a plugin's per-integration strategy (the plugin stores it), checked against its choices."""
    integrations.get_integration(session, integration_id)
    setting = _setting(session, plugins, integration_id, key)
    if value not in setting.choices:
        raise InputError("value", f"must be one of {', '.join(setting.choices)}, got {value!r}")
    setting.store(session, integration_id, value)
    session.flush()
    now = _setting(session, plugins, integration_id, key)
    return StrategyState(now.key, now.label, now.current, now.choices, now.help)
