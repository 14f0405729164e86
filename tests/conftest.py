"""Fixtures: a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL says so), the real
app, and the fake WeChat over real HTTP on a free port. Tables are emptied after each test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from miniapp_api import create_app
from miniapp_api.extensions import db, limiter
from wx_client.fake import FakeState, FakeWeChat

# suite-wide guards
pytest_plugins = ["tests.secrets_guard"]

TEST_APPID = "wx-test-appid"
TEST_SECRET = "test-app-secret"
TEST_MCH_ID = "1900000109"
TEST_PAY_KEY = "test-pay-key-0123456789abcdefghij"


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_dir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat(
        FakeState(appid=TEST_APPID, secret=TEST_SECRET, mch_id=TEST_MCH_ID, pay_key=TEST_PAY_KEY)
    )
    fake.base_url = fake.start()  # type: ignore[attr-defined]
    yield fake
    fake.stop()


def app_config(fake_wechat: FakeWeChat, database_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "MINIAPP_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WECHAT_APPID": TEST_APPID,
        "WECHAT_SECRET": TEST_SECRET,
        "WECHAT_API_BASE": fake_wechat.base_url,  # type: ignore[attr-defined]
        "WECHAT_TIMEOUT_SECONDS": 1.0,
        "WECHAT_MCH_ID": TEST_MCH_ID,
        "WECHAT_PAY_API_KEY": TEST_PAY_KEY,
        "WECHAT_PAY_API_BASE": fake_wechat.base_url,  # type: ignore[attr-defined]
        "WECHAT_PAY_NOTIFY_URL": "http://127.0.0.1:9/api/v1/pay/wechat/notify",
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "10000 per minute",
        # each test sees the catalogue as it is; the cache has tests of its own
        "CATALOG_CACHE_SECONDS": 0,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="miniapp-test-") as tmp:
        yield _database_url(Path(tmp))


@pytest.fixture(scope="session")
def app(fake_wechat: FakeWeChat, database_url: str) -> Iterator[Flask]:
    from flask_migrate import upgrade

    app = create_app(app_config(fake_wechat, database_url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        # The schema comes from the migrations, so every run proves them too.
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app: Flask, fake_wechat: FakeWeChat) -> Iterator[None]:
    """Every test runs inside the app's context, and leaves the tables empty behind it."""
    fake = fake_wechat
    with app.app_context():
        yield
        db.session.remove()
        _empty_tables()
    fake.state.faults.clear()
    limiter.reset()


def _empty_tables() -> None:
    tables = [t for t in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def fake(fake_wechat: FakeWeChat):
    """Drive the fake WeChat's control paths over HTTP, as the demo walkthrough does."""

    class Control:
        base_url = fake_wechat.base_url  # type: ignore[attr-defined]
        state = fake_wechat.state

        def post(self, path: str, body: dict) -> dict:
            response = requests.post(self.base_url + path.lstrip("/"), json=body, timeout=5)
            response.raise_for_status()
            return response.json()

        def login_code(self, openid: str, unionid: str | None = None) -> str:
            body = {"openid": openid} | ({"unionid": unionid} if unionid else {})
            return self.post("__fake__/login-code", body)["code"]

        def phone_code(self, phone: str) -> str:
            return self.post("__fake__/phone-code", {"phone": phone})["code"]

        def fault(self, endpoint: str, fault: str | None) -> None:
            self.post("__fake__/faults", {endpoint: fault})

    return Control()


@pytest.fixture
def login(client: FlaskClient, fake):
    """Log an employee in through the real flow; returns the Authorization headers."""

    def _login(openid: str = "openid-alice", unionid: str | None = None) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/wx-login", json={"code": fake.login_code(openid, unionid)}
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _login
