"""WeChat login, end to end over real HTTP to the fake WeChat."""

from __future__ import annotations

import json
import logging
import time

import itsdangerous.timed
from sqlalchemy import func, select

from miniapp_api.auth import EMPLOYEE, issue_token
from models import Employee, db


def _employee_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Employee))


def test_first_login_creates_the_employee_and_me_shows_them(client, fake):
    response = client.post("/api/v1/auth/wx-login", json={"code": fake.login_code("openid-1")})

    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_in"] == 7 * 24 * 3600
    assert body["user"]["unit"] is None
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == body["user"]["id"]
    assert _employee_count() == 1


def test_logging_in_again_finds_the_same_employee_and_keeps_the_unionid(client, fake):
    first = client.post("/api/v1/auth/wx-login", json={"code": fake.login_code("openid-2")})
    second = client.post(
        "/api/v1/auth/wx-login", json={"code": fake.login_code("openid-2", unionid="union-2")}
    )

    assert first.get_json()["user"]["id"] == second.get_json()["user"]["id"]
    assert _employee_count() == 1
    assert db.session.scalars(select(Employee)).one().unionid == "union-2"


def test_a_reused_code_is_refused(client, fake):
    code = fake.login_code("openid-3")
    assert client.post("/api/v1/auth/wx-login", json={"code": code}).status_code == 200

    again = client.post("/api/v1/auth/wx-login", json={"code": code})

    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "wechat_code_invalid"
    assert again.get_json()["error"]["details"] == {"errcode": 40163}


def test_an_unknown_code_is_refused(client):
    response = client.post("/api/v1/auth/wx-login", json={"code": "made-up"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "wechat_code_invalid"
    assert _employee_count() == 0


def test_wechat_busy_is_503_and_stores_nothing(client, fake):
    code = fake.login_code("openid-4")
    fake.fault("jscode2session", "busy")

    response = client.post("/api/v1/auth/wx-login", json={"code": code})

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"
    assert _employee_count() == 0


def test_wechat_timing_out_is_503_within_the_timeout_and_stores_nothing(client, fake):
    code = fake.login_code("openid-5")
    fake.fault("jscode2session", "timeout")

    started = time.monotonic()
    response = client.post("/api/v1/auth/wx-login", json={"code": code})

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "wechat_unavailable"
    assert time.monotonic() - started < 5
    assert _employee_count() == 0


def test_wechat_rate_limit_is_429(client, fake):
    code = fake.login_code("openid-6")
    fake.fault("jscode2session", "rate_limited")

    response = client.post("/api/v1/auth/wx-login", json={"code": code})

    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "wechat_rate_limited"


def test_login_does_not_need_an_access_token(client, fake):
    fake.fault("stable_token", "busy")

    response = client.post("/api/v1/auth/wx-login", json={"code": fake.login_code("openid-7")})

    assert response.status_code == 200


def test_a_missing_code_is_422_naming_the_field(client):
    response = client.post("/api/v1/auth/wx-login", json={})

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_request"
    assert "code" in response.get_json()["error"]["details"]


def test_the_session_key_never_appears_in_an_answer_or_a_log_line(client, fake, caplog):
    caplog.set_level(logging.DEBUG)
    answers = []
    login = client.post("/api/v1/auth/wx-login", json={"code": fake.login_code("openid-8")})
    answers.append(login.get_data(as_text=True))
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    answers.append(client.get("/api/v1/me", headers=headers).get_data(as_text=True))
    phone = client.post(
        "/api/v1/me/phone", headers=headers, json={"code": fake.phone_code("13800138000")}
    )
    assert phone.status_code == 200
    answers.append(phone.get_data(as_text=True))

    session_key = db.session.scalars(select(Employee)).one().session_key
    assert session_key
    for answer in answers:
        assert session_key not in answer
        assert "session_key" not in answer
    assert session_key not in caplog.text


def test_the_phone_number_verified_by_wechat_is_stored(client, fake, login):
    headers = login("openid-9")

    response = client.post(
        "/api/v1/me/phone", headers=headers, json={"code": fake.phone_code("13912345678")}
    )

    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=headers).get_json()["phone"] == "13912345678"


def test_a_bad_phone_code_is_refused_and_changes_nothing(client, login):
    headers = login("openid-10")

    response = client.post("/api/v1/me/phone", headers=headers, json={"code": "nope"})

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "phone_code_invalid"
    assert client.get("/api/v1/me", headers=headers).get_json()["phone"] is None


def test_me_without_a_token_is_401(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_a_tampered_token_is_401(client, login):
    token = login("openid-11")["Authorization"].removeprefix("Bearer ")
    payload, _, signature = token.rpartition(".")
    tampered = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tampered}"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_a_token_for_someone_else_cannot_be_forged_by_changing_the_payload(client, login):
    token = login("openid-12")["Authorization"].removeprefix("Bearer ")
    _, _, rest = token.partition(".")
    forged_payload = (
        __import__("base64")
        .urlsafe_b64encode(json.dumps({"sub": 999}).encode())
        .decode()
        .rstrip("=")
    )

    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {forged_payload}.{rest}"}
    )

    assert response.status_code == 401


def test_an_expired_token_is_401(app, client, login, monkeypatch):
    login("openid-13")
    employee = db.session.scalars(select(Employee)).one()
    eight_days_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: eight_days_ago)
    token, _ = issue_token(EMPLOYEE, employee)
    monkeypatch.undo()

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.get_json()["error"]["details"]["reason"] == "token_expired"


def _refuse_storing_session_keys() -> str:
    """Make the database itself refuse the UPDATE that stores a session key; returns the DDL
    that undoes it. PostgreSQL then names the failing row in its message, SQLite the trigger."""
    from sqlalchemy import text

    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "ALTER TABLE employees ADD CONSTRAINT test_no_session_key "
                    "CHECK (session_key IS NULL) NOT VALID"
                )
            )
            return "ALTER TABLE employees DROP CONSTRAINT test_no_session_key"
        connection.execute(
            text(
                "CREATE TRIGGER test_no_session_key BEFORE UPDATE ON employees "
                "WHEN NEW.session_key IS NOT NULL BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
        return "DROP TRIGGER test_no_session_key"


def test_a_database_error_during_login_logs_no_session_key(app, client, fake, caplog, monkeypatch):
    from sqlalchemy import text

    wx = app.extensions["wx_client"]
    issued = []
    real_code_to_session = wx.code_to_session

    def code_to_session(code):
        session = real_code_to_session(code)
        issued.append(session.session_key)
        return session

    monkeypatch.setattr(wx, "code_to_session", code_to_session)
    caplog.set_level(logging.DEBUG)
    undo = _refuse_storing_session_keys()
    try:
        response = client.post(
            "/api/v1/auth/wx-login", json={"code": fake.login_code("openid-db-error")}
        )
    finally:
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text(undo))

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    [session_key] = issued
    assert session_key not in response.get_data(as_text=True)
    assert "unhandled error" in caplog.text  # the failure itself is logged, for the operator
    assert "UPDATE employees" in caplog.text
    assert session_key not in caplog.text
