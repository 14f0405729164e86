"""Redis down (the limits' shared storage): logins go on, counted in each worker's memory
(fail open); voucher redeeming stops with 503 rather than allowing unlimited guessing (fail
closed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from miniapp_api import create_app
from models import Voucher, db
from tests.conftest import app_config
from tests.factories import batch_codes, employee_headers, make_batch, make_employee, make_unit

# nothing listens on port 1: every Redis command is refused, as with a Redis that is down
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(fake_wechat, database_url) -> Iterator:
    config = app_config(
        fake_wechat, database_url, REDIS_URL=DEAD_REDIS, RATELIMIT_STORAGE_URI=DEAD_REDIS
    )
    yield create_app(config).test_client()
    create_app(app_config(fake_wechat, database_url))  # the other tests' in-memory limiter


def test_login_works_while_redis_is_down(redis_down, fake):
    answer = redis_down.post("/api/v1/auth/wx-login", json={"code": fake.login_code("openid-r")})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["token"]


def test_redeeming_is_503_while_redis_is_down_and_redeems_nothing(redis_down):
    batch = make_batch(make_unit())
    code = batch_codes(batch)[0]
    headers = employee_headers(make_employee())
    answer = redis_down.post("/api/v1/vouchers/redeem", json={"code": code}, headers=headers)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "limits_unavailable"
    assert answer.headers["Retry-After"] == "30"
    db.session.rollback()
    assert all(v.employee_id is None for v in db.session.scalars(select(Voucher)))
