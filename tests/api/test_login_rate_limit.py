"""Login is rate-limited per client address."""

from miniapp_api import create_app
from miniapp_api.extensions import limiter
from tests.conftest import app_config


def test_login_past_the_limit_is_429_in_the_envelope(fake_wechat, database_url):
    app = create_app(app_config(fake_wechat, database_url, LOGIN_RATE_LIMIT="3 per minute"))
    client = app.test_client()
    limiter.reset()

    statuses = [
        client.post("/api/v1/auth/wx-login", json={"code": "made-up"}).status_code for _ in range(4)
    ]
    limited = client.post("/api/v1/auth/wx-login", json={"code": "made-up"})

    assert statuses[:3] == [401, 401, 401]
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited.headers
    limiter.reset()
