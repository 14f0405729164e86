"""Commands that need the app: registered on app.cli, so `miniapp <command>` finds them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import Flask

from miniapp_api.errors import DomainError
from miniapp_api.extensions import db
from miniapp_api.imports import import_file_from_cli
from miniapp_api.jobs import run_due_jobs
from models.admin import ADMIN_ROLES


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


jobs = click.Group("jobs", help="Background jobs (timeouts, auto-completion, expiry).")


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


units = click.Group("units", help="Budget units.")


@units.command("import")
@click.argument("file")
def units_import(file: str) -> None:
    """Import the platform's unit sheet (.xlsx or .csv): all rows or none."""
    from miniapp_api.services.units_import import import_units

    import_file_from_cli(db.session, file, import_units)


admins = click.Group("admins", help="Admin accounts.")


@admins.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ADMIN_ROLES))
@click.option("--unit", "unit_ref", default=None, help="the unit's credit code or id")
@click.option("--supplier", "supplier_name", default=None, help="the supplier's name")
def admins_create(
    username: str, password: str, role: str, unit_ref: str | None, supplier_name: str | None
) -> None:
    """Create an admin account (finance, unit and union admins need --unit; suppliers
    need --supplier)."""
    from miniapp_api.services.admins import create_admin

    try:
        admin = create_admin(
            db.session,
            username=username,
            password=password,
            role=role,
            unit_ref=unit_ref,
            supplier_name=supplier_name,
        )
    except DomainError as error:
        db.session.rollback()
        problems = "; ".join(
            f"{field}: {'、'.join(map(str, messages))}"
            for field, messages in error.details.items()
            if isinstance(messages, list)
        )
        raise click.ClickException(f"{error.message} {problems}".strip()) from None
    scope = admin.unit.name if admin.unit else admin.supplier.name if admin.supplier else "平台"
    click.echo(f"created admin {admin.username} (id {admin.id}, {admin.role}, {scope})")


catalog = click.Group("catalog", help="The product catalogue.")


@catalog.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
def catalog_import(file: str) -> None:
    """Import products and SKUs from FILE (.xlsx or .csv); all rows or nothing."""
    from miniapp_api.imports import import_file_from_cli
    from miniapp_api.services.catalog_import import import_catalog

    import_file_from_cli(db.session, file, import_catalog)


def register_commands(app: Flask) -> None:
    from miniapp_api.ledger_commands import entries, totals

    app.cli.add_command(jobs)
    app.cli.add_command(units)
    app.cli.add_command(admins)
    app.cli.add_command(entries)
    app.cli.add_command(totals)
    app.cli.add_command(catalog)
