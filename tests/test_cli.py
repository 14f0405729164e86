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


def _operator_env(tmp_path) -> dict[str, str]:
    env = {"SECRET_KEY": "x" * 32, "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.sqlite3'}"}
    assert _miniapp("db", "upgrade", **env).returncode == 0
    return env


def test_units_import_prints_the_report_and_exits_1_on_a_bad_row(tmp_path):
    from tests.factories import credit_code

    env = _operator_env(tmp_path)
    good = tmp_path / "units.csv"
    good.write_text(
        f"预算单位名称,上级预算单位名称,预算单位统一信用代码,预算级次\n"
        f"河南省财政厅,,{credit_code(1)},省级\n郑州市财政局,河南省财政厅,{credit_code(2)},市级\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("name,budget_level\n某单位,村级\n", encoding="utf-8")

    imported = _miniapp("units", "import", str(good), **env)
    again = _miniapp("units", "import", str(good), **env)
    refused = _miniapp("units", "import", str(bad), **env)
    missing = _miniapp("units", "import", str(tmp_path / "nope.xlsx"), **env)

    assert imported.returncode == 0, imported.stderr
    assert "2 created, 0 updated" in imported.stdout
    assert "0 created, 2 updated" in again.stdout
    assert refused.returncode == 1
    assert "row 2" in refused.stderr and "预算级次" in refused.stderr
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_admins_create_makes_a_login_and_refuses_bad_input_clearly(tmp_path):
    env = _operator_env(tmp_path)

    created = _miniapp(
        "admins", "create", "--username", "root", "--password", "long-enough-1",
        "--role", "platform_admin", **env,
    )  # fmt: skip
    duplicate = _miniapp(
        "admins", "create", "--username", "root", "--password", "long-enough-1",
        "--role", "platform_admin", **env,
    )  # fmt: skip
    no_unit = _miniapp(
        "admins", "create", "--username", "fin", "--password", "long-enough-1",
        "--role", "finance_admin", **env,
    )  # fmt: skip
    bad_role = _miniapp(
        "admins", "create", "--username", "x", "--password", "long-enough-1", "--role", "boss",
        **env,
    )  # fmt: skip

    assert created.returncode == 0 and "created admin root" in created.stdout
    assert duplicate.returncode == 1 and "用户名已存在" in duplicate.stderr
    assert no_unit.returncode == 1 and "unit" in no_unit.stderr
    assert bad_role.returncode == 2
    assert all("Traceback" not in r.stderr for r in (duplicate, no_unit, bad_role))
