"""The public surface for plugin authors: import from here, and only from here.

Everything a channel, carrier or pricing plugin needs is re-exported by this one module, so
core can reorganise its modules without breaking plugins, and a reader sees at a glance what
plugins may rely on. ``tests/core/test_import_boundary.py`` fails when a built-in plugin (or
an example) imports anything of core but this module (``core.testing`` in tests excepted),
or another plugin.

What is here, in groups: hooks and registrations (``hookimpl``, ``ChannelType``...), the DTOs
a connector speaks, errors, the session helpers, lookups (integration, order, product), the
order status sets, core's tables a plugin reads or references, a base and an enum-column
helper for a plugin's own tables, the core services plugins call (exclusions, shipped units,
carrier switches, quarantine payloads), and CLI helpers for plugin commands.
"""

from __future__ import annotations

from core.cli import validate
from core.cli.output import advancer, console, print_json, print_table, progress_bar
from core.cli.validate import check_moment, db_ids
from core.crypto import Secrets
from core.db.base import (
    NAMING_CONVENTION,
    PluginBase,
    UTCDateTime,
    enum_column,
    plugin_metadata,
    utcnow,
)
from core.db.members import member_of
from core.db.models import (
    COMMITTED_STATUSES,
    TO_SHIP_STATUSES,
    Integration,
    Listing,
    NotifyState,
    Order,
    OrderItem,
    OrderStatus,
    Product,
    Shipment,
    shipment_orders,
)
from core.db.session import get_engine, session_factory, session_scope
from core.dto import (
    Address,
    CarrierContext,
    CarrierDecision,
    ChannelOrder,
    ChannelOrderItem,
    ChannelOrderStatus,
    ChannelProduct,
    ConfirmationResult,
    Destination,
    Fulfilment,
    FulfilmentPage,
    FulfilmentUpdate,
    InventoryLevel,
    Money,
    NewShipment,
    OrdersPage,
    PriceRuleSpec,
    PriceUpdate,
    PricingInput,
    PushResult,
    QuantityUpdate,
    RateQuote,
    RateRequest,
    RecordFailure,
    ShipmentConfirmation,
    ShipmentLine,
    SkuResult,
)
from core.errors import (
    ChannelAuthError,
    ChannelError,
    ChannelhubError,
    ConfigError,
    InputError,
    NotFoundError,
    PluginError,
    ThrottledError,
    TransientChannelError,
)
from core.hookspecs import hookimpl
from core.json_convention import integration_ref, money
from core.logs import get_logger
from core.plugins import PluginManager, get_plugin_manager
from core.services.carriers import disabled_pairs
from core.services.catalog import get_product as find_product
from core.services.catalog import set_exclusions, ship_units
from core.services.fulfilment import (
    ItemRequest,
    create_shipment,
    record_notification,
    reopen_failed_notifications,
)
from core.services.integrations import aliases as integration_aliases
from core.services.integrations import build_connector
from core.services.integrations import find as find_integration
from core.services.orders import find_order
from core.services.quarantine import drop_payloads as drop_quarantined_payloads
from core.services.redaction import fit, marker, redact_order_fields
from core.settings import get_settings
from core.timing import get_timing
from core.types import (
    ActorSpec,
    Carrier,
    CarrierService,
    ChannelConnector,
    ChannelType,
    CliGroup,
    ConnectorContext,
    DemoChannel,
    DemoIntegration,
    DemoOutcome,
    DemoRun,
    DemoStep,
    FeeTable,
    Marketplace,
    MigrationLocation,
    PricedProduct,
    PriceFormula,
    PriceRuleType,
    RefetchesOrders,
    ShippingFee,
    StrategySetting,
)

__all__ = [
    "COMMITTED_STATUSES",
    "NAMING_CONVENTION",
    "TO_SHIP_STATUSES",
    "ActorSpec",
    "Address",
    "Carrier",
    "CarrierContext",
    "CarrierDecision",
    "CarrierService",
    "ChannelAuthError",
    "ChannelConnector",
    "ChannelError",
    "ChannelOrder",
    "ChannelOrderItem",
    "ChannelOrderStatus",
    "ChannelProduct",
    "ChannelType",
    "ChannelhubError",
    "CliGroup",
    "ConfigError",
    "ConfirmationResult",
    "ConnectorContext",
    "DemoChannel",
    "DemoIntegration",
    "DemoOutcome",
    "DemoRun",
    "DemoStep",
    "Destination",
    "FeeTable",
    "Fulfilment",
    "FulfilmentPage",
    "FulfilmentUpdate",
    "InputError",
    "Integration",
    "InventoryLevel",
    "ItemRequest",
    "Listing",
    "Marketplace",
    "MigrationLocation",
    "Money",
    "NewShipment",
    "NotFoundError",
    "NotifyState",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OrdersPage",
    "PluginBase",
    "PluginError",
    "PluginManager",
    "PriceFormula",
    "PriceRuleSpec",
    "PriceRuleType",
    "PriceUpdate",
    "PricedProduct",
    "PricingInput",
    "Product",
    "PushResult",
    "QuantityUpdate",
    "RateQuote",
    "RateRequest",
    "RecordFailure",
    "RefetchesOrders",
    "Secrets",
    "Shipment",
    "ShipmentConfirmation",
    "ShipmentLine",
    "ShippingFee",
    "SkuResult",
    "StrategySetting",
    "ThrottledError",
    "TransientChannelError",
    "UTCDateTime",
    "advancer",
    "build_connector",
    "check_moment",
    "console",
    "create_shipment",
    "db_ids",
    "disabled_pairs",
    "drop_quarantined_payloads",
    "enum_column",
    "find_integration",
    "find_order",
    "find_product",
    "fit",
    "get_engine",
    "get_logger",
    "get_plugin_manager",
    "get_settings",
    "get_timing",
    "hookimpl",
    "integration_aliases",
    "integration_ref",
    "marker",
    "member_of",
    "money",
    "plugin_metadata",
    "print_json",
    "print_table",
    "progress_bar",
    "record_notification",
    "redact_order_fields",
    "reopen_failed_notifications",
    "session_factory",
    "session_scope",
    "set_exclusions",
    "ship_units",
    "shipment_orders",
    "utcnow",
    "validate",
]
