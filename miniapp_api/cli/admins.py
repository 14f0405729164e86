"""`miniapp admins ...`: admin accounts."""

from __future__ import annotations

import sys

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


def _password(given: str | None, from_stdin: bool, prompt: str) -> str:
    """The password from --password (create only, as API.md has it), the first line of stdin
    (--password-stdin, for scripts), or a hidden prompt typed twice; never from the log."""
    if given is not None:
        return given
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("--password-stdin: no password on the first line of stdin")
        return line
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@admins.command("create")
@click.option("--username", required=True)
@click.option(
    "--password", default=None, help="the password (else a hidden prompt or --password-stdin)"
)
@click.option("--password-stdin", is_flag=True, help="read the password from stdin's first line")
@click.option("--role", required=True, type=click.Choice(ADMIN_ROLES))
@click.option("--unit", "unit_ref", default=None, help="the unit's credit code or id")
@click.option("--supplier", "supplier_name", default=None, help="the supplier's name")
def admins_create(
    username: str,
    password: str | None,
    password_stdin: bool,
    role: str,
    unit_ref: str | None,
    supplier_name: str | None,
) -> None:
    """Create an admin account (finance, unit and union admins need --unit; suppliers
    need --supplier)."""
    from miniapp_api.services.admins import create_admin

    password = _password(password, password_stdin, "Password")
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
            scope = (
                admin.unit.name if admin.unit else admin.supplier.name if admin.supplier else "平台"
            )
            line = f"created admin {admin.username} (id {admin.id}, {admin.role}, {scope})"
    except DomainError as error:
        raise domain_error_line(error) from None
    click.echo(line)


@admins.command("disable")
@click.argument("username")
def admins_disable(username: str) -> None:
    """Disable an admin account: it can no longer log in, and every token it holds ends now."""
    from miniapp_api.services.admins import admin_by_username, disable_admin

    try:
        with unit_of_work(db.session):
            admin = disable_admin(db.session, admin_by_username(db.session, username))
            line = f"disabled admin {admin.username} (id {admin.id}); its tokens no longer work"
    except DomainError as error:
        raise domain_error_line(error) from None
    click.echo(line)


@admins.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin's first line")
def admins_set_password(username: str, password_stdin: bool) -> None:
    """Give an admin a new password (a hidden prompt typed twice, or --password-stdin); every
    token the admin holds ends now."""
    from miniapp_api.services.admins import admin_by_username, set_admin_password

    # asked before the transaction begins: no lock is held while someone types
    password = _password(None, password_stdin, f"New password for {username}")
    try:
        with unit_of_work(db.session):
            admin = admin_by_username(db.session, username)
            set_admin_password(db.session, admin, password)
            line = f"new password set for {admin.username}; its old tokens no longer work"
    except DomainError as error:
        raise domain_error_line(error) from None
    click.echo(line)
