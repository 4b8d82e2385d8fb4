"""Declarative base, naming convention and the column types shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Enum, MetaData, Numeric, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; channelhub stores UTC-aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


MONEY = Numeric(18, 4, asdecimal=True)
"""Money columns: exact decimals, always next to a currency column."""

Money = Annotated[Decimal, mapped_column(MONEY)]
Currency = Annotated[str, mapped_column(String(3))]
JSONDict = Annotated[dict[str, Any], mapped_column(JSON, default=dict)]


def channel_text(sqlite_length: int) -> String:
    """A column for free text a channel sends (names, address lines): stored whole.

    Text on PostgreSQL, so one over-long postcode can never fail an import. SQLite keeps the
    VARCHAR length the column was first created with: it never enforces it, and changing the
    declared type there would mean re-creating the orders table.
    """
    return String(sqlite_length).with_variant(Text(), "postgresql")


def enum_column(kind: type[enum.Enum], *, name: str | None = None) -> Enum:
    """Store enum values (lower-case words), portable across SQLite and PostgreSQL: a string
    column with a CHECK constraint (``name``, by default the enum's name in lower case;
    plugins prefix theirs) instead of a native type that needs its own migrations."""
    return Enum(
        kind,
        values_callable=lambda k: [m.value for m in k],
        native_enum=False,
        length=32,
        validate_strings=True,
        create_constraint=True,
        name=name or kind.__name__.lower(),
    )


def plugin_metadata() -> MetaData:
    """A plugin's own metadata, with core's naming convention (constraint names Alembic can drop)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Base of core's models. Plugins define their own tables on their own metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class PluginBase(DeclarativeBase):
    """Base for a plugin's tables: aware UTC datetimes like core's. Subclass it once, abstract,
    with your own metadata, so core's schema and yours never mix::

        class MyShopBase(PluginBase):
            __abstract__ = True
            metadata = plugin_metadata()
    """

    metadata = plugin_metadata()
    type_annotation_map = {datetime: UTCDateTime()}
