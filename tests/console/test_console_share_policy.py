"""The minimum-ratio policy in the console: the policy in force on the unit page (and where it
comes from), set by the platform or the unit's own finance admin through set_share_policy;
every mistake beside its field and nothing stored; nobody else sets one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from miniapp_api.extensions import db
from models import AuditEntry
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.calendar import current_year
from models.reserved_share import SharePolicy
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_unit

YEAR = current_year()


@pytest.fixture
def tree():
    province = make_unit("广东省财政厅", budget_level="provincial")
    city = make_unit("广州市财政局", province)
    school = make_unit("广州市第一中学", city)
    other = make_unit("河南省财政厅", budget_level="provincial")
    return {"province": province, "city": city, "school": school, "other": other}


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": page_csrf(client, "/console/login")})


def _policies() -> list[SharePolicy]:
    db.session.expire_all()
    return db.session.scalars(select(SharePolicy)).all()


def test_the_platform_sets_a_policy_and_the_subtree_shows_it_in_force(client, tree):
    make_admin(PLATFORM_ADMIN, username="root")
    console_login(client, "root")
    province, school = tree["province"], tree["school"]

    before = client.get(f"/console/units/{school.id}?year={YEAR}").get_data(as_text=True)
    saved = _post(
        client,
        f"/console/units/{province.id}/share-policy?year={YEAR}",
        {"year": str(YEAR), "min_ratio": "30"},
    )
    own_page = client.get(f"/console/units/{province.id}?year={YEAR}").get_data(as_text=True)
    school_page = client.get(f"/console/units/{school.id}?year={YEAR}").get_data(as_text=True)

    assert 'id="policy-min-ratio">10.00%<' in before and "全国（财办库〔2023〕45号）" in before
    assert saved.status_code == 302
    assert "已设置" in own_page and 'id="policy-min-ratio">30.00%<' in own_page
    assert f"本单位自{YEAR}年起的规定：最低 30.00%" in own_page
    assert 'id="policy-min-ratio">30.00%<' in school_page
    assert "广东省财政厅的规定" in school_page
    [policy] = _policies()
    assert (policy.unit_id, policy.year, policy.min_ratio) == (province.id, YEAR, 3000)
    audit = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "share_policy.set")
    ).one()
    assert audit.details == {"year": YEAR, "min_ratio": "30.00", "not_below_last_year": False}


def test_a_finance_admin_sets_its_own_units_policy_with_not_below_last_year(client, tree):
    city = tree["city"]
    make_admin(FINANCE_ADMIN, unit=city, username="city")
    console_login(client, "city")

    page = client.get(f"/console/units/{city.id}?year={YEAR}").get_data(as_text=True)
    saved = _post(
        client,
        f"/console/units/{city.id}/share-policy?year={YEAR}",
        {"year": str(YEAR), "min_ratio": "12.5", "not_below_last_year": "true"},
    )
    after = client.get(f"/console/units/{city.id}?year={YEAR}").get_data(as_text=True)

    assert 'id="policy-form"' in page
    assert saved.status_code == 302
    assert 'id="policy-min-ratio">12.50%<' in after
    assert 'id="policy-last-year">是<' in after
    [policy] = _policies()
    assert (policy.min_ratio, policy.not_below_last_year) == (1250, True)


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"year": str(YEAR)}, "min_ratio", "请填写最低预留比例"),
        ({"year": str(YEAR), "min_ratio": "三十"}, "min_ratio", "最低预留比例须为数字"),
        ({"year": str(YEAR), "min_ratio": "101"}, "min_ratio", "最低预留比例须大于0且不超过100.00"),
        ({"year": str(YEAR), "min_ratio": "0"}, "min_ratio", "最低预留比例须大于0且不超过100.00"),
        ({"year": str(YEAR), "min_ratio": "12.345"}, "min_ratio", "最低预留比例"),
        ({"year": str(YEAR), "min_ratio": "9.5"}, "min_ratio", "最低预留比例不得低于全国的10.00%"),
        ({"min_ratio": "30"}, "year", "请填写年度"),
        ({"year": "明年", "min_ratio": "30"}, "year", "年度格式不正确"),
        ({"year": "2000", "min_ratio": "30"}, "year", "年份须在2019至"),
    ],
)
def test_each_mistake_is_said_beside_its_field_and_nothing_is_stored(
    client, tree, form, field, message
):
    make_admin(PLATFORM_ADMIN, username="root")
    console_login(client, "root")

    response = _post(client, f"/console/units/{tree['city'].id}/share-policy?year={YEAR}", form)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'data-error-for="{field}">{message}' in page
    assert f'value="{form.get("min_ratio", "")}"' in page  # what was typed comes back
    assert _policies() == []


def test_only_the_platform_and_the_units_own_finance_admin_set_its_policy(client, tree):
    province, city = tree["province"], tree["city"]
    make_admin(FINANCE_ADMIN, unit=province, username="province")
    console_login(client, "province")

    below = client.get(f"/console/units/{city.id}?year={YEAR}").get_data(as_text=True)
    refused = _post(
        client, f"/console/units/{city.id}/share-policy", {"year": str(YEAR), "min_ratio": "50"}
    )

    assert 'id="share-policy"' in below  # it reads the policy in force
    assert 'id="policy-form"' not in below  # but sets only its own unit's
    assert refused.status_code == 403
    assert _policies() == []


def test_a_unit_admin_reads_the_policy_but_cannot_set_it(client, tree):
    school = tree["school"]
    make_admin(UNIT_ADMIN, unit=school, username="school")
    console_login(client, "school")

    page = client.get(f"/console/units/{school.id}/share-policy?year={YEAR}")
    refused = _post(
        client, f"/console/units/{school.id}/share-policy", {"year": str(YEAR), "min_ratio": "5"}
    )

    assert page.status_code == 200 and 'id="policy-min-ratio">10.00%<' in page.get_data(
        as_text=True
    )
    assert 'id="policy-form"' not in page.get_data(as_text=True)
    assert refused.status_code == 403
    assert _policies() == []


def test_a_unit_outside_reach_has_no_policy_page(client, tree):
    make_admin(FINANCE_ADMIN, unit=tree["other"], username="henan")
    console_login(client, "henan")

    page = client.get(f"/console/units/{tree['province'].id}/share-policy")
    saved = _post(
        client,
        f"/console/units/{tree['province'].id}/share-policy",
        {"year": str(YEAR), "min_ratio": "50"},
    )

    assert (page.status_code, saved.status_code) == (404, 404)
    assert _policies() == []
