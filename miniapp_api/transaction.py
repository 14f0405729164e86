"""Where a transaction begins and ends: once per request, per CLI command and per job step.

Services flush and never commit, so that they compose: an order, its stock, its vouchers and its
ledger entries land together or not at all. The owner of the work wraps it in `unit_of_work`,
which commits once when the block ends and rolls everything back on any error (SystemExit
included: a CLI command that exits 1 writes nothing). HTTP requests get theirs from
`ServiceFlask.dispatch_request` (miniapp_api/service_flask.py, the one part that knows Flask);
the CLI commands and the job runner call `unit_of_work` themselves. This module imports no
Flask, so the services that call `commit_early` do not either.

The few places that must commit before the end name themselves by calling `commit_early`
with their reason: a request that calls WeChat commits its own state first and never holds a
row lock across the call; an Idempotency-Key is committed before the work it guards; a job
commits each row it claims, so that one bad row never undoes the others.

On SQLite, a transaction that will write starts with `BEGIN IMMEDIATE` (it takes the write
lock before its first read, so a read-then-write is never stale: SQLite has no row locks and
ignores `FOR UPDATE`); read-only ones start with a plain `BEGIN`. PostgreSQL relies on row
locks and conditional updates instead.

A view marked `@read_only` (the catalogue's GETs) may not write: any flush or INSERT/UPDATE/
DELETE through the session in it raises `ReadOnlyViolation` (a 500, and nothing is written).
Its unit of work still ends with a commit, but with nothing to commit it runs its SELECTs
without BEGIN and COMMIT around them (each statement its own snapshot, which is what every
statement of a READ COMMITTED transaction gets anyway): two round trips fewer per request on
PostgreSQL, two statements fewer on SQLite.

A request or job step that PostgreSQL aborts with a deadlock (SQLSTATE 40P01) or a
serialization failure (40001) is rolled back and run once more from the start, but only while
nothing irreversible happened in it: no `commit_early` yet and no WeChat client taken
(`mark_irreversible`). A second failure, or one after something irreversible, is answered as
the error it is (503, see error_handlers.py).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session

# Whether the transaction about to begin on this thread will write (SQLite's BEGIN IMMEDIATE).
_writes: ContextVar[bool] = ContextVar("miniapp_transaction_writes", default=False)
# Whether this thread serves a @read_only view: no transaction is begun for its reads.
_reads_only: ContextVar[bool] = ContextVar("miniapp_reads_only", default=False)
# Whether this request or job step did something a rerun would repeat (see the docstring).
_irreversible: ContextVar[bool] = ContextVar("miniapp_irreversible", default=False)
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# PostgreSQL aborted the transaction only because of another one: running it again may pass.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
# how long a rerun waits after the rollback, drawn at random (see run_retrying_once)
RETRY_PAUSE_SECONDS = (0.02, 0.1)
log = logging.getLogger("miniapp.transaction")


class ReadOnlyViolation(RuntimeError):
    """A @read_only view tried to write: a bug in the view, refused before anything is sent."""


def read_only(view: Callable) -> Callable:
    """Mark a GET view that only reads (see the module docstring). The mark travels up through
    decorators that use functools.wraps, so it may sit anywhere under the route."""
    view.read_only = True  # type: ignore[attr-defined]
    return view


def _refuse_writes(session_class: type[Session]) -> None:
    if getattr(session_class, "_miniapp_refuses_writes", False):
        return

    @event.listens_for(session_class, "before_flush")
    def _no_flush(session: Session, _context: Any, _instances: Any) -> None:
        if _reads_only.get() and (session.new or session.dirty or session.deleted):
            raise ReadOnlyViolation("a read-only view tried to write (flush)")

    @event.listens_for(session_class, "do_orm_execute")
    def _no_dml(state: ORMExecuteState) -> None:
        if _reads_only.get() and not state.is_select:
            raise ReadOnlyViolation("a read-only view tried to write (DML)")

    session_class._miniapp_refuses_writes = True  # type: ignore[attr-defined]


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
    mark_irreversible()
    session.commit()


def roll_back_early(session: Session, reason: str) -> None:
    """Roll back before the unit of work ends: the other side of `commit_early`, for the same
    few owners (a job dropping the failed work on one claimed row, a health probe recovering
    from a statement that failed); `reason` says which."""
    if not reason:
        raise ValueError("roll_back_early needs its reason")
    session.rollback()


def mark_irreversible() -> None:
    """Say that the current request or job step did something a rerun would repeat (a commit,
    a WeChat call): a deadlock after this is not retried."""
    _irreversible.set(True)


def is_retryable(error: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction lost only to another one."""
    original = getattr(error, "orig", None) if isinstance(error, DBAPIError) else None
    return getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES


def run_retrying_once(work: Callable[[], Any], rollback: Callable[[], None], what: str) -> Any:
    """Run `work()`; when it fails with a deadlock or serialization failure before anything
    irreversible happened, roll back and run it once more. The one retry policy of requests
    and job steps.

    The rerun waits a moment after the rollback (`RETRY_PAUSE_SECONDS`): the transaction that
    won must first take the row it was waiting for. A rerun at once could take that row
    itself (a row whose last updater aborted is free to the first who asks, ahead of the
    waiter) and deadlock with the same partner again."""
    for attempt in (1, 2):
        token = _irreversible.set(False)
        try:
            return work()
        except DBAPIError as error:
            if attempt == 2 or not is_retryable(error) or _irreversible.get():
                raise
            rollback()
            log.warning("%s: %s, run once more", what, error.orig.sqlstate)  # type: ignore[union-attr]
            time.sleep(random.uniform(*RETRY_PAUSE_SECONDS))
        finally:
            _irreversible.reset(token)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def request_transaction(*, writes: bool, reads_only: bool) -> Iterator[None]:
    """Say, for the request about to run on this thread, whether it writes (SQLite then begins
    IMMEDIATE) and whether it is a @read_only view (its reads run without a transaction)."""
    writes_token = _writes.set(writes)
    reads_token = _reads_only.set(reads_only)
    try:
        yield
    finally:
        _writes.reset(writes_token)
        _reads_only.reset(reads_token)


def is_read_only_method(method: str) -> bool:
    return method in _READ_ONLY_METHODS


def begin_without_transaction(scoped: Any) -> None:
    """Bind the session of a read-only view to a connection that runs without BEGIN/COMMIT.
    PostgreSQL: psycopg's autocommit (a client-side switch; SQLAlchemy puts the connection back
    as it was when it returns to the pool). SQLite: the `begin` hook below skips the BEGIN."""
    session = scoped()
    _refuse_writes(type(session))
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def begin_sqlite_transactions_ourselves(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, say when a transaction begins: the driver would
    begin only at the first write (so reads before it saw no snapshot and savepoints broke),
    and it cannot begin IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):  # pragma: no cover - driver hook
        if _reads_only.get():
            return  # each SELECT of a read-only view is its own statement-level transaction
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes.get() else "BEGIN")
