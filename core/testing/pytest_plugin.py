"""The pytest plugin (entry point ``pytest11: channelhub``) behind the conformance suites.

Installed with channelhub, so a plugin author's test module needs no conftest: it provides
the ``channelhub_harness`` fixture the suites take, registers the ``conformance`` marker, and
turns a suite's opt-outs into skips that show their reason in the test report.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.testing.suite import ConformanceConfigError


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance(contract): a channelhub plugin conformance contract (core.testing)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark = item.get_closest_marker("conformance")
        skips = getattr(getattr(item, "cls", None), "conformance_skips", None)
        if mark is not None and skips and mark.args[0] in skips:
            item.add_marker(pytest.mark.skip(reason=f"opted out: {skips[mark.args[0]]}"))


@pytest.fixture(scope="class")
def channelhub_harness_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The suite's harness, started once per test class and stopped after it."""
    factory = getattr(request.cls, "conformance_harness_factory", None)
    if factory is None:
        raise ConformanceConfigError(
            "channelhub_harness is for classes built by core.testing.*_conformance(harness=...)"
        )
    harness = factory()
    expected = request.cls.conformance_harness_type
    if not isinstance(harness, expected):
        raise ConformanceConfigError(f"the harness factory returned {harness!r}, not a {expected.__name__}")
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def channelhub_harness(channelhub_harness_session: Any) -> Any:
    """The started harness, reset so each contract starts from a clean channel."""
    channelhub_harness_session.reset()
    return channelhub_harness_session
