"""``column IN (values)`` for any number of values, as ONE bound parameter.

A plain ``column.in_(values)`` binds one parameter per value, and drivers stop at a limit
(PostgreSQL's protocol: 65,535 parameters; SQLite: 32,766), so a push of 100,000 SKUs or a
price rule over a whole catalogue failed with "number of parameters must be between 0 and
65535". :func:`member_of` binds the whole list as one value instead:

- PostgreSQL: ``column = ANY(:values)`` with the list sent as one array;
- SQLite (and anything else): ``column IN (SELECT value FROM json_each(:values))`` with the
  list sent as one JSON text.

Both are a single statement whatever the size, and the statement text does not grow with
the list, so the statement cache holds one entry per query instead of one per list length.
Values must be ints or strings (ids, SKUs, channel order ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Boolean, Select, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement


class _Members(ColumnElement[bool]):
    """The compiled-per-dialect expression behind :func:`member_of`."""

    inherit_cache = False  # the values live on the element itself, not in a cacheable bind
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: no "= 1" appended on backends without booleans

    def __init__(self, column: ColumnElement[Any], values: list[Any]) -> None:
        self.column = column
        self.values = values

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


def member_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (any number of them, bound as one parameter)."""
    clause = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    return _Members(clause, list(values))


@compiles(_Members)
def _as_json_each(element: _Members, compiler: SQLCompiler, **kw: Any) -> str:
    values = bindparam(None, json.dumps(element.values), type_=String())
    subquery: Select[Any] = select(literal_column("value")).select_from(func.json_each(values))
    return compiler.process(element.column.in_(subquery), **kw)


@compiles(_Members, "postgresql")
def _as_any_array(element: _Members, compiler: SQLCompiler, **kw: Any) -> str:
    values = bindparam(None, element.values, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(values), **kw)
