"""Faults put into a real PostgreSQL session at a chosen statement: the backend killed from
another connection (`pg_terminate_backend`, as an administrator or a failover would), or the
statement answered by the server with a deadlock or serialization failure (a real error from
PostgreSQL, with its SQLSTATE, raised by a DO block in place of the statement)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from models import db

DEADLOCK = "deadlock_detected"  # 40P01
SERIALIZATION = "serialization_failure"  # 40001


def postgresql_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL fault (SQLite has no backends to kill nor deadlocks to lose)")


def _conninfo(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def at_statement(engine: Engine, starts_with: str, fault, *, times: int = 1) -> Iterator[list]:
    """Call `fault(connection)` before the first `times` statements beginning with
    `starts_with`; it may return a statement to send instead. Yields the list of statements
    it fired on."""
    fired: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if len(fired) < times and statement.lstrip().upper().startswith(starts_with.upper()):
            fired.append(statement)
            replacement = fault(conn)
            if replacement is not None:
                return replacement, ()
        return statement, parameters

    event.listen(engine, "before_cursor_execute", before, retval=True)
    try:
        yield fired
    finally:
        event.remove(engine, "before_cursor_execute", before)


def kill_backend(engine: Engine):
    """A fault: the connection's backend is terminated from another connection."""

    def fault(conn) -> None:
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(_conninfo(engine), autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))

    return fault


def server_error(errcode: str):
    """A fault: the server answers the statement with `errcode` (and aborts the transaction)."""
    block = f"DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '{errcode}'; END $$"
    return lambda conn: block
