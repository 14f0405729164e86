"""What every benchmark needs before it starts: its database, and wrk for the load tests.

A PostgreSQL database named in a URL is created when it does not exist yet (through the
server's `postgres` database, so the user in the URL needs CREATEDB); a SQLite file's folder
is created. Benchmarks empty and refill their databases: never point them at real data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# What a benchmark's server runs with: production, so that it checks what production checks
# (keys of at least 32 bytes, Redis for the shared limits). The keys are for benchmarks only.
PRODUCTION_SETTINGS = {
    "MINIAPP_ENV": "production",
    "SECRET_KEY": "bench-secret-key-0123456789abcdef-never-for-production",
    "VOUCHER_CODE_KEY": "bench-voucher-key-0123456789abcdef-never-for-production",
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
}

WRK_HELP = """wrk is not installed. It is the load generator of bench/browse.py:
  Debian/Ubuntu:  sudo apt-get install wrk
  macOS:          brew install wrk
  from source:    git clone https://github.com/wg/wrk && make -C wrk
                  && sudo cp wrk/wrk /usr/local/bin/
bench/cpu_per_request.py measures the same cases without wrk."""


def ensure_database(url: str) -> str:
    """Create the database `url` names if it is missing; returns `url`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return url
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
                print(f"created the PostgreSQL database {parsed.database}", flush=True)
    finally:
        server.dispose()
    return url


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_HELP)
