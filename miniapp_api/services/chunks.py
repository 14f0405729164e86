"""Looking up many values at once: every IN (...) list of an import goes through here.

PostgreSQL's driver refuses a statement with more than 65,535 parameters and SQLite allows
32,766, so a file of 70,000 product codes is read a few hundred values per query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Row, Select
from sqlalchemy.orm import Session

T = TypeVar("T")
CHUNK = 500  # values per IN (...): well under every driver's parameter limit


def chunked(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """The distinct, non-empty values in sorted lists of at most `size`."""
    distinct = sorted({value for value in values if value not in ("", None)})  # type: ignore[type-var]
    for start in range(0, len(distinct), size):
        yield distinct[start : start + size]


def batches(items: list[T], size: int) -> Iterator[list[T]]:
    """`items` in order, `size` at a time (rows of a multi-row INSERT)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def scalars_where_in(session: Session, query: Select, column: Any, values: Iterable) -> list:
    """The objects of `query` whose `column` is one of `values`, each once."""
    found: dict[int, Any] = {}
    for chunk in chunked(values):
        for item in session.scalars(query.where(column.in_(chunk))):
            found.setdefault(id(item), item)
    return list(found.values())


def rows_where_in(session: Session, query: Select, column: Any, values: Iterable) -> list[Row]:
    """The rows of `query` whose `column` is one of `values` (the values are distinct, so
    every row comes from exactly one chunk)."""
    rows: list[Row] = []
    for chunk in chunked(values):
        rows.extend(session.execute(query.where(column.in_(chunk))))
    return rows
