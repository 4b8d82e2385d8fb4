"""``column IN (values)`` for any number of values, as ONE bound parameter.

A plain ``column.in_(values)`` binds one parameter per value, and drivers stop at a limit
(PostgreSQL's protocol: 65,535 parameters; SQLite: 32,766), so a push of 100,000 SKUs or a
price rule over a whole catalogue failed with "number of parameters must be between 0 and
65535". :func:`member_of` binds the whole list as one value instead:

- PostgreSQL: ``column = ANY(:values)`` with the list sent as one array;
- SQLite (and anything else): ``column IN (SELECT value FROM json_each(:values))`` with the
  list sent as one JSON text.

Both are a single statement whatever the size, and the statement text does not grow with
the list. The list is an ordinary bound parameter, so SQLAlchemy's compiled-statement cache
holds one entry per query and a statement run again with other values is not compiled again
(the bulk import runs several of these per batch). Values must be ints or strings (ids,
SKUs, channel order ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, Select, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class _ValueList(TypeDecorator[list[Any]]):
    """A list bound as one value: an array of the column's type on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def __init__(self, item_type: TypeEngine[Any]) -> None:
        super().__init__()
        self.item_type = item_type

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(self.item_type))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        if dialect.name == "postgresql" or value is None:
            return value
        return json.dumps(value)


class _Members(ColumnElement[bool]):
    """The compiled-per-dialect expression behind :func:`member_of`.

    Its cache key is the column and the bound parameter (whose value is not part of the key),
    which is exactly what the SQL depends on.
    """

    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: no "= 1" appended on backends without booleans

    def __init__(self, column: ColumnElement[Any], values: BindParameter[list[Any]]) -> None:
        self.column = column
        self.values = values

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


def member_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (any number of them, bound as one parameter)."""
    clause = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    return _Members(clause, bindparam(None, list(values), type_=_ValueList(clause.type)))


@compiles(_Members)
def _as_json_each(element: _Members, compiler: SQLCompiler, **kw: Any) -> str:
    subquery: Select[Any] = select(literal_column("value")).select_from(func.json_each(element.values))
    return compiler.process(element.column.in_(subquery), **kw)


@compiles(_Members, "postgresql")
def _as_any_array(element: _Members, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column == any_(element.values), **kw)
