"""Every message a user can see is Chinese, and the common mistakes are named for what they are."""

from __future__ import annotations

import re

from miniapp_api import create_app
from miniapp_api.extensions import limiter
from models.admin import PLATFORM_ADMIN
from tests.conftest import app_config
from tests.factories import (
    admin_headers,
    employee_headers,
    make_admin,
    make_employee,
    make_unit,
    upload,
)

_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _field_messages(details: dict) -> list[str]:
    """The messages in `details` (lists of text per field); codes and values are not messages."""
    texts: list[str] = []
    for value in details.values():
        if isinstance(value, list):
            texts.extend(text for text in value if isinstance(text, str))
        elif isinstance(value, dict):
            texts.extend(_field_messages(value))
    return texts


def _chinese_error(response) -> dict:
    error = response.get_json()["error"]
    for text in [error["message"], *_field_messages(error["details"])]:
        assert _CHINESE.search(text), f"not Chinese: {text!r}"
    return error


def test_a_missing_field_and_a_wrong_type_are_said_in_chinese(client):
    response = client.post("/api/v1/admin/auth/login", json={"username": 5})

    assert response.status_code == 422
    details = _chinese_error(response)["details"]
    assert details["username"] == ["须为字符串"]
    assert details["password"] == ["缺少必填字段"]


def test_range_and_integer_messages_in_query_parameters_are_chinese(client):
    admin = make_admin(PLATFORM_ADMIN)
    unit = make_unit("某局")

    not_a_number = client.get(
        f"/api/v1/admin/units/{unit.id}/children?limit=abc", headers=admin_headers(admin)
    )
    too_many = client.get(
        f"/api/v1/admin/units/{unit.id}/children?limit=1000", headers=admin_headers(admin)
    )

    assert _chinese_error(not_a_number)["details"]["limit"] == ["须为整数"]
    assert _chinese_error(too_many)["details"]["limit"] == ["须不小于 1 且不大于 100"]


def test_an_unknown_body_field_is_named_in_chinese(client):
    response = client.post(
        "/api/v1/admin/auth/login", json={"username": "a", "password": "b", "extra": 1}
    )

    assert response.status_code == 422
    assert _chinese_error(response)["details"]["extra"] == ["未知字段"]


def test_an_unknown_query_parameter_is_422_naming_it(client):
    admin = make_admin(PLATFORM_ADMIN)
    unit = make_unit("某局")

    response = client.get(
        f"/api/v1/admin/units/{unit.id}/children?limt=5", headers=admin_headers(admin)
    )

    assert response.status_code == 422
    assert _chinese_error(response)["details"] == {"limt": ["未知字段"]}


def test_a_body_without_a_json_content_type_is_415_naming_content_type(client):
    response = client.post(
        "/api/v1/admin/auth/login",
        data='{"username": "a", "password": "b"}',
        content_type="text/plain",
    )

    assert response.status_code == 415
    error = _chinese_error(response)
    assert error["code"] == "unsupported_media_type"
    assert "Content-Type" in error["message"]
    assert error["details"] == {"content_type": "text/plain"}


def test_binding_with_an_empty_body_says_one_of_the_three_is_needed(client):
    employee = make_employee()

    response = client.put("/api/v1/me/unit", json={}, headers=employee_headers(employee))

    assert response.status_code == 422
    assert _chinese_error(response)["details"] == {
        "unit_id": ["须提供 unit_id、credit_code 或 name 其中之一"]
    }


def test_an_admin_token_on_an_employee_route_is_the_wrong_kind_of_login(client):
    admin = make_admin(PLATFORM_ADMIN)

    response = client.get("/api/v1/me", headers=admin_headers(admin))

    assert response.status_code == 401
    error = _chinese_error(response)
    assert error["code"] == "unauthenticated"
    assert error["details"]["reason"] == "wrong_token_kind"
    assert "管理员" in error["message"]


def test_an_employee_token_on_an_admin_route_is_the_wrong_kind_of_login(client):
    employee = make_employee()
    unit = make_unit("某局")

    response = client.get(f"/api/v1/admin/units/{unit.id}", headers=employee_headers(employee))

    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["details"]["reason"] == "wrong_token_kind"
    assert "管理员账号" in error["message"]


def test_a_garbage_token_is_still_just_invalid(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})

    assert response.status_code == 401
    assert response.get_json()["error"]["details"] == {"reason": "invalid_token"}


def test_retry_after_header_and_detail_agree_on_the_login_limit(fake_wechat, database_url):
    app = create_app(app_config(fake_wechat, database_url, LOGIN_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    limiter.reset()
    for _ in range(2):
        client.post("/api/v1/auth/wx-login", json={"code": "made-up"})

    limited = client.post("/api/v1/auth/wx-login", json={"code": "made-up"})
    limiter.reset()

    assert limited.status_code == 429
    error = _chinese_error(limited)
    assert int(limited.headers["Retry-After"]) == error["details"]["retry_after"] > 0


def test_an_import_without_known_columns_lists_the_expected_ones_in_chinese(client):
    admin = make_admin(PLATFORM_ADMIN)

    response = client.post(
        "/api/v1/admin/units/import",
        data={"file": upload([["单位", "代码"], ["某局", "1"]])},
        headers=admin_headers(admin),
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    details = _chinese_error(response)["details"]
    assert details["expected_columns"][:2] == ["预算单位名称", "上级预算单位名称"]
    assert "预算单位统一信用代码" in details["errors"][0]


def test_an_english_sheet_without_known_columns_is_told_the_english_ones(client):
    admin = make_admin(PLATFORM_ADMIN)

    response = client.post(
        "/api/v1/admin/units/import",
        data={"file": upload([["unit", "code"], ["某局", "1"]])},
        headers=admin_headers(admin),
        content_type="multipart/form-data",
    )

    assert response.get_json()["error"]["details"]["expected_columns"][0] == "name"
