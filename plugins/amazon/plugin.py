"""Hook implementations of the Amazon channel plugin (registered by entry point ``amazon``)."""

from __future__ import annotations

from collections.abc import Iterator

from core.api import ChannelType, CliGroup, DemoChannel, hookimpl


@hookimpl
def channelhub_channel_types() -> Iterator[ChannelType]:
    """Amazon: every marketplace, one integration per country."""
    from plugins.amazon.connector import AmazonConnector
    from plugins.amazon.marketplaces import MARKETPLACES
    from plugins.amazon.settings import AmazonSettings

    yield ChannelType(
        key="amazon",
        display_name="Amazon",
        marketplaces=MARKETPLACES,
        settings_model=AmazonSettings,
        credential_fields=("refresh_token",),
        connector_factory=AmazonConnector,
        optional_credentials=("client_id", "client_secret"),
        account_setting="seller_id",
    )


@hookimpl
def channelhub_cli() -> Iterator[CliGroup]:
    """``sandbox amazon serve`` (core's ``integrations add amazon`` connects it)."""
    from plugins.amazon.sandbox.cli import app as sandbox_app

    yield CliGroup(name="amazon", parent="sandbox", app=sandbox_app, help="Local Amazon SP-API sandbox.")


@hookimpl
def channelhub_demo_channel() -> DemoChannel:
    """The SP-API sandbox, for ``channelhub demo``."""
    from plugins.amazon.demo import DEMO

    return DEMO
