"""The plugin manager: loads the ``channelhub`` entry point group and offers typed methods.

The rest of core calls this facade, never ``pm.hook`` directly, so every plugin result is
checked for its type and attributed to the plugin that returned it. A plugin that fails to
import or whose hooks do not match the specs is recorded in :attr:`failures` and skipped; the
others keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TypeVar, cast

import pluggy
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core import hookspecs
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
from core.errors import NotFoundError, PluginError
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

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = hookspecs.PROJECT
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    """A plugin that loaded and validated."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PluginFailure:
    """A plugin that could not be used, and why (shown by ``channelhub plugins list``)."""

    name: str
    distribution: str | None
    version: str | None
    error: str

    def __str__(self) -> str:
        origin = f" from distribution {self.distribution}" if self.distribution else ""
        return f"plugin {self.name!r}{origin} failed to load: {self.error}"


class PluginManager:
    """Typed facade over a :class:`pluggy.PluginManager` for channelhub's hook specs."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs.ChannelhubSpecs)
        self.plugins: list[LoadedPlugin] = []
        self.failures: list[PluginFailure] = []

    # ------------------------------------------------------------------ loading
    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load every entry point of ``group``; record and skip the ones that fail."""
        seen: set[str] = set()
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            if ep.name in seen:
                self._fail(ep.name, dist, version, "another installed distribution uses this name")
                continue
            seen.add(ep.name)
            self._load_one(ep, dist, version)

    def _load_one(self, ep: EntryPoint, dist: str | None, version: str | None) -> None:
        try:
            plugin = ep.load()
        except Exception as exc:  # any import-time error must not take the others down
            self._fail(ep.name, dist, version, f"import of {ep.value!r} raised {exc!r}")
            return
        self.register(plugin, ep.name, distribution=dist, version=version)

    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register and validate one plugin object; False (and a failure recorded) if invalid."""
        try:
            self._pm.register(plugin, name=name)
        except ValueError as exc:
            self._fail(name, distribution, version, str(exc))
            return False
        except pluggy.PluginValidationError as exc:
            self._fail(name, distribution, version, f"invalid hook implementation: {exc}")
            return False
        unknown = [
            impl_name
            for impl_name in self._impl_names(plugin)
            if not getattr(self._pm.hook, impl_name).has_spec()
        ]
        if unknown:
            self._pm.unregister(plugin)
            self._fail(
                name,
                distribution,
                version,
                f"implements unknown hook(s) {', '.join(sorted(unknown))}; "
                f"see core/hookspecs.py for the hook names",
            )
            return False
        hooks = tuple(sorted(self._impl_names(plugin)))
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self.plugins.append(LoadedPlugin(name, module, distribution, version, hooks))
        return True

    def _impl_names(self, plugin: object) -> list[str]:
        return [attr for attr in dir(plugin) if self._pm.parse_hookimpl_opts(plugin, attr) is not None]

    def _fail(self, name: str, dist: str | None, version: str | None, error: str) -> None:
        failure = PluginFailure(name, dist, version, error)
        self.failures.append(failure)
        log.error("%s", failure)

    def _drop(self, plugin_name: str, error: str) -> None:
        """Unregister a plugin whose hook misbehaved after loading."""
        plugin = self._pm.get_plugin(plugin_name)
        if plugin is not None:
            self._pm.unregister(plugin)
        loaded = next((p for p in self.plugins if p.name == plugin_name), None)
        self.plugins = [p for p in self.plugins if p.name != plugin_name]
        self._fail(
            plugin_name,
            loaded.distribution if loaded else None,
            loaded.version if loaded else None,
            error,
        )

    # ------------------------------------------------------------------ collection helpers
    def _collect(self, hook_name: str, kind: type[T], **kwargs: Any) -> list[tuple[str, T]]:
        """Call ``hook_name`` on each plugin separately, type-checking what it returns."""
        collected: list[tuple[str, T]] = []
        hook = getattr(self._pm.hook, hook_name)
        for impl in list(hook.get_hookimpls()):
            try:
                # a hookimpl may take any subset of the spec's arguments (pluggy's rule)
                items = list(impl.function(**{k: kwargs[k] for k in impl.argnames}) or ())
            except Exception as exc:
                self._drop(impl.plugin_name, f"{hook_name} raised {exc!r}")
                continue
            wrong = [i for i in items if not isinstance(i, kind)]
            if wrong:
                self._drop(
                    impl.plugin_name,
                    f"{hook_name} must return {kind.__name__} values, got {type(wrong[0]).__name__}",
                )
                continue
            collected.extend((impl.plugin_name, item) for item in items)
        return collected

    def _keyed(self, hook_name: str, kind: type[T], key: Callable[[T], str], what: str) -> dict[str, T]:
        """Registration hooks: unique keys across plugins, else a clear conflict error."""
        result: dict[str, T] = {}
        owners: dict[str, str] = {}
        for plugin_name, item in self._collect(hook_name, kind):
            k = key(item)
            if k in result:
                raise PluginError(
                    f"{what} {k!r} is registered by both plugin {owners[k]!r} and plugin "
                    f"{plugin_name!r}; uninstall one of them"
                )
            result[k], owners[k] = item, plugin_name
        return result

    # ------------------------------------------------------------------ typed facade
    def channel_types(self) -> dict[str, ChannelType]:
        return self._keyed("channelhub_channel_types", ChannelType, lambda c: c.key, "channel type")

    def channel_type(self, key: str) -> ChannelType:
        types = self.channel_types()
        if key not in types:
            known = ", ".join(sorted(types)) or "none installed"
            raise NotFoundError(f"unknown channel type {key!r} (available: {known})")
        return types[key]

    def carriers(self) -> dict[str, Carrier]:
        return self._keyed("channelhub_carriers", Carrier, lambda c: c.code, "carrier")

    def carrier_options(
        self, session: Session, integration_ids: Sequence[int]
    ) -> dict[int, dict[str, object]]:
        """Every plugin's per-integration carrier options, merged (one call per plugin)."""
        merged: dict[int, dict[str, object]] = {i: {} for i in integration_ids}
        arguments: dict[str, Any] = {"session": session, "integration_ids": integration_ids}
        for impl in list(self._pm.hook.channelhub_carrier_options.get_hookimpls()):
            try:
                found = cast(
                    Mapping[int, Mapping[str, object]] | None,
                    impl.function(**{k: arguments[k] for k in impl.argnames}),
                )
            except Exception as exc:
                self._drop(impl.plugin_name, f"channelhub_carrier_options raised {exc!r}")
                continue
            for integration_id, options in (found or {}).items():
                merged.setdefault(integration_id, {}).update(options)
        return merged

    def carrier_area(self, carrier_code: str, destination: Destination) -> str | None:
        area = self._pm.hook.channelhub_carrier_area(carrier_code=carrier_code, destination=destination)
        return _checked(area, str, "channelhub_carrier_area")

    def quote_rates(self, request: RateRequest, context: CarrierContext | None = None) -> list[RateQuote]:
        found = self._collect(
            "channelhub_quote_rates", RateQuote, request=request, context=context or CarrierContext()
        )
        return [q for _, q in found]

    def select_carrier(
        self,
        request: RateRequest,
        candidates: Sequence[RateQuote],
        context: CarrierContext | None = None,
    ) -> CarrierDecision | None:
        decision = self._pm.hook.channelhub_select_carrier(
            request=request, candidates=candidates, context=context or CarrierContext()
        )
        return _checked(decision, CarrierDecision, "channelhub_select_carrier")

    def shipping_fees(self, session: Session, integration_id: int) -> list[tuple[str, FeeTable]]:
        """Each plugin's fee table for the integration, with the plugin's name (None: no fees)."""
        tables: list[tuple[str, FeeTable]] = []
        for impl in list(self._pm.hook.channelhub_shipping_fees.get_hookimpls()):
            arguments: dict[str, Any] = {"session": session, "integration_id": integration_id}
            try:
                table = impl.function(**{k: arguments[k] for k in impl.argnames})
            except Exception as exc:
                self._drop(impl.plugin_name, f"channelhub_shipping_fees raised {exc!r}")
                continue
            checked = _checked(table, FeeTable, "channelhub_shipping_fees")
            if checked is not None:
                tables.append((impl.plugin_name, checked))
        return tables

    def price_rule_types(self) -> dict[str, PriceRuleType]:
        return self._keyed("channelhub_price_rule_types", PriceRuleType, lambda r: r.key, "price rule type")

    def price_formula(self, rule: PriceRuleSpec, params: BaseModel) -> PriceFormula | None:
        formula = self._pm.hook.channelhub_price_formula(rule=rule, params=params)
        return _checked(formula, PriceFormula, "channelhub_price_formula")

    def shipment_created(self, session: Session, shipment: NewShipment) -> list[NotifyState]:
        """Every fulfilment plugin's answer for a new shipment. Unlike registration hooks, an
        exception is not a broken plugin to drop: it refuses the shipment, so it propagates."""
        answers = self._pm.hook.channelhub_shipment_created(session=session, shipment=shipment)
        wrong = [a for a in answers if not isinstance(a, NotifyState)]
        if wrong:
            raise PluginError(
                f"channelhub_shipment_created must return NotifyState or None, got {type(wrong[0]).__name__}"
            )
        return list(answers)

    def migration_locations(self) -> list[MigrationLocation]:
        return list(
            self._keyed(
                "channelhub_migrations", MigrationLocation, lambda m: m.branch, "migration branch"
            ).values()
        )

    def cli_groups(self) -> list[CliGroup]:
        return [g for _, g in self._collect("channelhub_cli", CliGroup)]

    def demo_channel(self) -> DemoChannel | None:
        channel = self._pm.hook.channelhub_demo_channel()
        return _checked(channel, DemoChannel, "channelhub_demo_channel")

    def demo_steps(self) -> list[DemoStep]:
        return sorted(
            self._keyed("channelhub_demo_steps", DemoStep, lambda s: s.name, "demo step").values(),
            key=lambda step: step.order,
        )

    def actors(self) -> list[ActorSpec]:
        return list(self._keyed("channelhub_actors", ActorSpec, lambda a: a.name, "actor").values())


def _checked(value: object, kind: type[T], hook_name: str) -> T | None:
    if value is None or isinstance(value, kind):
        return value
    raise PluginError(f"{hook_name} returned {type(value).__name__}, expected {kind.__name__}")


def build_plugin_manager(extra: Iterable[tuple[str, object]] = ()) -> PluginManager:
    """A fresh manager with every installed plugin, plus ``extra`` (name, plugin) pairs."""
    manager = PluginManager()
    manager.load_entry_points()
    for name, plugin in extra:
        manager.register(plugin, name)
    return manager


@lru_cache(maxsize=1)
def get_plugin_manager() -> PluginManager:
    """The process-wide manager (cached: entry points are read once)."""
    return build_plugin_manager()
