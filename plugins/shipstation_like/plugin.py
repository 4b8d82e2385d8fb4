"""Hook implementations of the ShipStation-like fulfilment plugin (entry point
``shipstation_like``): shipment commands and their one-time channel notification, and
personal data redaction on the channel's schedule. Core stores the shipments; this plugin
plans and sends what the channel is told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from core.api import ActorSpec, CliGroup, DemoStep, MigrationLocation, NewShipment, NotifyState, hookimpl

BRANCH = "shipstation_like"


@hookimpl
def channelhub_migrations() -> Iterator[MigrationLocation]:
    yield MigrationLocation(BRANCH, Path(__file__).parent / "migrations" / "versions")


@hookimpl
def channelhub_cli() -> Iterator[CliGroup]:
    from plugins.shipstation_like import cli

    yield CliGroup("shipments", cli.shipments_app, help="Shipments and their channel notifications.")
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


@hookimpl
def channelhub_shipment_created(session: Session, shipment: NewShipment) -> NotifyState:
    """Queue the channel's one confirmation per order and the label contact (see ``shipments``)."""
    from plugins.shipstation_like.shipments import plan_notifications

    return plan_notifications(session, shipment)
