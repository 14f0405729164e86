"""What every benchmark needs before it starts: its database, and wrk for the load tests.

A PostgreSQL database named in a URL is created when it does not exist yet (through the
server's `postgres` database, so the user in the URL needs CREATEDB); a SQLite file's folder
is created. Benchmarks empty and refill their databases: never point them at real data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
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


def fake_wechat_settings(app_port: int, fake_port: int) -> dict[str, str]:
    """The WeChat settings of a benchmark whose fake WeChat listens on `fake_port` and whose
    service (the notify URL) on `app_port`; the same ids and keys as the fake's."""
    fake = f"http://127.0.0.1:{fake_port}/"
    return {
        "WECHAT_APPID": "wx-bench-appid",
        "WECHAT_SECRET": "bench-app-secret",
        "WECHAT_API_BASE": fake,
        "WECHAT_MCH_ID": "1900000109",
        "WECHAT_PAY_API_KEY": "bench-pay-key-0123456789abcdefghij",
        "WECHAT_PAY_API_BASE": fake,
        "WECHAT_PAY_NOTIFY_URL": f"http://127.0.0.1:{app_port}/api/v1/pay/wechat/notify",
    }


def fake_wechat_command(settings: dict[str, str], fake_port: int) -> list[str]:
    """The command that starts a benchmark's fake WeChat on `fake_port`, sending payment
    notifications to the notify URL of `settings` (fake_wechat_settings)."""
    return [
        sys.executable,
        "-m",
        "wx_client.fake",
        "--port",
        str(fake_port),
        "--notify-url",
        settings["WECHAT_PAY_NOTIFY_URL"],
    ]


def complete_and_verify(
    env: dict[str, str], rounds: int
) -> tuple[int, str, subprocess.CompletedProcess]:
    """After a load: `miniapp jobs run-once` eleven days on, until the completion job finds
    nothing more (a run takes a batch of orders), then `miniapp totals verify`. Returns how
    many orders were completed, what the last run printed, and verify's outcome."""
    later = (datetime.now(UTC) + timedelta(days=11)).isoformat()
    completed, last_run = 0, ""
    for _ in range(rounds):
        jobs = subprocess.run(
            ["miniapp", "jobs", "run-once", "--now", later], env=env, capture_output=True, text=True
        )
        last_run = jobs.stdout
        found = re.search(r"complete_shipped_orders: (-?\d+)", last_run)
        if not found or int(found.group(1)) <= 0:
            break
        completed += int(found.group(1))
    verify = subprocess.run(
        ["miniapp", "totals", "verify"], env=env, capture_output=True, text=True
    )
    return completed, last_run, verify


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
