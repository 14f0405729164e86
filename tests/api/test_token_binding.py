"""Tokens name their holder by something a restored or recreated row cannot have again: an
old token never answers as whoever later gets the same id."""

from __future__ import annotations

from sqlalchemy import delete

from models import Admin, Employee, db
from tests.factories import admin_headers, make_admin


def test_an_employee_token_does_not_outlive_its_employee_when_the_id_is_reused(client, login):
    old_headers = login("openid-before-restore")
    old = db.session.scalars(db.select(Employee)).one()
    old_id = old.id
    # a restore from an older backup: the row is gone, and a different person gets its id
    db.session.execute(delete(Employee))
    db.session.add(Employee(id=old_id, openid="openid-after-restore"))
    db.session.commit()

    response = client.get("/api/v1/me", headers=old_headers)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_an_admin_token_does_not_outlive_its_admin_when_the_id_is_reused(client):
    old = make_admin("platform_admin", username="before-restore")
    old_headers, old_id = admin_headers(old), old.id
    db.session.execute(delete(Admin))
    db.session.commit()
    db.session.add(
        Admin(id=old_id, username="after-restore", password_hash="x", role="platform_admin")
    )
    db.session.commit()

    response = client.get("/api/v1/admin/admins", headers=old_headers)

    assert response.status_code == 401


def test_a_new_login_still_works_after_the_id_was_reused(client, login):
    login("openid-before-restore")
    old_id = db.session.scalars(db.select(Employee)).one().id
    db.session.execute(delete(Employee))
    db.session.add(Employee(id=old_id, openid="openid-after-restore"))
    db.session.commit()

    headers = login("openid-after-restore")

    assert client.get("/api/v1/me", headers=headers).get_json()["id"] == old_id
