"""The contract fuzzed (issue 18): schemathesis against `/api/openapi.json` of a running
gunicorn on PostgreSQL, with production's settings (32-byte keys, Redis), every operation, as
an employee and as each admin role.

    python tests/contract/fuzz.py [--max-examples 5] [--database-url URL] [--keep]

It creates a fresh PostgreSQL database (dropped afterwards unless --keep), fills it with the
demo loaders, starts the fake WeChat in this process and gunicorn (the Procfile's command) on
free ports, logs in through the real flows, and runs schemathesis once per role with the
checks and the allow-list in `schemathesis.toml` beside this file. Exits non-zero when any
run finds a failure: a 5xx, an answer outside its schema or the error envelope, or a valid
request rejected outside the allow-list.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# demo logins (miniapp_api/demo): username, password
ADMINS = {
    "platform_admin": ("platform", "platform-demo-1"),
    "finance_admin": ("henan-finance", "finance-demo-1"),
    "unit_admin": ("zz-police", "unit-demo-1"),
    "union_admin": ("zz-police-union", "union-demo-1"),
    "supplier": ("supplier-demo", "supplier-demo-1"),
}
SETTINGS = {
    "MINIAPP_ENV": "production",
    "SECRET_KEY": "contract-secret-key-0123456789abcdef-never-for-production",
    "VOUCHER_CODE_KEY": "contract-voucher-key-0123456789abcdef-never-for-production",
    "WECHAT_APPID": "wx-contract-appid",
    "WECHAT_SECRET": "contract-app-secret",
    "WECHAT_MCH_ID": "1900000109",
    "WECHAT_PAY_API_KEY": "contract-pay-key-0123456789abcdefg",
    "WECHAT_TIMEOUT_SECONDS": "2",
    "WECHAT_PAY_TIMEOUT_SECONDS": "2",
    # fuzzing sends thousands of logins and wrong codes from one address: the limits are
    # tested elsewhere, here they would only turn answers into 429s
    "LOGIN_RATE_LIMIT": "100000 per minute",
    "VOUCHER_REDEEM_FAILURE_LIMIT": "100000 per hour",
    "ADMIN_LOGIN_FAILURE_LIMIT": "100000 per hour",
    "ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT": "100000 per hour",
    "VOUCHER_REDEEM_ADDRESS_FAILURE_LIMIT": "100000 per hour",
    "WEB_CONCURRENCY": "2",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def admin_database(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def seed(env: dict[str, str]) -> None:
    """The schema from the migrations, then every demo loader's rows."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from miniapp_api import create_app
    from miniapp_api.demo import load_demo_data
    from miniapp_api.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        db.engine.dispose()


def wait_for(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def tokens(api: str, fake: str) -> dict[str, str]:
    """A token per role, through the real logins; the employee is bound and has an address."""
    found = {}
    for role, (username, password) in ADMINS.items():
        answer = requests.post(
            f"{api}/api/v1/admin/auth/login",
            json={"username": username, "password": password},
            timeout=10,
        )
        answer.raise_for_status()
        found[role] = answer.json()["token"]
    code = requests.post(
        f"{fake}/__fake__/login-code", json={"openid": "contract-employee"}, timeout=5
    ).json()["code"]
    answer = requests.post(f"{api}/api/v1/auth/wx-login", json={"code": code}, timeout=10)
    answer.raise_for_status()
    found["employee"] = answer.json()["token"]
    headers = {"Authorization": f"Bearer {found['employee']}"}
    units = requests.get(f"{api}/api/v1/units", params={"q": "公安"}, headers=headers, timeout=10)
    unit_id = units.json()["items"][0]["id"]
    requests.put(
        f"{api}/api/v1/me/unit", json={"unit_id": unit_id}, headers=headers, timeout=10
    ).raise_for_status()
    return found


def fuzz(api: str, role: str, token: str, args: argparse.Namespace) -> int:
    print(f"== schemathesis as {role}", flush=True)
    command = [
        "schemathesis",
        "--config-file",
        str(CONFIG),
        "run",
        f"{api}/api/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--phases",
        args.phases,
        # one worker: hypothesis's lambda-source lookup is not thread-safe on Python 3.11
        # (an "AST constructor recursion depth mismatch" error now and then with two)
        "--workers",
        "1",
        # each role the operations of its kind: the other kind's token is only ever 401
        "--exclude-path-regex" if role == "employee" else "--include-path-regex",
        "^/api/v1/admin/",
    ]
    return subprocess.call(command, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=5)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--roles", default="employee," + ",".join(ADMINS))
    parser.add_argument("--server-log", default="/tmp/miniapp-contract-server.log")
    parser.add_argument("--keep", action="store_true", help="keep the database and print it")
    args = parser.parse_args()

    from wx_client.fake import FakeState, FakeWeChat

    database = f"miniapp_contract_{os.getpid()}"
    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}"
    fake_wechat = FakeWeChat(
        FakeState(
            appid=SETTINGS["WECHAT_APPID"],
            secret=SETTINGS["WECHAT_SECRET"],
            mch_id=SETTINGS["WECHAT_MCH_ID"],
            pay_key=SETTINGS["WECHAT_PAY_API_KEY"],
            notify_url=f"{api}/api/v1/pay/wechat/notify",
        )
    )
    fake = fake_wechat.start().rstrip("/")
    env = SETTINGS | {
        "DATABASE_URL": f"{PG_SERVER}/{database}",
        "REDIS_URL": os.environ.get("CONTRACT_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "WECHAT_API_BASE": fake + "/",
        "WECHAT_PAY_API_BASE": fake + "/",
        "WECHAT_PAY_NOTIFY_URL": f"{api}/api/v1/pay/wechat/notify",
        "PORT": str(api_port),
    }
    admin_database(f'CREATE DATABASE "{database}"')
    server = None
    log = open(args.server_log, "w")  # noqa: SIM115 (open for the whole run)
    try:
        seed(env)
        server = subprocess.Popen(
            [
                "gunicorn",
                "miniapp_api:create_app()",
                "-c",
                "gunicorn.conf.py",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ | env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{api}/healthz")
        found = tokens(api, fake)
        failed = [role for role in args.roles.split(",") if fuzz(api, role, found[role], args) != 0]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        fake_wechat.stop()
        log.close()
        if args.keep:
            print(f"kept the database {database}")
        else:
            admin_database(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    if failed:
        print("schemathesis failed as: " + ", ".join(failed))
        return 1
    print("== the contract holds for every role")
    return 0


if __name__ == "__main__":
    sys.exit(main())
