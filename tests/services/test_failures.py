"""Failures are logged without the values their statements carried: the bound parameters,
and what the database repeats of them (PostgreSQL's DETAIL names the duplicate key)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import text

from miniapp_api import jobs
from models import db

SECRET = "secret-in-a-row-7f3a"


def _insert_the_same_openid_twice(session, _now: datetime) -> int:
    for _ in range(2):
        session.execute(
            text(
                "INSERT INTO employees (openid, created_at, last_login_at, token_key) "
                "VALUES (:openid, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'k')"
            ),
            {"openid": SECRET},
        )
    return 2


def test_a_failing_job_logs_what_failed_but_no_value_its_statement_carried(monkeypatch, caplog):
    monkeypatch.setattr(jobs, "JOBS", [jobs.Job("leaky", _insert_the_same_openid_twice)])
    caplog.set_level(logging.DEBUG)

    results = jobs.run_due_jobs(db.session, datetime.now())

    assert results == {"leaky": -1}
    assert "job leaky failed" in caplog.text
    assert "INSERT INTO employees" in caplog.text
    assert SECRET not in caplog.text


def test_a_cli_command_failing_in_the_database_prints_no_value_it_carried():
    from tests.test_cli import _miniapp

    # a database without tables: the first query fails, carrying the username
    result = _miniapp(
        "admins", "create", "--username", SECRET, "--password", "long-enough-1",
        "--role", "platform_admin", SECRET_KEY="s" * 32, DATABASE_URL="sqlite:///:memory:",
    )  # fmt: skip

    assert result.returncode == 1
    assert "command failed" in result.stderr and "OperationalError" in result.stderr
    assert SECRET not in result.stderr
