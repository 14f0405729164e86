"""Every error answers in API.md's envelope, and every answer carries a request id."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from miniapp_api import create_app
from miniapp_api.config import ConfigurationError
from tests.conftest import app_config


def _error(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_an_unknown_path_is_404_in_the_envelope(client):
    response = client.get("/api/v1/nowhere")

    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "not_found"
    assert error["message"] == "资源不存在"


def test_a_wrong_method_is_405_in_the_envelope(client):
    response = client.delete("/api/v1/auth/wx-login")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_400_invalid_json(client):
    response = client.post(
        "/api/v1/auth/wx-login", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"


def test_validation_errors_are_422_naming_each_bad_field(client):
    response = client.post("/api/v1/auth/wx-login", json={"code": "", "extra": 1})

    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "invalid_request"
    assert set(error["details"]) == {"code", "extra"}


def test_an_unexpected_exception_is_500_with_the_request_id_and_no_traceback(
    fake_wechat, database_url, caplog
):
    app = create_app(app_config(fake_wechat, database_url))

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    caplog.set_level(logging.ERROR)
    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-12345678"})

    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "internal_error"
    assert error["details"] == {"request_id": "req-12345678"}
    assert "secret internals" not in response.get_data(as_text=True)
    assert "req-12345678" in caplog.text


def test_every_answer_carries_a_request_id_and_logs_one_line_with_it(client, caplog):
    caplog.set_level(logging.INFO, logger="miniapp.request")
    ok = client.get("/api/openapi.json")
    missing = client.get("/api/v1/nowhere")

    for response in (ok, missing):
        request_id = response.headers["X-Request-ID"]
        lines = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
        assert len(lines) == 1


def test_the_openapi_document_lists_the_login_and_uses_the_error_envelope(client):
    spec = client.get("/api/openapi.json").get_json()

    assert "/api/v1/auth/wx-login" in spec["paths"]
    assert "/api/v1/me" in spec["paths"]
    assert "error" in spec["components"]["schemas"]["Error"]["properties"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "/api/docs/static/swagger-ui-bundle.js" in docs.get_data(as_text=True)
    assert client.get("/api/docs/static/swagger-ui-bundle.js").status_code == 200


def test_start_up_is_refused_without_a_secret_key_in_production(fake_wechat, database_url):
    config = app_config(fake_wechat, database_url, TESTING=False, MINIAPP_ENV="production")
    config["SECRET_KEY"] = None

    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(config)


def test_testing_alone_does_not_bring_the_demo_keys_to_production(fake_wechat, database_url):
    config = app_config(fake_wechat, database_url, TESTING=True, MINIAPP_ENV="production")
    config["SECRET_KEY"] = None

    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app(config)


def test_demo_and_test_start_without_a_secret_key(fake_wechat, database_url):
    config = app_config(fake_wechat, database_url, TESTING=False, MINIAPP_ENV="demo")
    config["SECRET_KEY"] = None

    assert isinstance(create_app(config), Flask)


def test_ids_too_large_for_the_database_are_404_in_paths_and_422_in_bodies(client, login):
    from tests.factories import admin_headers, make_admin

    admin = admin_headers(make_admin("platform_admin"))
    employee = login("openid-huge")

    huge = 8436831913758925258752
    in_path = client.post(f"/api/v1/admin/units/{huge}/revoke", headers=admin)
    in_body = client.put("/api/v1/me/unit", json={"unit_id": huge}, headers=employee)
    fraction = client.put("/api/v1/me/unit", json={"unit_id": 1.5}, headers=employee)

    assert in_path.status_code == 404
    assert in_body.status_code == 422 and "unit_id" in in_body.get_json()["error"]["details"]
    assert fraction.status_code == 422


def test_text_no_database_can_store_anywhere_in_a_request_is_422_naming_where(client):
    from tests.factories import admin_headers, make_admin

    headers = admin_headers(make_admin("platform_admin"))

    in_query = client.get("/api/v1/admin/admins?q=a%00b", headers=headers)
    in_body = client.post(
        "/api/v1/admin/admins",
        json={"username": "a\x00b", "password": "long-enough-1", "role": "platform_admin"},
        headers=headers,
    )
    at_login = client.post("/api/v1/admin/auth/login", json={"username": "a\x00", "password": "x"})
    in_a_key = client.post("/api/v1/auth/wx-login", json={"code\x00": "x"})
    surrogate = client.post(
        "/api/v1/admin/auth/login",
        data='{"username": "a\\ud800", "password": "x"}',
        content_type="application/json",
    )

    answers = (
        (in_query, "q"),
        (in_body, "username"),
        (at_login, "username"),
        (surrogate, "username"),
    )
    for answer, where in answers:
        assert answer.status_code == 422
        assert answer.get_json()["error"]["code"] == "invalid_request"
        assert where in answer.get_json()["error"]["details"]
    assert in_a_key.status_code == 422
