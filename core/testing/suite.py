"""Building a conformance test class from a harness and the author's opt-outs.

Each suite is a base class whose ``test_*`` methods carry ``@pytest.mark.conformance(name)``.
:func:`build_suite` checks the opt-outs (known names, non-empty reasons) when the author's
test module is imported, so a typo fails loudly instead of silently skipping nothing; the
pytest plugin (:mod:`core.testing.pytest_plugin`) turns the opt-outs into skips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn, TypeVar

import pytest

from core.errors import PluginError
from core.plugins import PluginManager

H = TypeVar("H")


class ConformanceConfigError(ValueError):
    """The author's test module asks for something the suite cannot do (bad opt-out, bad harness)."""


def contract(name: str) -> pytest.MarkDecorator:
    """Mark a suite method as the test of contract ``name`` (what opt-outs refer to)."""
    return pytest.mark.conformance(name)


def contracts_of(base: type) -> tuple[str, ...]:
    """The contract names a suite class tests, in definition order."""
    names: list[str] = []
    for attr in vars(base).values():
        for mark in getattr(attr, "pytestmark", ()):
            if mark.name == "conformance":
                names.append(mark.args[0])
    return tuple(names)


def build_suite(
    base: type,
    kind: str,
    harness: type[H] | Callable[[], H],
    harness_type: type,
    skip: Mapping[str, str] | None,
) -> type:
    """A subclass of ``base`` bound to ``harness``, with validated opt-outs."""
    known = contracts_of(base)
    skips = dict(skip or {})
    for name, reason in skips.items():
        if name not in known:
            raise ConformanceConfigError(
                f"{kind}_conformance: unknown opt-out {name!r}; the contracts are: {', '.join(known)}"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ConformanceConfigError(
                f"{kind}_conformance: opting out of {name!r} needs a reason, e.g. "
                f'skip={{"{name}": "the channel has no rate limits"}}'
            )
    if isinstance(harness, type) and not issubclass(harness, harness_type):
        raise ConformanceConfigError(
            f"{kind}_conformance: harness {harness.__name__} must subclass "
            f"core.testing.{harness_type.__name__}"
        )
    attrs: dict[str, Any] = {
        "conformance_harness_factory": staticmethod(harness),
        "conformance_harness_type": harness_type,
        "conformance_skips": skips,
        "__test__": True,
    }
    return type(f"{base.__name__}For{getattr(harness, '__name__', 'Harness')}", (base,), attrs)


def fail(contract_name: str, message: str) -> NoReturn:
    """Fail the current test with a message that says what to fix (no traceback noise).

    The message already names the plugin's exception, so the chained original is suppressed.
    """
    failure = pytest.fail.Exception(f"[{contract_name}] {message}", pytrace=False)
    failure.__suppress_context__ = True
    raise failure


def check(condition: object, contract_name: str, message: str) -> None:
    if not condition:
        fail(contract_name, message)


def single_plugin_manager(plugin: object, name: str = "plugin-under-test") -> PluginManager:
    """A plugin manager holding only the plugin under test (no entry points: results are its own)."""
    manager = PluginManager()
    if not manager.register(plugin, name):
        raise PluginError(str(manager.failures[-1]))
    return manager


def no_failures(manager: PluginManager, contract_name: str) -> None:
    """A hook that raised or returned the wrong type makes core drop the plugin: say why."""
    if manager.failures:
        fail(contract_name, f"core would drop this plugin: {manager.failures[-1].error}")
