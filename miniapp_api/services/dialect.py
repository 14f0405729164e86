"""The one place that picks the INSERT with ON CONFLICT for the database in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session) -> Callable[..., Any]:
    """PostgreSQL's or SQLite's `insert`, which both know `on_conflict_do_nothing`/`_update`."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"this service needs PostgreSQL or SQLite, not {name}")
