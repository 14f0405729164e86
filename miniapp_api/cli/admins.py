"""`miniapp admins ...`: admin accounts."""

from __future__ import annotations

import click

from miniapp_api.errors import DomainError
from miniapp_api.extensions import db
from miniapp_api.transaction import unit_of_work
from models.admin import ADMIN_ROLES

admins = click.Group("admins", help="Admin accounts.")


def domain_error_line(error: DomainError) -> click.ClickException:
    """A rule's refusal as one line for the operator: the message and each field's problems."""
    problems = "; ".join(
        f"{field}: {'、'.join(map(str, messages))}"
        for field, messages in error.details.items()
        if isinstance(messages, list)
    )
    return click.ClickException(f"{error.message} {problems}".strip())


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
    from miniapp_api.services.audit import record_admin_action

    try:
        with unit_of_work(db.session):
            admin = create_admin(
                db.session,
                username=username,
                password=password,
                role=role,
                unit_ref=unit_ref,
                supplier_name=supplier_name,
            )
            record_admin_action(
                db.session,
                None,
                "admin.create",
                target_type="admin",
                target_id=admin.id,
                target_name=admin.username,
                unit=admin.unit,
                details={"role": admin.role},
            )
            scope = (
                admin.unit.name if admin.unit else admin.supplier.name if admin.supplier else "平台"
            )
            line = f"created admin {admin.username} (id {admin.id}, {admin.role}, {scope})"
    except DomainError as error:
        raise domain_error_line(error) from None
    click.echo(line)
