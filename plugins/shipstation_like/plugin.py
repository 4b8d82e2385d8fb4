"""Hook implementations of the ShipStation-like fulfilment plugin (entry point
``shipstation_like``): shipments and their one-time channel notification, the order workflow
commands, and personal data redaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from core.api import ActorSpec, CliGroup, DemoStep, MigrationLocation, hookimpl

BRANCH = "shipstation_like"


@hookimpl
def channelhub_migrations() -> Iterator[MigrationLocation]:
    yield MigrationLocation(BRANCH, Path(__file__).parent / "migrations" / "versions")


@hookimpl
def channelhub_cli() -> Iterator[CliGroup]:
    from plugins.shipstation_like import cli

    yield CliGroup("shipments", cli.shipments_app, help="Shipments and their channel notifications.")
    yield CliGroup("orders", cli.orders_app, help="Orders.")
    yield CliGroup("redact", cli.redact_app, help="Personal data redaction.")


@hookimpl
def channelhub_actors() -> Iterator[ActorSpec]:
    from plugins.shipstation_like.actors import ACTORS

    yield from ACTORS


@hookimpl
def channelhub_demo_steps() -> Iterator[DemoStep]:
    """Ship a batch and tell the channel, then redact buyer data (``channelhub demo``)."""
    from plugins.shipstation_like.demo import STEPS

    yield from STEPS
