"""Logging into the web console with an admin account: the cookie, CSRF and the limits."""

from __future__ import annotations

from miniapp_api.extensions import db
from miniapp_api.services.admins import disable_admin, set_admin_password
from miniapp_api.transaction import unit_of_work
from models.admin import PLATFORM_ADMIN, UNIT_ADMIN
from tests.console.helpers import console_login, csrf_of
from tests.factories import make_admin, make_unit


def test_login_page_is_in_chinese_with_a_csrf_token(client):
    response = client.get("/console/login")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "管理员登录" in page
    assert csrf_of(page)


def test_a_unit_admin_logs_in_and_lands_on_its_unit(client):
    unit = make_unit("某某局")
    make_admin(UNIT_ADMIN, unit=unit, username="unit1")

    console_login(client, "unit1")

    response = client.get("/console/", follow_redirects=True)
    assert response.request.path == f"/console/units/{unit.id}"
    assert "某某局" in response.get_data(as_text=True)


def test_the_session_cookie_is_scoped_httponly_and_lax(client):
    make_admin(PLATFORM_ADMIN, username="root")

    response = console_login(client, "root")

    cookie = response.headers["Set-Cookie"]
    assert "Path=/console" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_api_sets_no_cookie(client):
    response = client.get("/api/v1/categories")

    assert "Set-Cookie" not in response.headers


def test_a_wrong_password_is_shown_on_the_form(client):
    make_admin(PLATFORM_ADMIN, username="root")

    response = console_login(client, "root", "wrong password")

    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_empty_fields_are_named_next_to_them(client):
    response = console_login(client, "", "")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请输入用户名" in page and "请输入密码" in page


def test_a_form_without_the_csrf_token_is_refused(client):
    make_admin(PLATFORM_ADMIN, username="root")
    client.get("/console/login")

    response = client.post("/console/login", data={"username": "root", "password": "x"})

    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_wrong_passwords_hit_the_same_limit_as_the_api(app, client):
    make_admin(PLATFORM_ADMIN, username="root")
    app.config["ADMIN_LOGIN_FAILURE_LIMIT"] = "2 per 10 minutes"
    try:
        for _ in range(2):
            assert console_login(client, "root", "wrong").status_code == 401
        response = console_login(client, "root")
    finally:
        app.config["ADMIN_LOGIN_FAILURE_LIMIT"] = "5 per 10 minutes"

    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)


def test_pages_need_a_login(client):
    response = client.get("/console/")

    assert response.status_code == 302
    assert "/console/login" in response.headers["Location"]


def test_disabling_an_admin_ends_its_console_session(client):
    root = make_admin(PLATFORM_ADMIN, username="root")
    unit_admin = make_admin(UNIT_ADMIN, unit=make_unit(), username="unit1")
    console_login(client, "unit1")

    with unit_of_work(db.session):
        disable_admin(db.session, db.session.merge(unit_admin), by=db.session.merge(root))

    response = client.get("/console/")
    assert response.status_code == 302
    assert "/console/login" in response.headers["Location"]


def test_a_password_change_ends_the_console_session(client):
    unit_admin = make_admin(UNIT_ADMIN, unit=make_unit(), username="unit1")
    console_login(client, "unit1")

    with unit_of_work(db.session):
        set_admin_password(db.session, db.session.merge(unit_admin), "another good password")

    assert client.get("/console/").status_code == 302


def test_logging_out_ends_the_session(client):
    make_admin(PLATFORM_ADMIN, username="root")
    console_login(client, "root")
    token = csrf_of(client.get("/console/").get_data(as_text=True))

    client.post("/console/logout", data={"csrf_token": token})

    assert client.get("/console/").status_code == 302


def test_login_never_redirects_to_another_site(client):
    make_admin(PLATFORM_ADMIN, username="root")
    page = client.get("/console/login").get_data(as_text=True)

    response = client.post(
        "/console/login",
        data={
            "username": "root",
            "password": "correct horse battery",
            "csrf_token": csrf_of(page),
            "next": "//evil.example/",
        },
    )

    assert response.headers["Location"].endswith("/console/")


def test_every_console_login_the_demo_prints_works(app):
    from miniapp_api.demo import load_demo_data
    from miniapp_api.demo.orders import DEMO_SUPPLIER_LOGIN
    from miniapp_api.demo.units import DEMO_ADMINS

    text = "\n".join(load_demo_data(db.session))
    logins = [(username, password) for username, password, *_ in DEMO_ADMINS]
    logins.append(DEMO_SUPPLIER_LOGIN)

    assert 'echo "web console: $API/console/"' in text
    for username, password in logins:
        browser = app.test_client()
        assert console_login(browser, username, password).status_code == 302, username
        assert username in browser.get("/console/", follow_redirects=True).get_data(as_text=True)
        assert f" {username} " in text
