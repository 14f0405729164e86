"""Where a transaction begins and ends: once per request, per CLI command and per job step.

Services flush and never commit, so that they compose: an order, its stock, its vouchers and its
ledger entries land together or not at all. The owner of the work wraps it in `unit_of_work`,
which commits once when the block ends and rolls everything back on any error (SystemExit
included: a CLI command that exits 1 writes nothing). HTTP requests get theirs from
`ServiceFlask.dispatch_request`; the CLI commands and the job runner call `unit_of_work`
themselves.

The few places that must commit before the end name themselves by calling `commit_early`
with their reason: a request that calls WeChat commits its own state first and never holds a
row lock across the call; an Idempotency-Key is committed before the work it guards; a job
commits each row it claims, so that one bad row never undoes the others.

On SQLite, a transaction that will write starts with `BEGIN IMMEDIATE` (it takes the write
lock before its first read, so a read-then-write is never stale: SQLite has no row locks and
ignores `FOR UPDATE`); read-only ones start with a plain `BEGIN`. PostgreSQL relies on row
locks and conditional updates instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Whether the transaction about to begin on this thread will write (SQLite's BEGIN IMMEDIATE).
_writes: ContextVar[bool] = ContextVar("miniapp_transaction_writes", default=False)
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def unit_of_work(session: Session, *, writes: bool = True) -> Iterator[Session]:
    """Run a block as one transaction: commit when it ends, roll back on any exception.

    `writes=False` for a block that only reads (SQLite then takes no write lock up front).
    """
    token = _writes.set(writes)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    else:
        session.commit()
    finally:
        _writes.reset(token)


def commit_early(session: Session, reason: str) -> None:
    """Commit before the unit of work ends. Only for the exceptions the module docstring names;
    `reason` says which, so that every such place reads as what it is."""
    if not reason:
        raise ValueError("commit_early needs its reason")
    session.commit()


class ServiceFlask(Flask):
    """Flask whose every request is one unit of work: committed after the view (and its
    response schema) ran, rolled back when it raised or answered an error."""

    def dispatch_request(self):  # type: ignore[override]
        from miniapp_api.extensions import db

        token = _writes.set(request.method not in _READ_ONLY_METHODS)
        try:
            response = super().dispatch_request()
            status = getattr(response, "status_code", 200)
            if isinstance(response, tuple) and len(response) > 1 and isinstance(response[1], int):
                status = response[1]
            if status >= 400:
                db.session.rollback()
            else:
                db.session.commit()
            return response
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _writes.reset(token)


def begin_sqlite_transactions_ourselves(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, say when a transaction begins: the driver would
    begin only at the first write (so reads before it saw no snapshot and savepoints broke),
    and it cannot begin IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):  # pragma: no cover - driver hook
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes.get() else "BEGIN")
