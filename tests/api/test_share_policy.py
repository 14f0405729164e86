"""Minimum ratios are data: a unit's policy holds for its subtree and the strictest along the
path applies (财办库〔2023〕45号 10%; 粤财采购〔2023〕2号 30%; Zhengzhou: not below last year)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEntry, db
from tests.factories import admin_headers, make_admin, make_unit

FILING = "/api/v1/admin/units/{}/reserved-shares/{}"
POLICY = "/api/v1/admin/units/{}/share-policy"
YEAR = 2025


def filing(total="3000000", ratio="20") -> dict:
    return {
        "has_canteen": True,
        "canteen_total": total,
        "reserved_ratio": ratio,
        "contact_name": "王老师",
        "contact_mobile": "13800138000",
    }


@pytest.fixture
def platform():
    return admin_headers(make_admin("platform_admin"))


def set_policy(client, headers, unit, min_ratio, not_below_last_year=False, year=YEAR):
    body = {"year": year, "min_ratio": min_ratio, "not_below_last_year": not_below_last_year}
    return client.put(POLICY.format(unit.id), json=body, headers=headers)


def test_a_guangdong_unit_below_thirty_percent_is_refused_naming_the_rule_and_minimum(
    client, platform
):
    guangdong = make_unit("广东省财政厅", budget_level="provincial")
    school = make_unit("广州市第一中学", make_unit("广州市财政局", guangdong))
    assert set_policy(client, platform, guangdong, "30").status_code == 200
    headers = admin_headers(make_admin("unit_admin", unit=school))

    response = client.put(FILING.format(school.id, YEAR), json=filing(ratio="20"), headers=headers)

    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details["reserved_ratio"] == ["预留比例不得低于30.00%（广东省财政厅的规定）"]
    assert details["rules"] == [
        {
            "rule": "min_ratio",
            "minimum": "30.00",
            "set_by": {"id": guangdong.id, "name": "广东省财政厅"},
            "source": "广东省财政厅",
        }
    ]
    ok = client.put(FILING.format(school.id, YEAR), json=filing(ratio="30"), headers=headers)
    assert ok.status_code == 200 and ok.get_json()["min_ratio"] == "30.00"


def test_without_any_policy_the_national_ten_percent_applies(client):
    school = make_unit("某学校")
    headers = admin_headers(make_admin("unit_admin", unit=school))

    response = client.put(
        FILING.format(school.id, YEAR), json=filing(ratio="9.99"), headers=headers
    )

    assert response.status_code == 422
    assert "10.00%" in response.get_json()["error"]["details"]["reserved_ratio"][0]
    assert "财办库〔2023〕45号" in response.get_json()["error"]["details"]["reserved_ratio"][0]


def test_a_city_cannot_loosen_its_provinces_minimum(client, platform):
    province = make_unit("广东省财政厅")
    city = make_unit("广州市财政局", province)
    school = make_unit("广州市第一中学", city)
    set_policy(client, platform, province, "30")
    city_finance = admin_headers(make_admin("finance_admin", unit=city))
    assert set_policy(client, city_finance, city, "15").status_code == 200

    answer = client.get(f"{POLICY.format(school.id)}?year={YEAR}", headers=platform).get_json()

    assert answer["effective"]["min_ratio"] == "30.00"
    assert answer["effective"]["min_ratio_from"]["id"] == province.id


def test_a_stricter_city_policy_wins_over_its_provinces(client, platform):
    province = make_unit("广东省财政厅")
    city = make_unit("广州市财政局", province)
    school = make_unit("广州市第一中学", city)
    set_policy(client, platform, province, "30")
    set_policy(client, platform, city, "35")
    headers = admin_headers(make_admin("unit_admin", unit=school))

    response = client.put(FILING.format(school.id, YEAR), json=filing(ratio="30"), headers=headers)

    assert response.status_code == 422
    assert (
        "35.00%（广州市财政局的规定）"
        in response.get_json()["error"]["details"]["reserved_ratio"][0]
    )


def test_a_policy_holds_for_later_years_until_replaced(client, platform):
    province = make_unit("广东省财政厅")
    school = make_unit("某学校", province)
    set_policy(client, platform, province, "30", year=2024)
    set_policy(client, platform, province, "25", year=2026)

    def effective(year):
        url = f"{POLICY.format(school.id)}?year={year}"
        return client.get(url, headers=platform).get_json()["effective"]["min_ratio"]

    assert (effective(2023), effective(2024), effective(2025), effective(2026)) == (
        "10.00",
        "30.00",
        "30.00",
        "25.00",
    )


def confirm_last_year(client, unit, headers, platform, total, ratio="10"):
    body = filing(total=total, ratio=ratio)
    assert (
        client.put(FILING.format(unit.id, YEAR - 1), json=body, headers=headers).status_code == 200
    )
    assert (
        client.post(FILING.format(unit.id, YEAR - 1) + "/submit", headers=headers).status_code
        == 200
    )
    assert (
        client.post(FILING.format(unit.id, YEAR - 1) + "/confirm", headers=platform).status_code
        == 200
    )


def test_zhengzhou_refuses_a_share_below_last_years_confirmed_amount(client, platform):
    zhengzhou = make_unit("郑州市财政局")
    police = make_unit("郑州市公安局", zhengzhou)
    set_policy(client, platform, zhengzhou, "10", not_below_last_year=True, year=YEAR - 1)
    headers = admin_headers(make_admin("unit_admin", unit=police))
    confirm_last_year(client, police, headers, platform, total="2000000")  # share 200,000.00

    response = client.put(
        FILING.format(police.id, YEAR), json=filing(total="1500000", ratio="12"), headers=headers
    )

    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details["reserved_share"] == [
        "预留份额不得低于上年度已确认的预留份额200000.00元（郑州市财政局的规定）"
    ]
    assert details["rules"][0]["rule"] == "not_below_last_year"
    assert details["rules"][0]["minimum"] == "200000.00"
    ok = client.put(
        FILING.format(police.id, YEAR), json=filing(total="2000000", ratio="10"), headers=headers
    )
    assert ok.status_code == 200
    assert ok.get_json()["last_year_share"] == "200000.00"


def test_last_years_amount_binds_only_where_a_policy_says_so(client, platform):
    unit = make_unit("某单位", make_unit("某省财政厅"))
    headers = admin_headers(make_admin("unit_admin", unit=unit))
    confirm_last_year(client, unit, headers, platform, total="2000000")

    response = client.put(
        FILING.format(unit.id, YEAR), json=filing(total="1000000", ratio="10"), headers=headers
    )

    assert response.status_code == 200


def test_submitting_rechecks_a_policy_tightened_after_saving(client, platform):
    province = make_unit("广东省财政厅")
    school = make_unit("某学校", province)
    headers = admin_headers(make_admin("unit_admin", unit=school))
    client.put(FILING.format(school.id, YEAR), json=filing(ratio="20"), headers=headers)
    set_policy(client, platform, province, "30")

    response = client.post(FILING.format(school.id, YEAR) + "/submit", headers=headers)

    assert response.status_code == 422
    assert "30.00%" in response.get_json()["error"]["details"]["reserved_ratio"][0]


def test_only_the_platform_or_the_units_own_finance_admin_sets_its_policy(client):
    province = make_unit("广东省财政厅")
    city = make_unit("广州市财政局", province)
    province_finance = admin_headers(make_admin("finance_admin", unit=province))
    city_unit_admin = admin_headers(make_admin("unit_admin", unit=city))

    assert set_policy(client, province_finance, city, "30").status_code == 403
    assert set_policy(client, city_unit_admin, city, "30").status_code == 403
    assert set_policy(client, province_finance, province, "30").status_code == 200


def test_setting_a_policy_is_audited(client, platform):
    province = make_unit("广东省财政厅")

    set_policy(client, platform, province, "30")

    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "share_policy.set"
    assert entry.details == {"year": YEAR, "min_ratio": "30.00", "not_below_last_year": False}


def test_a_bad_policy_body_names_its_fields(client, platform):
    province = make_unit("广东省财政厅")

    response = client.put(
        POLICY.format(province.id), json={"year": YEAR, "min_ratio": "abc"}, headers=platform
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["min_ratio"][0].startswith("最低预留比例")


def test_a_policy_below_the_national_ten_percent_is_refused_and_nothing_is_stored(client, platform):
    province = make_unit("广东省财政厅")

    response = set_policy(client, platform, province, "9.99")
    answer = client.get(f"{POLICY.format(province.id)}?year={YEAR}", headers=platform).get_json()

    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details["min_ratio"] == ["最低预留比例不得低于全国的10.00%"]
    assert answer["effective"]["min_ratio"] == "10.00"
    assert answer["effective"]["min_ratio_from"] is None
    assert set_policy(client, platform, province, "10").status_code == 200
