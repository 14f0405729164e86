"""A superior sees every filing below it, and "未全部完成" while any is not confirmed (seed 000
FAQ 18); totals and the employee's contribution show the confirmed share and its completion."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from models import UnitBinding, db
from tests.factories import (
    admin_headers,
    employee_headers,
    make_admin,
    make_employee,
    make_entry,
    make_unit,
)

URL = "/api/v1/admin/units/{}/reserved-shares/{}"
YEAR = 2025


def body(**changes) -> dict:
    return {
        "has_canteen": True,
        "canteen_total": "3000000",
        "reserved_ratio": "20",
        "contact_name": "王老师",
        "contact_mobile": "13800138000",
    } | changes


@pytest.fixture
def city():
    return make_unit("某市财政局", credit_code="91350100M000100Y43")


@pytest.fixture
def finance(city):
    return admin_headers(make_admin("finance_admin", unit=city))


def file_as(client, unit, *moves, superior, changes=None):
    """File `unit` as its own admin, then make the given moves."""
    own = admin_headers(make_admin("unit_admin", unit=unit))
    assert (
        client.put(URL.format(unit.id, YEAR), json=body(**(changes or {})), headers=own).status_code
        == 200
    )
    for action in moves:
        headers = own if action == "submit" else superior
        json = {"reason": "请核实"} if action == "return" else None
        response = client.post(f"{URL.format(unit.id, YEAR)}/{action}", json=json, headers=headers)
        assert response.status_code == 200, response.get_json()


def summary(client, unit, headers, query=""):
    response = client.get(f"{URL.format(unit.id, YEAR)}/summary{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_one_returned_unit_keeps_the_label_at_not_all_done(client, city, finance):
    units = [make_unit(f"单位{i}", city) for i in range(3)]
    file_as(client, units[0], "submit", "confirm", superior=finance)
    file_as(client, units[1], "submit", "confirm", superior=finance)
    file_as(client, units[2], "submit", "return", superior=finance)

    answer = summary(client, city, finance)

    assert answer["counts"] == {
        "unfiled": 0,
        "draft": 0,
        "submitted": 0,
        "confirmed": 2,
        "returned": 1,
        "total": 3,
    }
    assert (answer["all_confirmed"], answer["label"]) == (False, "未全部完成")


def test_every_unit_below_confirmed_reads_all_done(client, city, finance):
    for i in range(2):
        file_as(client, make_unit(f"单位{i}", city), "submit", "confirm", superior=finance)

    answer = summary(client, city, finance)

    assert (answer["all_confirmed"], answer["label"]) == (True, "已全部完成")


def test_an_unfiled_unit_below_counts_as_not_done(client, city, finance):
    file_as(client, make_unit("已确认单位", city), "submit", "confirm", superior=finance)
    make_unit("未填报单位", city)

    answer = summary(client, city, finance)

    assert answer["counts"]["unfiled"] == 1
    assert answer["label"] == "未全部完成"
    assert [item["status_label"] for item in answer["items"]] == ["已确认", "未填报"]


def test_including_the_unit_itself_counts_its_own_filing_too(client, city, finance):
    file_as(client, make_unit("单位", city), "submit", "confirm", superior=finance)

    assert summary(client, city, finance)["label"] == "已全部完成"
    with_self = summary(client, city, finance, "?include_self=true")
    assert with_self["label"] == "未全部完成"
    assert with_self["items"][0]["unit"]["id"] == city.id


def test_the_whole_subtree_is_listed_and_paged_with_counts_over_all_of_it(client, city, finance):
    county = make_unit("某县财政局", city)
    schools = [make_unit(f"某县第{i}中学", county) for i in range(4)]
    file_as(client, schools[0], "submit", superior=finance)

    first = summary(client, city, finance, "?limit=3")
    second = summary(client, city, finance, f"?limit=3&cursor={first['next_cursor']}")

    ids = [item["unit"]["id"] for item in first["items"] + second["items"]]
    assert ids == [county.id] + [school.id for school in schools]
    assert second["next_cursor"] is None
    assert first["counts"] == second["counts"]
    assert first["counts"]["total"] == 5 and first["counts"]["submitted"] == 1
    assert first["items"][1]["parent"]["name"] == "某县财政局"


def test_the_status_filter_lists_the_units_waiting_for_confirmation(client, city, finance):
    waiting = make_unit("待确认单位", city)
    file_as(client, waiting, "submit", superior=finance)
    make_unit("未填报单位", city)

    answer = summary(client, city, finance, "?status=submitted")

    assert [item["unit"]["id"] for item in answer["items"]] == [waiting.id]
    assert answer["counts"]["total"] == 2


def test_a_row_shows_the_share_the_annual_total_and_the_completion_rate(client, city, finance):
    school = make_unit("某中学", city)
    file_as(
        client, school, "submit", "confirm", superior=finance, changes={"canteen_total": "1000000"}
    )
    make_entry(school, 12_345_600, "2025-05-01T10:00:00+08:00", source="canteen")
    make_entry(school, 100_000, "2025-06-01T10:00:00+08:00", source="personal")

    (row,) = summary(client, city, finance)["items"]

    assert row["reserved_share"] == "200000.00"
    assert row["annual_total"] == "124456.00"
    assert row["completion_rate"] == "62.23"


def test_a_unit_outside_the_admins_reach_has_no_summary(client, city):
    other = make_unit("另一市财政局")
    headers = admin_headers(make_admin("finance_admin", unit=other))

    response = client.get(f"{URL.format(city.id, YEAR)}/summary", headers=headers)

    assert response.status_code == 404


def test_the_spreadsheet_has_the_platforms_columns_and_the_label(client, city, finance):
    school = make_unit("某中学", city)
    file_as(
        client,
        school,
        "submit",
        "confirm",
        superior=finance,
        changes={"contact_phone": "0371-1234567"},
    )
    make_unit("某小学", city)

    response = client.get(f"{URL.format(city.id, YEAR)}/summary.xlsx", headers=finance)

    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "预算单位名称",
        "上级预算单位名称",
        "统一信用代码",
        "年度食堂食材采购总额",
        "预留比例",
        "预留份额",
        "备注",
        "联系人",
        "联系电话",
        "状态",
    )
    # amounts are numbers people can add up, shown with two decimals
    assert rows[1] == (
        "某中学",
        "某市财政局",
        None,
        3000000,
        "20.00",
        600000,
        None,
        "王老师",
        "13800138000 / 0371-1234567",
        "已确认",
    )
    assert load_workbook(io.BytesIO(response.data)).active["F2"].number_format == "#,##0.00"
    assert rows[2][0] == "某小学" and rows[2][-1] == "未填报"
    assert rows[-1][-1] == "未全部完成"


def test_totals_show_the_confirmed_share_and_the_completion_rate(client, city, finance):
    school = make_unit("某中学", city)
    make_entry(school, 30_000_000, "2025-05-01T10:00:00+08:00", source="canteen")
    url = f"/api/v1/admin/units/{school.id}/totals?year={YEAR}"
    file_as(client, school, "submit", superior=finance)

    before = client.get(url, headers=finance).get_json()
    assert (before["reserved_share"], before["completion_rate"]) == (None, None)

    client.post(f"{URL.format(school.id, YEAR)}/confirm", headers=finance)
    after = client.get(url, headers=finance).get_json()
    assert (after["reserved_share"], after["completion_rate"]) == ("600000.00", "50.00")


def test_a_confirmed_unit_without_a_canteen_has_no_completion_rate(client, city, finance):
    school = make_unit("某中学", city)
    no_canteen = {
        "has_canteen": False,
        "canteen_total": None,
        "reserved_ratio": None,
        "remark": "无食堂",
    }
    file_as(client, school, "submit", "confirm", superior=finance, changes=no_canteen)

    totals = client.get(f"/api/v1/admin/units/{school.id}/totals?year={YEAR}", headers=finance)

    assert (totals.get_json()["reserved_share"], totals.get_json()["completion_rate"]) == (
        None,
        None,
    )


def test_an_employee_sees_their_units_share_and_completion(client, city, finance):
    school = make_unit("某中学", city)
    employee = make_employee()
    db.session.add(UnitBinding(employee_id=employee.id, unit_id=school.id))
    db.session.commit()
    make_entry(school, 66_000_000, "2025-05-01T10:00:00+08:00", source="canteen")
    file_as(client, school, "submit", "confirm", superior=finance)

    unit = client.get(f"/api/v1/me/contribution?year={YEAR}", headers=employee_headers(employee))

    assert unit.get_json()["unit"]["reserved_share"] == "600000.00"
    assert unit.get_json()["unit"]["completion_rate"] == "110.00"


def test_filed_returned_fixed_confirmed_then_summary_and_totals_show_it(client, city, finance):
    school = make_unit("某中学", city)
    own = admin_headers(make_admin("unit_admin", unit=school))
    platform = admin_headers(make_admin("platform_admin"))
    make_entry(school, 45_000_000, "2025-05-01T10:00:00+08:00", source="canteen")
    filing_url = URL.format(school.id, YEAR)

    client.put(filing_url, json=body(canteen_total="2000000"), headers=own)
    client.post(f"{filing_url}/submit", headers=own)
    client.post(f"{filing_url}/return", json={"reason": "总额有误"}, headers=finance)
    outbox = client.get("/api/v1/admin/sms-outbox", headers=platform).get_json()["items"]
    assert "总额有误" in outbox[0]["text"]
    client.put(filing_url, json=body(), headers=own)
    client.post(f"{filing_url}/submit", headers=own)
    assert client.post(f"{filing_url}/confirm", headers=finance).status_code == 200

    answer = summary(client, city, finance)
    assert answer["label"] == "已全部完成"
    assert answer["items"][0]["completion_rate"] == "75.00"
    totals = client.get(f"/api/v1/admin/units/{school.id}/totals?year={YEAR}", headers=own)
    assert (totals.get_json()["reserved_share"], totals.get_json()["completion_rate"]) == (
        "600000.00",
        "75.00",
    )
