"""A unit admin files the unit's reserved share for a year (预留份额填报, seed 003 附件2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AuditEntry, ReservedShare, db
from tests.factories import admin_headers, make_admin, make_unit

URL = "/api/v1/admin/units/{}/reserved-shares/{}"
YEAR = 2025


def filing(**changes) -> dict:
    body = {
        "has_canteen": True,
        "canteen_total": "3000000",
        "reserved_ratio": "20",
        "has_union_need": False,
        "remark": None,
        "contact_name": "李科长",
        "contact_mobile": "13800138000",
        "contact_phone": "0371-12345678",
    }
    body.update(changes)
    return body


@pytest.fixture
def school():
    county = make_unit("某县财政局")
    return make_unit("某县第一中学", county)


@pytest.fixture
def headers(school):
    return admin_headers(make_admin("unit_admin", unit=school))


def put(client, unit, headers, body, year=YEAR):
    return client.put(URL.format(unit.id, year), json=body, headers=headers)


def test_the_reserved_share_is_the_canteen_total_times_the_ratio(client, school, headers):
    response = put(client, school, headers, filing())

    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "draft"
    assert answer["canteen_total"] == "3000000.00"
    assert answer["reserved_ratio"] == "20.00"
    assert answer["reserved_share"] == "600000.00"
    assert answer["min_ratio"] == "10.00"
    assert [event["action"] for event in answer["history"]] == ["save"]


def test_the_share_is_rounded_half_up_to_the_fen(client, school, headers):
    # 0.05 yuan × 10% = 0.005 yuan: half a fen, rounded up to one fen
    response = put(client, school, headers, filing(canteen_total="0.05", reserved_ratio="10"))
    assert response.get_json()["reserved_share"] == "0.01"

    # 123.45 yuan × 12.34% = 15.233730 yuan: rounded down to 15.23
    response = put(client, school, headers, filing(canteen_total="123.45", reserved_ratio="12.34"))
    assert response.get_json()["reserved_share"] == "15.23"


def test_the_union_plan_is_computed_apart_and_never_added_to_the_reserved_share(
    client, school, headers
):
    body = filing(has_union_need=True, union_total="100000", union_ratio="20")

    answer = put(client, school, headers, body).get_json()

    assert answer["reserved_share"] == "600000.00"
    assert answer["union_planned"] == "20000.00"
    assert answer["union_ratio"] == "20.00"


def test_no_canteen_with_the_remark_wu_shitang_is_accepted_and_has_no_share(
    client, school, headers
):
    body = filing(has_canteen=False, canteen_total=None, reserved_ratio=None, remark="无食堂")

    answer = put(client, school, headers, body).get_json()

    assert answer["remark"] == "无食堂"
    assert answer["reserved_share"] is None


def test_the_remark_wu_fantang_is_refused_naming_the_accepted_forms(client, school, headers):
    body = filing(has_canteen=False, canteen_total=None, reserved_ratio=None, remark="无饭堂")

    response = put(client, school, headers, body)

    assert response.status_code == 422
    problem = response.get_json()["error"]["details"]["remark"][0]
    assert "无食堂" in problem and "共用XX单位食堂" in problem
    assert db.session.scalar(select(func.count()).select_from(ReservedShare)) == 0


@pytest.mark.parametrize(
    "remark", ["共用 某县人民医院 单位食堂", "共用某县人民医院单位食堂", "共用某县人民医院食堂"]
)
def test_a_shared_canteen_remark_is_accepted_with_or_without_spaces(
    client, school, headers, remark
):
    body = filing(has_canteen=False, canteen_total=None, reserved_ratio=None, remark=remark)

    response = put(client, school, headers, body)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["remark"] == remark


@pytest.mark.parametrize("remark", ["共用单位食堂", "共用  单位食堂", "共用食堂"])
def test_a_shared_canteen_remark_must_name_the_unit(client, school, headers, remark):
    body = filing(has_canteen=False, canteen_total=None, reserved_ratio=None, remark=remark)

    response = put(client, school, headers, body)

    assert response.status_code == 422
    assert "XX不能为空" in response.get_json()["error"]["details"]["remark"][0]


def test_no_canteen_needs_a_remark(client, school, headers):
    body = filing(has_canteen=False, canteen_total=None, reserved_ratio=None)

    response = put(client, school, headers, body)

    assert response.status_code == 422
    assert "remark" in response.get_json()["error"]["details"]


def test_a_remark_over_fifty_characters_is_refused(client, school, headers):
    response = put(client, school, headers, filing(remark="备" * 51))

    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["remark"] == ["备注最多50个字"]


def test_every_invalid_field_is_named_in_chinese_and_nothing_is_saved(client, school, headers):
    body = filing(
        canteen_total="12.345",
        reserved_ratio=20.5,
        contact_name="",
        contact_mobile="12345",
        contact_phone="12345678",
    )

    response = put(client, school, headers, body)

    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert set(details) >= {
        "canteen_total",
        "reserved_ratio",
        "contact_mobile",
        "contact_phone",
    }
    assert details["canteen_total"][0].startswith("年度食堂食材采购总额")
    assert details["reserved_ratio"][0].startswith("预留比例")
    assert "手机号" in details["contact_mobile"][0]
    assert "区号-号码" in details["contact_phone"][0]
    assert db.session.scalar(select(func.count()).select_from(ReservedShare)) == 0


def test_a_canteen_needs_its_total_and_ratio(client, school, headers):
    response = put(client, school, headers, filing(canteen_total=None, reserved_ratio=None))

    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details["canteen_total"] == ["请填写年度食堂食材采购总额"]
    assert details["reserved_ratio"] == ["请填写预留比例"]


def test_a_ratio_with_three_decimals_or_over_a_hundred_is_refused(client, school, headers):
    assert put(client, school, headers, filing(reserved_ratio="12.345")).status_code == 422
    assert put(client, school, headers, filing(reserved_ratio="100.01")).status_code == 422


def test_a_union_need_needs_its_total_and_ratio(client, school, headers):
    response = put(client, school, headers, filing(has_union_need=True))

    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"union_total", "union_ratio"}


def test_saving_again_replaces_the_filing_whole(client, school, headers):
    put(client, school, headers, filing(has_union_need=True, union_total="1000", union_ratio="5"))

    answer = put(client, school, headers, filing(canteen_total="500000")).get_json()

    assert answer["reserved_share"] == "100000.00"
    assert answer["union_planned"] is None and answer["union_total"] is None
    assert db.session.scalar(select(func.count()).select_from(ReservedShare)) == 1


def test_an_unfiled_year_reads_as_unfiled_with_the_minimum_in_force(client, school, headers):
    response = client.get(URL.format(school.id, YEAR), headers=headers)

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["status"] == "unfiled"
    assert answer["reserved_share"] is None and answer["history"] == []
    assert answer["min_ratio"] == "10.00"


def test_a_superior_may_read_but_not_file_for_a_unit_below(client, school):
    superior = admin_headers(make_admin("finance_admin", unit=school.parent))

    assert client.get(URL.format(school.id, YEAR), headers=superior).status_code == 200
    response = put(client, school, superior, filing())
    assert response.status_code == 403


def test_a_sibling_unit_admin_does_not_even_see_the_filing(client, school):
    sibling = make_unit("某县第二中学", school.parent)
    headers = admin_headers(make_admin("unit_admin", unit=sibling))

    assert put(client, school, headers, filing()).status_code == 404


def test_a_year_outside_the_ledger_years_is_refused(client, school, headers):
    response = put(client, school, headers, filing(), year=2000)

    assert response.status_code == 422
    assert "year" in response.get_json()["error"]["details"]


def test_saving_leaves_an_audit_row(client, school, headers):
    put(client, school, headers, filing())

    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "reserved_share.save"
    assert entry.unit_path == school.path
    assert entry.details["reserved_share"] == "600000.00"


def test_a_revoked_unit_files_no_more(client, school, headers):
    school.status = "revoked"
    db.session.commit()

    response = put(client, school, headers, filing())

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "unit_inactive"
