"""The plugin's tables come from its own Alembic branch, and match its models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, select

from core.db import migrate
from core.db.models import Integration, IntegrationStatus, Order, OrderItem, OrderStatus, Shipment
from core.db.session import get_engine, session_factory
from core.dto import Fulfilment
from core.plugins import PluginManager
from core.settings import Settings
from plugins.shipstation_like.tables import ShipstationBase

OWN_TABLES = set(ShipstationBase.metadata.tables)
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def test_models_and_branch_agree(migrated: Settings) -> None:
    with get_engine(migrated.database_url).connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, _parent: kind != "table" or name in OWN_TABLES,
            },
        )
        assert compare_metadata(context, ShipstationBase.metadata) == []


def test_branch_downgrades_alone(migrated: Settings, plugins: PluginManager) -> None:
    url = migrated.database_url
    assert all(t.startswith("shipstation_") for t in OWN_TABLES)
    assert set(inspect(get_engine(url)).get_table_names()) >= OWN_TABLES
    migrate.downgrade(plugins, url, "shipstation_like@base")
    remaining = set(inspect(get_engine(url)).get_table_names())
    assert not OWN_TABLES & remaining and "shipments" in remaining
    migrate.upgrade(plugins, url)
    assert set(inspect(get_engine(url)).get_table_names()) >= OWN_TABLES


def test_shipment_lines_move_into_core_and_back_without_loss(env: Settings, plugins: PluginManager) -> None:
    """Core 0009 copies the plugin's shipment lines into ``shipment_items``; the plugin's 0002
    drops its table; downgrading the plugin's branch puts the rows back."""
    url = env.database_url
    migrate.upgrade(plugins, url, "shipstation_0001")
    migrate.upgrade(plugins, url, "0008_console_users")
    engine = get_engine(url)
    with session_factory(url)() as session, session.begin():
        integration = Integration(
            channel_key="fake", marketplace="XX", alias="fake-uk", status=IntegrationStatus.LIVE, settings={}
        )
        session.add(integration)
        session.flush()
        order = Order(
            integration_id=integration.id,
            channel_order_id="A-1",
            status=OrderStatus.AWAITING_SHIPMENT,
            fulfilment=Fulfilment.MFN,
            purchase_date=T0,
            imported_at=T0,
            currency="GBP",
            items=[
                OrderItem(channel_item_id=f"L{n}", sku=f"SKU-{n}", quantity=3, unit_price=Decimal("9.99"))
                for n in (1, 2)
            ],
        )
        shipment = Shipment(carrier_code="royal_mail", idempotency_key="k-1", orders=[order])
        session.add_all([order, shipment])
        session.flush()
        lines = [(shipment.id, item.id, n) for item, n in zip(order.items, (2, 3), strict=True)]
    with engine.begin() as conn:
        conn.execute(
            _table(conn, "shipstation_shipment_lines").insert(),
            [{"shipment_id": s_id, "order_item_id": i_id, "quantity": q} for s_id, i_id, q in lines],
        )
    migrate.upgrade(plugins, url)
    tables = set(inspect(engine).get_table_names())
    assert "shipstation_shipment_lines" not in tables
    assert _rows(engine, "shipment_items") == lines
    migrate.downgrade(plugins, url, "shipstation_0001")
    assert _rows(engine, "shipstation_shipment_lines") == lines


def _table(conn: Connection, name: str) -> Table:
    return Table(name, MetaData(), autoload_with=conn)


def _rows(engine: Engine, name: str) -> list[tuple[int, int, int]]:
    with engine.connect() as conn:
        table = _table(conn, name)
        query = select(table.c.shipment_id, table.c.order_item_id, table.c.quantity).order_by(
            table.c.order_item_id
        )
        return [(a, b, c) for a, b, c in conn.execute(query)]
