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
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from miniapp_api.config import ConfigurationError

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


def planner_settings(config: dict[str, Any]) -> None:
    """PostgreSQL connections start with `random_page_cost` = PG_RANDOM_PAGE_COST (default 1.1,
    an empty value keeps the server's own). PostgreSQL's default, 4, prices a random read as a
    spinning disk's; with the catalogue in memory or on SSD it makes the planner walk the whole
    catalogue in price order, skipping other categories' products (81,000 rows, 170 ms, for a
    dear category's cheapest page), rather than read the category's own index (21 rows).
    Behind a pooler that refuses startup options (PgBouncer), leave it empty and set it on the
    role instead: `ALTER ROLE miniapp SET random_page_cost = 1.1`."""
    cost = str(config.get("PG_RANDOM_PAGE_COST", "1.1")).strip()
    if not cost or not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        return
    try:
        value = float(cost)
    except ValueError:
        value = -1.0
    if not 0 < value <= 100:
        raise ConfigurationError(
            f"PG_RANDOM_PAGE_COST must be a number above 0 (or empty), got {cost!r}"
        )
    options = config["SQLALCHEMY_ENGINE_OPTIONS"]
    connect_args = dict(options.get("connect_args", {}))
    given = connect_args.get("options", "")
    connect_args["options"] = f"{given} -c random_page_cost={value}".strip()
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
