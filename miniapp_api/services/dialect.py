"""The one place that picks the INSERT with ON CONFLICT for the database in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session) -> Callable[..., Any]:
    """PostgreSQL's or SQLite's `insert`, which both know `on_conflict_do_nothing`/`_update`."""
    return dialect_insert_for(session.get_bind().dialect.name)


def dialect_insert_for(name: str) -> Callable[..., Any]:
    """The same, for the dialect named (statements built once per dialect)."""
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"this service needs PostgreSQL or SQLite, not {name}")
