# ruff: noqa: E501
"""Deliberately broken plugins fail the suites with messages that say what to fix."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

BROKEN_CHANNEL = """
from dataclasses import replace
from core.dto import ConfirmationResult, OrdersPage
from core.hookspecs import hookimpl
from core.testing import channel_conformance
from tests.fakes import channel as fake
from tests.testing.fake_harness import FakeChannelHarness


class BrokenConnector(fake.FakeConnector):
    def fetch_orders(self, cursor, *, since):
        # off by one: every page after the first starts with the previous page's last order
        for page in super().fetch_orders(cursor, since=since):
            yield replace(page, cursor=str(int(page.cursor) - 1))

    def push_quantities(self, updates):
        for u in updates:
            if u.sku not in fake.CHANNEL.known_skus:
                raise KeyError(u.sku)
        return super().push_quantities(updates)

    def confirm_shipments(self, confirmations):
        fake.CHANNEL.confirmations.extend(confirmations)
        return [ConfirmationResult(c.channel_order_id, True) for c in confirmations]

    def verify_credentials(self):
        if fake.CHANNEL.throttled:
            raise RuntimeError("HTTP 429")
        if self.context.credentials["api_key"] != "good-key-123":
            raise ValueError("bad key " + self.context.credentials["api_key"])


class BrokenPlugin(fake.FakeChannelPlugin):
    @hookimpl
    def channelhub_channel_types(self):
        for channel in super().channelhub_channel_types():
            yield replace(channel, connector_factory=BrokenConnector)


class BrokenHarness(FakeChannelHarness):
    plugin = BrokenPlugin()


class TestBroken(channel_conformance(harness=BrokenHarness, skip={"entry_point": "not installed"})):
    pass
"""


def test_broken_channel_fails_with_messages_that_say_what_to_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=BROKEN_CHANNEL)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 5, result.stdout.str()
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*[[]credentials_invalid[]] verify_credentials raised ValueError*raise core.errors.ChannelAuthError*",
            "*[[]order_paging[]] resuming from page 1's cursor '3' returned order(s) [[]'FAKE-0004'[]] again: "
            "the cursor must resume right after its page*",
            "*[[]push_quantities[]] push_quantities raised KeyError*reject that SKU in its own SkuResult*",
            "*[[]shipment_idempotent[]] after attempt 2 the channel was notified 2 time(s)*possibly_sent=True*",
            "*[[]throttling[]] verify_credentials raised RuntimeError (HTTP 429)*ThrottledError*",
        ]
    )
    assert "During handling of the above exception" not in out


def test_unknown_opt_out_and_missing_reason_are_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_optout="""
        import pytest
        from core.testing import ConformanceConfigError, channel_conformance
        from tests.testing.fake_harness import FakeChannelHarness

        def test_unknown_name():
            with pytest.raises(ConformanceConfigError, match="unknown opt-out 'throttle'.*throttling"):
                channel_conformance(harness=FakeChannelHarness, skip={"throttle": "no limits"})

        def test_empty_reason():
            with pytest.raises(ConformanceConfigError, match="opting out of 'throttling' needs a reason"):
                channel_conformance(harness=FakeChannelHarness, skip={"throttling": " "})

        def test_wrong_harness_type():
            with pytest.raises(ConformanceConfigError, match="must subclass core.testing.ChannelHarness"):
                channel_conformance(harness=dict)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
