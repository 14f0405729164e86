"""`miniapp admins disable` and `set-password`: an operator cuts an admin off, and every token
the admin holds ends there and then. Run through the app's CLI runner against the test
database, so the tokens are checked by the real app."""

from __future__ import annotations

from sqlalchemy import select

from models import Admin, db
from models.audit import AuditEntry
from tests.factories import admin_headers, make_admin

PASSWORD = "correct horse battery"


def _admins(app, *args: str, input: str | None = None):
    db.session.remove()  # the command runs its own unit of work, as in a fresh process
    return app.test_cli_runner().invoke(args=["admins", *args], input=input)


def _works(client, headers) -> bool:
    return client.get("/api/v1/admin/admins", headers=headers).status_code == 200


def _login(client, username: str, password: str):
    return client.post(
        "/api/v1/admin/auth/login", json={"username": username, "password": password}
    )


def test_set_password_ends_every_token_the_admin_holds(app, client):
    admin = make_admin("platform_admin", username="root")
    headers = admin_headers(admin)
    assert _works(client, headers)

    result = _admins(app, "set-password", "root", "--password-stdin", input="brand-new-pass\n")

    assert result.exit_code == 0, result.output
    assert "brand-new-pass" not in result.output
    assert not _works(client, headers)
    assert _login(client, "root", PASSWORD).status_code == 401
    assert _login(client, "root", "brand-new-pass").status_code == 200
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.admin_id, entry.admin_username) == (
        "admin.set_password",
        None,
        "operator",
    )


def test_set_password_asks_twice_with_hidden_input(app, client):
    make_admin("platform_admin", username="root")

    typed = _admins(app, "set-password", "root", input="typed-password\ntyped-password\n")
    mismatch = _admins(app, "set-password", "root", input="first-password\nsecond-password\n")

    assert typed.exit_code == 0, typed.output
    assert "typed-password" not in typed.output
    assert _login(client, "root", "typed-password").status_code == 200
    assert mismatch.exit_code != 0
    assert _login(client, "root", "typed-password").status_code == 200


def test_set_password_refuses_a_short_password_and_an_unknown_user(app):
    make_admin("platform_admin", username="root")

    short = _admins(app, "set-password", "root", "--password-stdin", input="short\n")
    unknown = _admins(app, "set-password", "nobody", "--password-stdin", input="long-enough-1\n")

    assert short.exit_code == 1 and "密码至少8位" in short.output
    assert unknown.exit_code == 1 and "管理员账号不存在" in unknown.output
    assert db.session.scalars(select(Admin)).one().token_version == 0


def test_disable_ends_every_token_the_admin_holds(app, client):
    make_admin("platform_admin", username="root")
    deputy = make_admin("platform_admin", username="deputy")
    headers = admin_headers(deputy)

    result = _admins(app, "disable", "deputy")

    assert result.exit_code == 0, result.output
    assert not _works(client, headers)
    assert _login(client, "deputy", PASSWORD).status_code == 401
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.admin_username, entry.target_name) == (
        "admin.disable",
        "operator",
        "deputy",
    )


def test_disable_keeps_the_last_active_platform_admin(app, client):
    headers = admin_headers(make_admin("platform_admin", username="root"))

    result = _admins(app, "disable", "root")

    assert result.exit_code == 1
    assert "最后一个" in result.output
    assert _works(client, headers)


def test_create_still_takes_the_password_as_an_option_or_from_a_prompt(app, client):
    as_option = _admins(
        app, "create", "--username", "a", "--password", "long-enough-1", "--role", "platform_admin"
    )
    prompted = _admins(
        app, "create", "--username", "b", "--role", "platform_admin",
        input="long-enough-2\nlong-enough-2\n",
    )  # fmt: skip

    assert as_option.exit_code == 0, as_option.output
    assert prompted.exit_code == 0, prompted.output
    assert "long-enough-2" not in prompted.output
    assert _login(client, "a", "long-enough-1").status_code == 200
    assert _login(client, "b", "long-enough-2").status_code == 200
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["admin.create", "admin.create"]
