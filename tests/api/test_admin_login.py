"""Admin login: passwords, rate limits on wrong ones, and tokens that stay on their side."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from miniapp_api import create_app
from miniapp_api.extensions import limiter
from tests.conftest import app_config
from tests.factories import admin_headers, make_admin, make_unit


def _login(client, username, password):
    return client.post(
        "/api/v1/admin/auth/login", json={"username": username, "password": password}
    )


def test_an_admin_logs_in_and_reaches_an_admin_route(client):
    unit = make_unit("郑州市财政局")
    make_admin("finance_admin", unit=unit, username="zz-finance", password="s3cret-pass")

    response = _login(client, "zz-finance", "s3cret-pass")

    assert response.status_code == 200
    body = response.get_json()
    assert body["admin"]["role"] == "finance_admin"
    assert body["admin"]["unit"]["id"] == unit.id
    assert "password" not in str(body["admin"])
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get(f"/api/v1/admin/units/{unit.id}", headers=headers).status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client):
    make_admin("platform_admin", username="root", password="s3cret-pass")

    wrong = _login(client, "root", "nope")
    unknown = _login(client, "nobody", "nope")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"


def test_a_deactivated_admin_cannot_log_in_and_its_tokens_stop_working(client):
    admin = make_admin("platform_admin", username="gone", password="s3cret-pass")
    headers = admin_headers(admin)
    admin.active = False
    from models import db

    db.session.commit()

    assert _login(client, "gone", "s3cret-pass").status_code == 401
    assert client.get("/api/v1/admin/units/1", headers=headers).status_code == 401


@pytest.fixture
def limited(fake_wechat, database_url):
    """A client of an app whose wrong-password limit is `limit`, with the admin `root`."""

    @contextmanager
    def _limited(limit: str):
        app = create_app(app_config(fake_wechat, database_url, ADMIN_LOGIN_FAILURE_LIMIT=limit))
        limiter.reset()
        with app.app_context():
            make_admin("platform_admin", username="root", password="s3cret-pass")
            yield app.test_client()
        limiter.reset()

    return _limited


def test_repeated_wrong_passwords_are_429_with_retry_after(limited):
    with limited("3 per minute") as client:
        wrong = [_login(client, "root", "bad").status_code for _ in range(3)]
        blocked = _login(client, "root", "s3cret-pass")
        other_user = _login(client, "someone-else", "bad")

    assert wrong == [401, 401, 401]
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0
    assert other_user.status_code == 401, "the limit is per username"


def test_wrong_current_passwords_are_limited_like_wrong_login_passwords(limited):
    from models import Admin, db

    with limited("2 per minute") as client:
        headers = admin_headers(db.session.scalars(db.select(Admin)).one())

        def change(current: str):
            return client.post(
                "/api/v1/admin/auth/password",
                json={"current_password": current, "new_password": "another-pass-1"},
                headers=headers,
            )

        wrong = [change("guess").status_code for _ in range(2)]
        blocked = change("s3cret-pass")

    assert wrong == [422, 422]
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_attempts"


def test_successful_logins_do_not_use_up_the_limit(limited):
    with limited("2 per minute") as client:
        statuses = [_login(client, "root", "s3cret-pass").status_code for _ in range(5)]

    assert statuses == [200] * 5


def test_employee_and_admin_tokens_are_refused_on_each_others_routes(client, login):
    employee = login("openid-x")
    unit = make_unit("某单位")
    admin = admin_headers(make_admin("platform_admin"))

    assert client.get(f"/api/v1/admin/units/{unit.id}", headers=employee).status_code == 401
    assert client.get("/api/v1/me", headers=admin).status_code == 401


def test_login_validates_its_body(client):
    response = client.post("/api/v1/admin/auth/login", json={"username": "root"})

    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["details"]
