"""`miniapp`: the Flask CLI for this app, one module per group of commands, plus
`miniapp demo`, which needs no settings.

Each command that writes runs as one unit of work (miniapp_api.transaction): it commits once
at the end, and an error or a non-zero exit writes nothing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click
from flask.cli import FlaskGroup
from sqlalchemy.exc import DBAPIError

from miniapp_api import create_app
from miniapp_api.config import INSTANCE_DIR, ConfigurationError
from miniapp_api.failures import log_failure

DEMO_API_PORT = 5000
DEMO_FAKE_PORT = 5001
DEMO_SETTINGS = {
    "MINIAPP_ENV": "demo",
    "WECHAT_APPID": "wx-demo-appid",
    "WECHAT_SECRET": "demo-app-secret",
    "WECHAT_API_BASE": f"http://127.0.0.1:{DEMO_FAKE_PORT}/",
    "WECHAT_MCH_ID": "1900000109",
    "WECHAT_PAY_API_KEY": "demo-pay-key-0123456789abcdefghi",
    "WECHAT_PAY_API_BASE": f"http://127.0.0.1:{DEMO_FAKE_PORT}/",
    "WECHAT_PAY_NOTIFY_URL": f"http://127.0.0.1:{DEMO_API_PORT}/api/v1/pay/wechat/notify",
    "METRICS_TOKEN": "demo-metrics-token",
}


@click.group(cls=FlaskGroup, create_app=create_app)
def cli() -> None:
    """The 832 mini-program backend."""


def main() -> None:
    """The `miniapp` console script: a configuration problem is one clear line, not a
    traceback; a database failure is logged without the values its statement carried
    (miniapp_api.failures) and exits 1."""
    try:
        cli()
    except ConfigurationError as problem:
        click.echo(f"Error: {problem}", err=True)
        raise SystemExit(2) from None
    except DBAPIError as error:
        log_failure(logging.getLogger("miniapp.cli"), "command failed", error=error)
        raise SystemExit(1) from None


@cli.command("demo", with_appcontext=False)
@click.option("--keep", is_flag=True, help="keep the existing demo database")
def demo(keep: bool) -> None:
    """Fresh SQLite demo data, the fake WeChat on :5001 and the API on :5000."""
    from miniapp_api.demo import run_demo

    for name, value in DEMO_SETTINGS.items():
        os.environ[name] = value
    os.environ.pop("REDIS_URL", None)
    database = Path(INSTANCE_DIR) / "demo.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    run_demo(database, api_port=DEMO_API_PORT, fake_port=DEMO_FAKE_PORT, fresh=not keep)


def register_commands(app) -> None:
    from miniapp_api.cli import admins, catalog, jobs, ledger, units

    for group in (
        jobs.jobs,
        units.units,
        admins.admins,
        ledger.entries,
        ledger.totals,
        catalog.catalog,
    ):
        app.cli.add_command(group)
