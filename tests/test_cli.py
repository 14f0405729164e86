"""The `miniapp` console script, run as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys


def _miniapp(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "MINIAPP_ENV")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "miniapp_api.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_production_start_up_without_a_secret_key_is_refused_in_one_clear_line(tmp_path):
    result = _miniapp("routes", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")

    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_builds_the_schema_and_jobs_run_once_accepts_a_time(tmp_path):
    env = {"SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}

    upgrade = _miniapp("db", "upgrade", **env)
    jobs = _miniapp("jobs", "run-once", "--now", "2026-01-02T08:00:00+08:00", **env)
    bad_time = _miniapp("jobs", "run-once", "--now", "yesterday", **env)

    assert upgrade.returncode == 0, upgrade.stderr
    assert jobs.returncode == 0, jobs.stderr
    assert bad_time.returncode != 0
    assert "ISO-8601" in bad_time.stderr
