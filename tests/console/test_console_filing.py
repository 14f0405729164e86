"""Reserved-share filing in the console: saved through the API's own checks, errors next to
their fields, submit, the superior's return (with its SMS) and confirm, the summary."""

from __future__ import annotations

from sqlalchemy import select

from models.admin import UNIT_ADMIN
from models.sms import SmsMessage
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_unit

GOOD = {
    "has_canteen": "true",
    "canteen_total": "3000000",
    "reserved_ratio": "20",
    "has_union_need": "false",
    "remark": "",
    "contact_name": "张三",
    "contact_mobile": "13800000000",
    "contact_phone": "",
}


def _school_and_bureau(client):
    bureau = make_unit("某市教育局")
    school = make_unit("某某中学", bureau)
    make_admin(UNIT_ADMIN, unit=school, username="school")
    make_admin(UNIT_ADMIN, unit=bureau, username="bureau")
    return bureau, school


def _post(client, path: str, data: dict):
    token = page_csrf(
        client, path.rsplit("/", 1)[0] if path.endswith(("submit", "confirm", "return")) else path
    )
    return client.post(path, data={**data, "csrf_token": token})


def test_a_unit_saves_its_filing_and_sees_the_share(client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")

    response = _post(client, f"/console/units/{school.id}/filing/2026", GOOD)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存" in page
    assert 'id="reserved-share">600000.00<' in page
    assert "未提交" in page


def test_a_ratio_below_the_minimum_is_named_next_to_the_field(client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")

    response = _post(
        client, f"/console/units/{school.id}/filing/2026", {**GOOD, "reserved_ratio": "5"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-error-for="reserved_ratio">' in page
    assert "10" in page.split('data-error-for="reserved_ratio">')[1].split("</p>")[0]
    assert 'value="3000000"' in page  # what the person typed stays in the form


def test_no_canteen_needs_the_exact_remark(client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")
    body = {**GOOD, "has_canteen": "false", "canteen_total": "", "reserved_ratio": ""}
    response = _post(
        client, f"/console/units/{school.id}/filing/2026", {**body, "remark": "无饭堂"}
    )

    error = response.get_data(as_text=True).split('data-error-for="remark">')[1].split("</p>")[0]
    assert response.status_code == 422
    assert "无食堂" in error


def test_a_bad_mobile_is_named_in_chinese(client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")

    response = _post(
        client, f"/console/units/{school.id}/filing/2026", {**GOOD, "contact_mobile": "123"}
    )

    assert "联系人手机号须为11位手机号码" in response.get_data(as_text=True)


def test_the_superior_returns_with_a_reason_and_the_contact_gets_an_sms(app, client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")
    _post(client, f"/console/units/{school.id}/filing/2026", GOOD)
    _post(client, f"/console/units/{school.id}/filing/2026/submit", {})
    other = app.test_client()
    console_login(other, "bureau")

    response = _post(
        other, f"/console/units/{school.id}/filing/2026/return", {"reason": "比例有误"}
    )

    page = other.get(response.headers["Location"]).get_data(as_text=True)
    assert "已退回" in page and "比例有误" in page
    from miniapp_api.extensions import db

    texts = db.session.scalars(select(SmsMessage.text)).all()
    assert any("比例有误" in text for text in texts)


def test_a_return_without_a_reason_is_named_next_to_the_field(app, client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")
    _post(client, f"/console/units/{school.id}/filing/2026", GOOD)
    _post(client, f"/console/units/{school.id}/filing/2026/submit", {})
    other = app.test_client()
    console_login(other, "bureau")

    response = _post(other, f"/console/units/{school.id}/filing/2026/return", {"reason": " "})

    assert response.status_code == 422
    assert "请填写退回原因" in response.get_data(as_text=True)


def test_the_unit_itself_cannot_confirm_its_filing(client):
    _bureau, school = _school_and_bureau(client)
    console_login(client, "school")
    _post(client, f"/console/units/{school.id}/filing/2026", GOOD)
    _post(client, f"/console/units/{school.id}/filing/2026/submit", {})

    response = _post(client, f"/console/units/{school.id}/filing/2026/confirm", {})

    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


def test_the_summary_reads_not_all_done_until_every_unit_is_confirmed(app, client):
    bureau, school = _school_and_bureau(client)
    console_login(client, "school")
    _post(client, f"/console/units/{school.id}/filing/2026", GOOD)
    _post(client, f"/console/units/{school.id}/filing/2026/submit", {})
    other = app.test_client()
    console_login(other, "bureau")
    summary = f"/console/units/{bureau.id}/filing/2026/summary"

    before = other.get(summary).get_data(as_text=True)
    _post(other, f"/console/units/{school.id}/filing/2026/confirm", {})
    after = other.get(summary).get_data(as_text=True)
    sheet = other.get(summary + ".xlsx")

    assert "未全部完成" in before
    assert "未全部完成" in after  # the bureau itself has not filed
    assert "某某中学" in after and "已确认" in after
    assert sheet.data[:2] == b"PK"
