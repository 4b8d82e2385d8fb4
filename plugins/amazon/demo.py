"""The Amazon sandbox offered to ``channelhub demo`` (core's command drives the day itself)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from core.api import DemoChannel, DemoIntegration
from plugins.amazon.sandbox import RunningSandbox, SandboxConfig, running_sandbox

MARKETS = ("UK", "DE")
"""UK and Germany: the demo leaves the last without a carrier, so Pending review shows."""


@dataclass(frozen=True, slots=True)
class SandboxDemo:
    """The running sandbox as the demo sees it: where it is, what to connect, what it counted."""

    sandbox: RunningSandbox

    @property
    def url(self) -> str:
        return self.sandbox.base_url

    @property
    def integrations(self) -> Sequence[DemoIntegration]:
        c = self.sandbox.credentials
        settings = {
            "seller_id": c.seller_id,
            "endpoint": self.sandbox.base_url,
            "prefill_phone": "+44 20 7946 0000",
            "prefill_email": "shipping@example.com",
        }
        credentials = {
            "refresh_token": c.refresh_token,
            "client_id": c.client_id,
            "client_secret": c.client_secret,
        }
        return [DemoIntegration(market, settings, credentials) for market in MARKETS]

    def figures(self) -> Sequence[tuple[str, int]]:
        stats = self.sandbox.stats()
        return [
            ("requests to Amazon's API (SP-API)", sum(stats["requests"].values())),
            ("requests Amazon throttled (HTTP 429: waited, retried)", sum(stats["throttled"].values())),
        ]


@contextmanager
def _start(orders: int) -> Iterator[SandboxDemo]:
    with running_sandbox(SandboxConfig(seed=42, orders=orders, time_scale=60)) as sandbox:
        yield SandboxDemo(sandbox)


DEMO = DemoChannel(
    channel_key="amazon",
    name="the Amazon sandbox (a local stand-in for Amazon's Selling Partner API, SP-API)",
    import_note=(
        "Importing orders, product listings and FBA stock (the units Amazon stores and ships for "
        "you, Fulfilled by Amazon)"
    ),
    start=_start,
)
