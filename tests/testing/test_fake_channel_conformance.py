"""The fake channel core's tests use passes the channel suite (the kit's own self-test)."""

from __future__ import annotations

from core.testing import channel_conformance
from tests.testing.fake_harness import FakeChannelHarness


class TestFakeChannel(
    channel_conformance(
        harness=FakeChannelHarness,
        skip={"entry_point": "test-only plugin, registered directly rather than installed"},
    )
):
    pass
