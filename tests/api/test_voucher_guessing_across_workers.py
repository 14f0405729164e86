"""Wrong voucher codes are counted in Redis, so every worker shares the count: a guesser gains
nothing by landing on another worker. Skipped when no Redis answers (TEST_REDIS_URL, default
redis://127.0.0.1:6379/0); its keys carry a prefix of their own and are removed afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from miniapp_api import create_app
from miniapp_api.extensions import limiter
from tests.conftest import app_config
from tests.factories import batch_codes, employee_headers, make_batch, make_employee, make_unit

REDEEM = "/api/v1/vouchers/redeem"


@pytest.fixture
def workers(fake_wechat, database_url) -> Iterator:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    prefix = f"miniapp-test-{uuid.uuid4().hex}"

    def worker():
        """A fresh app, as a separate gunicorn worker would build it (its own storage client)."""
        config = app_config(
            fake_wechat,
            database_url,
            REDIS_URL=url,
            RATELIMIT_STORAGE_URI=url,
            RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix},
            VOUCHER_REDEEM_FAILURE_LIMIT="3 per hour",
        )
        return create_app(config).test_client()

    yield worker
    limiter.reset()  # only this test's keys: the storage deletes its own prefix
    create_app(app_config(fake_wechat, database_url))  # the other tests' in-memory limiter


def test_the_guessing_limit_holds_across_two_workers(workers):
    batch = make_batch(make_unit())
    headers = employee_headers(make_employee())
    first = workers()
    wrong_on_first = [
        first.post(REDEEM, json={"code": "WRONG"}, headers=headers).status_code for _ in range(2)
    ]

    second = workers()
    wrong_on_second = second.post(REDEEM, json={"code": "WRONG"}, headers=headers).status_code
    limited = second.post(REDEEM, json={"code": batch_codes(batch)[0]}, headers=headers)

    assert wrong_on_first == [404, 404] and wrong_on_second == 404
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "too_many_attempts"
