"""The `miniapp` console script, run as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys

# What production needs besides SECRET_KEY (config.check); a test that is about one of them
# passes it as "" (unset). Nothing listens on this Redis: the commands here never reach it.
PRODUCTION_SETTINGS = {
    "VOUCHER_CODE_KEY": "operator-voucher-key-0123456789abcdef",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}
_OURS = ("SECRET_KEY", "MINIAPP_ENV", *PRODUCTION_SETTINGS)


def _miniapp(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in _OURS}
    environment.update(PRODUCTION_SETTINGS)
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


def test_production_start_up_without_redis_is_refused_in_one_clear_line(tmp_path):
    result = _miniapp(
        "routes",
        SECRET_KEY="s" * 32,
        REDIS_URL="",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )

    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_and_test_start_without_redis(tmp_path):
    for environment in ("demo", "test"):
        result = _miniapp(
            "routes",
            MINIAPP_ENV=environment,
            SECRET_KEY="s" * 32,
            REDIS_URL="",
            DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        )

        assert result.returncode == 0, result.stderr


def test_production_start_up_refuses_keys_shorter_than_32_bytes(tmp_path):
    database = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    short_secret = _miniapp("routes", SECRET_KEY="x", DATABASE_URL=database)
    short_voucher_key = _miniapp(
        "routes", SECRET_KEY="s" * 32, VOUCHER_CODE_KEY="v" * 31, DATABASE_URL=database
    )
    no_voucher_key = _miniapp(
        "routes", SECRET_KEY="s" * 32, VOUCHER_CODE_KEY="", DATABASE_URL=database
    )
    # 11 Chinese characters are 33 bytes: the limit counts bytes, not characters
    multibyte = _miniapp("routes", SECRET_KEY="密" * 11, DATABASE_URL=database)

    assert short_secret.returncode == 2
    assert "SECRET_KEY is too short" in short_secret.stderr
    assert short_voucher_key.returncode == 2
    assert "VOUCHER_CODE_KEY is too short" in short_voucher_key.stderr
    assert no_voucher_key.returncode == 2
    assert "VOUCHER_CODE_KEY is not set" in no_voucher_key.stderr
    assert multibyte.returncode == 0, multibyte.stderr
    for result in (short_secret, short_voucher_key, no_voucher_key):
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_the_fixed_demo_keys_are_used_only_in_demo_and_test_and_start_up_says_so(tmp_path):
    database = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    demo = _miniapp(
        "routes", MINIAPP_ENV="demo", SECRET_KEY="", VOUCHER_CODE_KEY="", DATABASE_URL=database
    )
    unknown = _miniapp("routes", MINIAPP_ENV="development", SECRET_KEY="", DATABASE_URL=database)

    assert demo.returncode == 0, demo.stderr
    assert "MINIAPP_ENV=demo: using the fixed, public demo SECRET_KEY" in demo.stderr
    assert "MINIAPP_ENV=demo: using the fixed, public demo VOUCHER_CODE_KEY" in demo.stderr
    assert unknown.returncode == 2
    assert "MINIAPP_ENV must be one of production, demo, test" in unknown.stderr


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
