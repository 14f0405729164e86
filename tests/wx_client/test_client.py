"""WxClient against the fake WeChat over real HTTP."""

from __future__ import annotations

import socket

import pytest
import redis
import requests

from tests.conftest import TEST_APPID, TEST_SECRET
from wx_client import WxClient, WxCodeInvalid, WxPhoneCodeInvalid, WxUnavailable

REDIS_URL = "redis://127.0.0.1:6379/15"


def _client(fake_wechat, **kwargs) -> WxClient:
    return WxClient(TEST_APPID, TEST_SECRET, api_base=fake_wechat.base_url, timeout=1.0, **kwargs)


def _calls(fake_wechat, endpoint: str) -> int:
    return fake_wechat.state.calls.get(endpoint, 0)


def test_code_to_session_returns_the_openid_and_fetches_no_token(fake_wechat, fake):
    before = _calls(fake_wechat, "stable_token")

    session = _client(fake_wechat).code_to_session(fake.login_code("openid-x", "union-x"))

    assert session.openid == "openid-x"
    assert session.unionid == "union-x"
    assert session.session_key
    assert _calls(fake_wechat, "stable_token") == before


def test_a_used_code_raises_code_invalid(fake_wechat, fake):
    client = _client(fake_wechat)
    code = fake.login_code("openid-y")
    client.code_to_session(code)

    with pytest.raises(WxCodeInvalid) as caught:
        client.code_to_session(code)
    assert caught.value.errcode == 40163


def test_the_phone_number_uses_the_stable_token_once(fake_wechat, fake):
    client = _client(fake_wechat)
    before = _calls(fake_wechat, "stable_token")

    assert client.phone_number(fake.phone_code("13700000001")) == "13700000001"
    assert client.phone_number(fake.phone_code("13700000002")) == "13700000002"
    assert _calls(fake_wechat, "stable_token") == before + 1


def test_a_token_invalidated_elsewhere_is_refreshed_once_and_the_call_succeeds(fake_wechat, fake):
    client = _client(fake_wechat)
    client.phone_number(fake.phone_code("13700000003"))
    # Someone calls the plain cgi-bin/token endpoint, which invalidates every other token.
    requests.get(
        fake.base_url + "cgi-bin/token",
        params={"grant_type": "client_credential", "appid": TEST_APPID, "secret": TEST_SECRET},
        timeout=5,
    )

    assert client.phone_number(fake.phone_code("13700000004")) == "13700000004"


def test_a_bad_phone_code_raises_phone_code_invalid(fake_wechat):
    with pytest.raises(WxPhoneCodeInvalid):
        _client(fake_wechat).phone_number("not-a-code")


def test_a_refused_connection_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = WxClient(TEST_APPID, TEST_SECRET, api_base=f"http://127.0.0.1:{port}/", timeout=1.0)

    with pytest.raises(WxUnavailable):
        client.code_to_session("any")


def test_workers_share_one_token_through_redis(fake_wechat, fake):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    redis.Redis.from_url(REDIS_URL).delete(f"miniapp:wechat:{TEST_APPID}_access_token")
    first = _client(fake_wechat, redis_url=REDIS_URL)
    second = _client(fake_wechat, redis_url=REDIS_URL)
    before = _calls(fake_wechat, "stable_token")

    first.phone_number(fake.phone_code("13700000005"))
    second.phone_number(fake.phone_code("13700000006"))

    assert _calls(fake_wechat, "stable_token") == before + 1
    assert first.access_token() == second.access_token()


def test_the_fake_rejects_an_unknown_fault_name(fake):
    response = requests.post(
        fake.base_url + "__fake__/faults", json={"jscode2session": "melting"}, timeout=5
    )
    assert response.status_code == 400
    assert requests.post(
        fake.base_url + "__fake__/faults", json={"jscode2session": None}, timeout=5
    ).ok


def test_a_token_store_that_is_down_makes_wechat_unavailable_not_a_crash(fake_wechat, fake):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _client(fake_wechat, redis_url=f"redis://127.0.0.1:{port}/0")

    with pytest.raises(WxUnavailable):
        client.phone_number(fake.phone_code("13700000007"))
