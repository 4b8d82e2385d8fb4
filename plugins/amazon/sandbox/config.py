"""Configuration of the SP-API sandbox: seed, size, time scale, throttling and credentials."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from plugins.amazon.sandbox.faults import Fault


@dataclass(frozen=True, slots=True)
class SandboxCredentials:
    """The one seller the sandbox knows, and the LWA app credentials that act for it."""

    seller_id: str = "A2SANDBOXSELLER1"
    client_id: str = "amzn1.application-oa2-client.sandbox"
    client_secret: str = "sandbox-client-secret"  # noqa: S105 - a published sandbox value, not a secret
    refresh_token: str = "Atzr|sandbox-refresh-token"  # noqa: S105


TURKEY = "A33AVAJ2PDY3EV"


@dataclass(slots=True)
class SandboxConfig:
    """How the sandbox behaves.

    ``time_scale`` speeds Amazon's clock for rate limits and processing delays (60 means a
    minute of Amazon time passes in a second), so tests of throttled code stay fast.
    ``limit_header_omitted`` is the share of 429s answered without ``x-amzn-RateLimit-Limit``
    (Amazon leaves it off often). ``public_url`` is where clients reach the sandbox, for the
    document URLs it hands out (default ``http://HOST:PORT`` of the server). ``faults`` are
    armed at start and again on each reset.
    ``anchor`` fixes the "now" that seeded orders are dated against; None means the start
    time rounded down to the hour, less an hour (same seed + same anchor = same data).
    """

    seed: int = 42
    orders: int = 1200
    time_scale: float = 1.0
    throttle: bool = True
    token_ttl_seconds: int = 3600
    listings: int = 240
    fulfillment_orders: int = 40
    rdt_refused_marketplaces: frozenset[str] = frozenset({TURKEY})
    processing_seconds: float = 30.0
    anchor: datetime | None = None
    limit_header_omitted: float = 0.5
    public_url: str | None = None
    faults: tuple[Fault, ...] = ()
    credentials: SandboxCredentials = field(default_factory=SandboxCredentials)

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {self.time_scale}")
        if self.orders < 0:
            raise ValueError(f"orders must be >= 0, got {self.orders}")
        if not 0 <= self.limit_header_omitted <= 1:
            raise ValueError(f"limit_header_omitted must be between 0 and 1, got {self.limit_header_omitted}")
        if self.listings < 1:
            raise ValueError(f"listings must be >= 1, got {self.listings}")
