"""An Amazon integration's options (Multiorders' connect form), validated before anything is stored."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FulfilmentChoice = Literal["mfn", "fba"]


class AmazonSettings(BaseModel):
    """Options of one Amazon marketplace integration.

    ``endpoint`` replaces the regional SP-API host (point it at ``channelhub sandbox amazon
    serve``); the Login with Amazon token endpoint then defaults to the same host.
    """

    model_config = ConfigDict(extra="forbid")

    seller_id: str = Field(
        min_length=5, max_length=40, pattern=r"^[A-Z0-9]+$", description="Your merchant token."
    )
    orders: list[FulfilmentChoice] = Field(
        default=["mfn", "fba"], min_length=1, description="Orders to import."
    )
    history_days: int = Field(
        default=30, ge=1, le=30, description="Days of order history to import at first (Amazon allows 30)."
    )
    inventory: list[FulfilmentChoice] = Field(default=["mfn", "fba"], description="Inventory to import.")
    handling_days: int = Field(default=1, ge=0, le=30, description="Default handling time in days.")
    ioss: str | None = Field(
        default=None, pattern=r"^IM\d{10}$", description="IOSS number to prefill on EU shipments."
    )
    identifier: Literal["sku", "asin"] = Field(default="sku", description="Match products by sku or asin.")
    endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="SP-API base URL instead of Amazon's (the sandbox's).",
    )
    lwa_endpoint: str | None = Field(
        default=None, pattern=r"^https?://", description="Login with Amazon token URL (default: endpoint's)."
    )
    prefill_phone: str | None = None
    prefill_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    intervals: dict[str, float] = Field(
        default_factory=dict, description='Seconds between runs per stream, e.g. {"orders": 300}.'
    )
    pace_requests: bool = Field(
        default=True,
        description="Pace calls by Amazon's usage plans; off only for a sandbox that does not throttle.",
    )
