"""`miniapp jobs run` and `miniapp jobs run-once --now ...` (API.md, "Timers")."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from miniapp_api.extensions import db
from miniapp_api.jobs import run_due_jobs

jobs = click.Group("jobs", help="Background jobs (timeouts, auto-completion, expiry).")


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO-8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise click.BadParameter("give the time with its offset, e.g. 2026-01-02T08:00:00+08:00")
    return moment


@jobs.command("run-once")
@click.option("--now", "now_text", default=None, help="ISO-8601 time with offset to run as")
def jobs_run_once(now_text: str | None) -> None:
    """Run every due job once, as of --now (default: the current time)."""
    now = _parse_now(now_text)
    for name, changed in run_due_jobs(db.session, now).items():
        click.echo(f"{name}: {changed}")


@jobs.command("run")
@click.option("--interval", default=60, show_default=True, help="seconds between rounds")
def jobs_run(interval: int) -> None:
    """Run the due jobs every --interval seconds, until stopped."""
    while True:
        run_due_jobs(db.session, datetime.now(UTC))
        db.session.remove()
        time.sleep(interval)
