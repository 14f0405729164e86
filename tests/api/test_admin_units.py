"""Admin unit endpoints: reach (rule 7), children, merge and revoke (rule 8), import upload."""

from __future__ import annotations

import pytest

from models import db
from tests.factories import admin_headers, credit_code, make_admin, make_supplier, make_unit, upload


@pytest.fixture
def tree():
    province = make_unit("河南省财政厅", budget_level="provincial", credit_code=credit_code(1))
    city = make_unit("郑州市财政局", province, budget_level="municipal", credit_code=credit_code(2))
    county = make_unit("新郑市财政局", city, credit_code=credit_code(3))
    school = make_unit("新郑市第一中学", county, credit_code=credit_code(4))
    hospital = make_unit("新郑市人民医院", county, credit_code=credit_code(5))
    other = make_unit("广东省财政厅", budget_level="provincial", credit_code=credit_code(6))
    return {
        "province": province,
        "city": city,
        "county": county,
        "school": school,
        "hospital": hospital,
        "other": other,
    }


def _as(role, unit=None, **kw):
    return admin_headers(make_admin(role, unit=unit, **kw))


def test_a_province_admin_reads_a_county_school_below_it(client, tree):
    headers = _as("finance_admin", tree["province"])

    response = client.get(f"/api/v1/admin/units/{tree['school'].id}", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "新郑市第一中学"
    assert body["parent"]["id"] == tree["county"].id
    assert body["status"] == "active"


def test_a_school_admin_cannot_read_its_superior_or_a_sibling(client, tree):
    headers = _as("unit_admin", tree["school"])

    assert (
        client.get(f"/api/v1/admin/units/{tree['school'].id}", headers=headers).status_code == 200
    )
    for outside in ("county", "hospital"):
        response = client.get(f"/api/v1/admin/units/{tree[outside].id}", headers=headers)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "unit_not_found"


def test_another_provinces_admin_cannot_read_the_school(client, tree):
    headers = _as("finance_admin", tree["other"])

    assert (
        client.get(f"/api/v1/admin/units/{tree['school'].id}", headers=headers).status_code == 404
    )


def test_union_admins_and_suppliers_reach_no_unit_endpoint(client, tree):
    for headers in (_as("union_admin", tree["school"]), _as("supplier", supplier=make_supplier())):
        assert (
            client.get(f"/api/v1/admin/units/{tree['school'].id}", headers=headers).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=headers
            ).status_code
            == 403
        )


def test_children_are_paged_by_cursor_without_repeats(client, tree):
    headers = _as("platform_admin")
    for i in range(5):
        make_unit(f"新郑市学校{i}", tree["county"])

    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(
            f"/api/v1/admin/units/{tree['county'].id}/children", query_string=query, headers=headers
        ).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 7 == len(set(seen))
    garbage = client.get(
        f"/api/v1/admin/units/{tree['county'].id}/children",
        query_string={"cursor": "!!!"},
        headers=headers,
    )
    assert garbage.status_code == 422


def test_a_finance_admin_merges_a_unit_below_it_and_binding_then_offers_the_successor(
    client, tree, login
):
    headers = _as("finance_admin", tree["city"])

    response = client.post(
        f"/api/v1/admin/units/{tree['hospital'].id}/merge",
        json={"into_unit_id": tree["school"].id},
        headers=headers,
    )
    bind = client.put(
        "/api/v1/me/unit", json={"unit_id": tree["hospital"].id}, headers=login("openid-m")
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "merged"
    assert response.get_json()["successor"]["id"] == tree["school"].id
    assert bind.status_code == 409
    assert bind.get_json()["error"]["details"]["successor"]["id"] == tree["school"].id


def test_merging_into_a_unit_outside_reach_or_inactive_is_refused(client, tree):
    headers = _as("finance_admin", tree["city"])
    url = f"/api/v1/admin/units/{tree['hospital'].id}/merge"

    outside = client.post(url, json={"into_unit_id": tree["other"].id}, headers=headers)
    client.post(f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=headers)
    into_revoked = client.post(url, json={"into_unit_id": tree["school"].id}, headers=headers)
    missing = client.post(url, json={}, headers=headers)

    assert outside.status_code == 404
    assert into_revoked.status_code == 409
    assert missing.status_code == 422
    db.session.expire_all()
    assert tree["hospital"].status == "active"


def test_a_unit_with_active_children_cannot_be_revoked(client, tree):
    headers = _as("platform_admin")

    response = client.post(f"/api/v1/admin/units/{tree['county'].id}/revoke", headers=headers)
    twice = [
        client.post(f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=headers).status_code
        for _ in range(2)
    ]

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "unit_has_children"
    assert twice == [200, 409]


def test_unit_admins_read_but_do_not_change_and_finance_admins_not_their_own_unit(client, tree):
    unit_admin = _as("unit_admin", tree["county"])
    finance = _as("finance_admin", tree["school"])

    assert (
        client.post(
            f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=unit_admin
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=finance).status_code
        == 403
    )


def test_the_import_upload_answers_the_row_report(client, tree):
    headers = _as("platform_admin")
    good = upload(
        [["name", "parent_name", "budget_level"], ["新郑市第二中学", "新郑市财政局", "县级"]]
    )
    bad = upload([["name", "parent_name", "budget_level"], ["新郑市第三中学", "不存在", "县级"]])

    ok = client.post("/api/v1/admin/units/import", data={"file": good}, headers=headers)
    rejected = client.post("/api/v1/admin/units/import", data={"file": bad}, headers=headers)
    no_file = client.post("/api/v1/admin/units/import", data={}, headers=headers)

    assert ok.status_code == 200
    assert ok.get_json()["created"] == 1
    assert ok.get_json()["rows"] == [{"row": 2, "status": "ok", "errors": []}]
    assert rejected.status_code == 422
    assert rejected.get_json()["error"]["details"]["rows"][0]["status"] == "error"
    assert no_file.status_code == 422


def test_unit_admins_cannot_import(client, tree):
    headers = _as("unit_admin", tree["school"])
    upload_file = upload([["name", "budget_level"], ["某单位", "县级"]])

    response = client.post(
        "/api/v1/admin/units/import", data={"file": upload_file}, headers=headers
    )

    assert response.status_code == 403
