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
from tests.factories import (
    batch_codes,
    employee_headers,
    make_batch,
    make_employee,
    make_product,
    make_unit,
)

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


def test_the_catalogue_answers_from_each_workers_cache_while_redis_is_down(
    fake_wechat, database_url
):
    product = make_product("环江香猪")
    headers = employee_headers(make_employee())

    def worker():
        config = app_config(
            fake_wechat,
            database_url,
            REDIS_URL=DEAD_REDIS,
            RATELIMIT_STORAGE_URI=DEAD_REDIS,
            CATALOG_CACHE_SECONDS=60,
            CATALOG_SHARED_CACHE=True,
        )
        return create_app(config).test_client()

    try:
        first, second = worker(), worker()
        answers = [
            first.get("/api/v1/products", headers=headers),
            first.get("/api/v1/products", headers=headers),
            second.get(f"/api/v1/products/{product.id}", headers=headers),
        ]
    finally:
        create_app(app_config(fake_wechat, database_url))  # the other tests' in-memory limiter

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-Cache"] for a in answers] == ["miss", "hit", "miss"]
    assert answers[1].get_json()["items"][0]["title"] == "环江香猪"
    assert answers[2].get_json()["title"] == "环江香猪"
