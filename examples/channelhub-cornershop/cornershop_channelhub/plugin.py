"""Hook implementations of the Cornershop channel plugin (entry point ``cornershop``)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, Field

from core.api import ChannelType, Marketplace, hookimpl
from cornershop_channelhub.connector import CornershopConnector


class CornershopSettings(BaseModel):
    base_url: str = "https://api.cornershop.example"
    timeout_seconds: float = Field(default=10.0, gt=0)
    history_days: int = Field(default=30, ge=1, le=30)


@hookimpl
def channelhub_channel_types() -> Iterator[ChannelType]:
    yield ChannelType(
        key="cornershop",
        display_name="Cornershop",
        marketplaces=(Marketplace("MAIN", "Cornershop", "main", "GB", "GBP", "en", "EU"),),
        settings_model=CornershopSettings,
        credential_fields=("api_key",),
        connector_factory=CornershopConnector,
    )
