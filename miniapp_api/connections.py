"""Database connections: test one for life only when it has sat idle in the pool.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` on every checkout, which is one more round trip
to the database on every request (bench/profile_request.py: about a tenth of an uncached
catalogue request on PostgreSQL). A connection that was in use a moment ago is alive; the ones
worth testing are those that sat idle long enough for the database to restart, a proxy to drop
them or a firewall to forget them. So a connection idle in the pool for more than
`IDLE_PING_SECONDS` is pinged when it is checked out, and replaced when the ping fails
(SQLAlchemy's documented "custom pessimistic ping": raising DisconnectionError in the checkout
event makes the pool discard it and connect afresh). A connection that dies while in use is
detected by SQLAlchemy on the failing statement and the pool is refreshed, as before.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_PING_SECONDS = 10.0
_RETURNED_AT = "miniapp_returned_at"


def ping_idle_connections(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection on checkout only when it sat idle over `idle_seconds`."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:  # pragma: no cover - pool hook
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("idle connection failed its ping") from error
