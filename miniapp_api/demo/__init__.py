"""`miniapp demo`: a fresh SQLite database with demo data, the fake WeChat and the API."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from pathlib import Path

import click
from sqlalchemy.orm import Session

from miniapp_api.demo.catalog import load_demo_catalog
from miniapp_api.demo.console import load_demo_console
from miniapp_api.demo.ledger import load_demo_ledger
from miniapp_api.demo.orders import load_demo_orders
from miniapp_api.demo.reserved_shares import load_demo_reserved_shares
from miniapp_api.demo.units import load_demo_units
from miniapp_api.demo.vouchers import load_demo_vouchers
from miniapp_api.transaction import unit_of_work

# Each feature adds a loader: it writes its demo rows and returns lines for the walkthrough
# (shell commands that use $API and $FAKE, which the walkthrough sets first). In order.
DemoLoader = Callable[[Session], list[str]]
DEMO_LOADERS: list[DemoLoader] = [
    load_demo_units,
    load_demo_catalog,
    load_demo_ledger,
    load_demo_vouchers,
    load_demo_reserved_shares,
    load_demo_orders,
    load_demo_console,
]


FIRST_LOADER_STEP = 5  # the walkthrough's own steps 1-4 log in and read /me
_STEP = re.compile(r"^  # \d+\. ", re.MULTILINE)


def load_demo_data(session: Session) -> list[str]:
    """Every loader's rows, in one unit of work; the walkthrough lines they return, with their
    steps numbered in the order they are printed."""
    lines: list[str] = []
    with unit_of_work(session):
        for loader in DEMO_LOADERS:
            lines.extend(loader(session))
    steps = itertools.count(FIRST_LOADER_STEP)
    return [_STEP.sub(lambda _: f"  # {next(steps)}. ", line) for line in lines]


def walkthrough(api: str, fake: str) -> str:
    return f"""
Demo is running: the API on {api} (docs: {api}/api/docs), the web console on {api}/console/,
the fake WeChat on {fake}.
Nothing here reaches the internet. In another terminal (bash):

  API={api}; FAKE={fake}

  # 1. the mini-program calls wx.login(); the fake WeChat hands out the code
  CODE=$(curl -s -X POST $FAKE/__fake__/login-code -H 'Content-Type: application/json' \\
      -d '{{"openid": "demo-employee-1"}}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["code"])')

  # 2. log in with that code
  TOKEN=$(curl -s -X POST $API/api/v1/auth/wx-login -H 'Content-Type: application/json' \\
      -d "{{\\"code\\": \\"$CODE\\"}}" | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')

  # 3. who am I?
  curl -s $API/api/v1/me -H "Authorization: Bearer $TOKEN"

  # 4. the verified phone number, through the phone-number button's code
  PHONE_CODE=$(curl -s -X POST $FAKE/__fake__/phone-code -H 'Content-Type: application/json' \\
      -d '{{"phone": "13800138000"}}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["code"])')
  curl -s -X POST $API/api/v1/me/phone -H "Authorization: Bearer $TOKEN" \\
      -H 'Content-Type: application/json' -d "{{\\"code\\": \\"$PHONE_CODE\\"}}"
"""


def operator_walkthrough(metrics_token: str) -> str:
    """The last lines: what an operator and the platform admin look at."""
    return f"""
  # the platform admin takes a product off shelf, and the audit log shows who did it
  OPS=$(curl -s -X POST $API/api/v1/admin/auth/login -H 'Content-Type: application/json' \\
      -d '{{"username": "platform", "password": "platform-demo-1"}}' \\
      | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
  curl -s -X POST $API/api/v1/admin/products/1/off-shelf -H "Authorization: Bearer $OPS"
  curl -s "$API/api/v1/admin/audit-log" -H "Authorization: Bearer $OPS"

  # operators: health, and Prometheus metrics with the demo's METRICS_TOKEN
  curl -s $API/healthz
  curl -s $API/metrics -H "Authorization: Bearer {metrics_token}" | grep '^miniapp_http_requests_total'
"""


def run_demo(database: Path, *, api_port: int, fake_port: int, fresh: bool) -> None:
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple

    from miniapp_api import create_app
    from miniapp_api.extensions import db
    from wx_client.fake import FakeWeChat

    database.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    app = create_app()
    with app.app_context():
        upgrade()
        extra = load_demo_data(db.session) if fresh else []
    api = f"http://127.0.0.1:{api_port}"
    fake = FakeWeChat.from_environment(app.config["WECHAT_PAY_NOTIFY_URL"])
    fake_base = fake.start("127.0.0.1", fake_port).rstrip("/")
    click.echo(walkthrough(api, fake_base))
    for line in extra:
        click.echo(line)
    click.echo(operator_walkthrough(app.config["METRICS_TOKEN"]))
    # Our own request log covers the API; werkzeug's would repeat it and show the fake's queries.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # app.run() refuses to run under the Flask CLI; the demo is that CLI, so serve directly.
    run_simple("127.0.0.1", api_port, app, threaded=True)
