"""The platform's pages: imports with the bad rows as a table, admin accounts, the audit log
(within reach for unit admins) and the SMS outbox."""

from __future__ import annotations

from sqlalchemy import func, select

from miniapp_api.extensions import db
from models.admin import PLATFORM_ADMIN, UNIT_ADMIN
from models.ledger import Entry
from models.sms import SmsMessage
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_unit, upload

SCHOOL = "91350100M000100Y43"
CANTEEN_HEADER = ["credit_code", "order_no", "amount", "completed_at"]


def _root(client):
    make_admin(PLATFORM_ADMIN, username="root")
    console_login(client, "root")


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": page_csrf(client, "/console/login")})


def test_a_canteen_import_with_bad_rows_shows_them_and_writes_nothing(client):
    make_unit("某学校", credit_code=SCHOOL)
    _root(client)
    rows = [CANTEEN_HEADER, [SCHOOL, "T1", "10.00", "2026-01-01 10:00:00"]]
    rows += [[SCHOOL, "T2", "abc", "2026-01-01 10:00:00"]]

    response = _post(client, "/console/imports/entries", {"file": upload(rows, "c.csv")})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="bad-rows"' in page and "<td>3</td>" in page
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_a_good_canteen_import_is_counted(client):
    make_unit("某学校", credit_code=SCHOOL)
    _root(client)
    rows = [CANTEEN_HEADER, [SCHOOL, "T1", "10.00", "2026-01-01 10:00:00"]]

    response = _post(client, "/console/imports/entries", {"file": upload(rows, "c.csv")})

    assert response.status_code == 200
    assert "导入成功：新增 1" in response.get_data(as_text=True)


def test_an_upload_without_a_file_is_said_beside_the_field(client):
    _root(client)

    response = _post(client, "/console/imports/units", {})

    assert response.status_code == 422
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_the_platform_creates_an_admin_and_a_taken_name_is_named(client):
    unit = make_unit("某局")
    _root(client)
    body = {"username": "bureau", "password": "a good password", "role": "unit_admin"}

    created = _post(client, "/console/admins", {**body, "unit_id": str(unit.id)})
    taken = _post(client, "/console/admins", {**body, "unit_id": str(unit.id)})
    no_unit = _post(client, "/console/admins", {**body, "username": "other"})

    assert created.status_code == 302
    assert 'data-error-for="username">用户名已存在' in taken.get_data(as_text=True)
    assert no_unit.status_code == 422
    assert 'data-error-for="unit_id">' in no_unit.get_data(as_text=True)


def test_disabling_an_admin_from_the_console_ends_its_sessions(app, client):
    unit = make_unit("某局")
    victim = make_admin(UNIT_ADMIN, unit=unit, username="bureau")
    theirs = app.test_client()
    console_login(theirs, "bureau")
    _root(client)

    _post(client, f"/console/admins/{victim.id}/disable", {})

    assert theirs.get(f"/console/units/{unit.id}").status_code == 302


def test_a_unit_admin_reads_only_its_own_audit_log(client):
    mine, other = make_unit("本单位"), make_unit("别的单位")
    root = make_admin(PLATFORM_ADMIN, username="root")
    from miniapp_api.services.audit import record_admin_action
    from miniapp_api.transaction import unit_of_work

    with unit_of_work(db.session):
        for unit in (mine, other):
            record_admin_action(
                db.session,
                db.session.merge(root),
                "unit.revoke",
                target_type="unit",
                target_id=unit.id,
                target_name=unit.name,
                unit=db.session.merge(unit),
            )
    make_admin(UNIT_ADMIN, unit=mine, username="unit1")
    console_login(client, "unit1")

    page = client.get("/console/audit-log").get_data(as_text=True)

    assert "本单位" in page
    assert "别的单位" not in page


def test_the_sms_outbox_lists_messages_for_the_platform_only(client):
    db.session.add(SmsMessage(phone="13800000000", text="【832平台】测试短信"))
    db.session.commit()
    make_admin(UNIT_ADMIN, unit=make_unit(), username="unit1")
    console_login(client, "unit1")
    refused = client.get("/console/sms-outbox")
    _root(client)

    page = client.get("/console/sms-outbox").get_data(as_text=True)

    assert refused.status_code == 403
    assert "测试短信" in page
