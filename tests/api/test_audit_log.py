"""The audit log: every admin change with who, when, what and the target, read within reach."""

from __future__ import annotations

import pytest

from models import AuditEntry, db
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, SUPPLIER, UNIT_ADMIN, Admin
from tests.factories import (
    admin_headers,
    credit_code,
    make_admin,
    make_product,
    make_unit,
    upload,
)

LOG = "/api/v1/admin/audit-log"


@pytest.fixture
def tree():
    province = make_unit("河南省财政厅", budget_level="provincial", credit_code=credit_code(1))
    county = make_unit("新郑市财政局", province, credit_code=credit_code(2))
    school = make_unit("新郑市第一中学", county, credit_code=credit_code(3))
    hospital = make_unit("新郑市人民医院", county, credit_code=credit_code(4))
    other = make_unit("广东省财政厅", budget_level="provincial", credit_code=credit_code(5))
    other_school = make_unit("广州市第一中学", other, credit_code=credit_code(6))
    return {
        "province": province,
        "county": county,
        "school": school,
        "hospital": hospital,
        "other": other,
        "other_school": other_school,
    }


def test_the_log_shows_a_merge_an_import_and_a_shelf_change_with_their_admins(client, tree):
    finance = make_admin(FINANCE_ADMIN, unit=tree["province"], username="henan-finance")
    platform = make_admin(PLATFORM_ADMIN, username="ops")
    product = make_product("高山香粳米")
    sheet = upload(
        [["name", "parent_name", "budget_level"], ["新郑市第二中学", "新郑市财政局", "县级"]]
    )

    client.post(
        f"/api/v1/admin/units/{tree['school'].id}/merge",
        json={"into_unit_id": tree["hospital"].id},
        headers=admin_headers(finance),
    )
    client.post("/api/v1/admin/units/import", data={"file": sheet}, headers=admin_headers(platform))
    client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=admin_headers(platform))
    log = client.get(LOG, headers=admin_headers(platform))

    assert log.status_code == 200
    items = log.get_json()["items"]
    assert [(item["action"], item["admin"]["username"]) for item in items] == [
        ("product.off_shelf", "ops"),
        ("unit.import", "ops"),
        ("unit.merge", "henan-finance"),
    ]
    shelf, imported, merge = items
    assert shelf["target"] == {"type": "product", "id": product.id, "name": "高山香粳米"}
    assert imported["target"]["name"] == "units.xlsx"
    assert imported["details"] == {"rows": 1, "created": 1, "updated": 0, "skipped": 0}
    assert merge["admin"] == {"id": finance.id, "username": "henan-finance"}
    assert merge["target"] == {"type": "unit", "id": tree["school"].id, "name": "新郑市第一中学"}
    assert merge["details"]["into"]["id"] == tree["hospital"].id


def test_a_finance_admin_does_not_see_changes_outside_their_reach(client, tree):
    henan = make_admin(FINANCE_ADMIN, unit=tree["province"])
    guangdong = make_admin(FINANCE_ADMIN, unit=tree["other"])
    platform = make_admin(PLATFORM_ADMIN)

    client.post(f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=admin_headers(henan))
    client.post(
        f"/api/v1/admin/units/{tree['other_school'].id}/revoke", headers=admin_headers(guangdong)
    )
    product = make_product()
    client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=admin_headers(platform))

    seen_by_henan = client.get(LOG, headers=admin_headers(henan)).get_json()["items"]
    seen_by_platform = client.get(LOG, headers=admin_headers(platform)).get_json()["items"]

    assert [item["target"]["name"] for item in seen_by_henan] == ["新郑市第一中学"]
    assert len(seen_by_platform) == 3


def test_a_unit_admin_sees_the_changes_below_their_unit(client, tree):
    platform = make_admin(PLATFORM_ADMIN)
    county_admin = make_admin(UNIT_ADMIN, unit=tree["county"])

    client.post(f"/api/v1/admin/units/{tree['school'].id}/revoke", headers=admin_headers(platform))
    client.post(
        f"/api/v1/admin/units/{tree['other_school'].id}/revoke", headers=admin_headers(platform)
    )

    items = client.get(LOG, headers=admin_headers(county_admin)).get_json()["items"]
    assert [item["target"]["id"] for item in items] == [tree["school"].id]


def test_the_log_filters_by_action_and_admin_and_pages_newest_first(client, tree):
    first = make_admin(PLATFORM_ADMIN)
    second = make_admin(PLATFORM_ADMIN)
    products = [make_product() for _ in range(3)]
    for product in products:
        client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=admin_headers(first))
    client.post(f"/api/v1/admin/products/{products[0].id}/on-shelf", headers=admin_headers(second))
    headers = admin_headers(first)

    page = client.get(f"{LOG}?action=product.off_shelf&limit=2", headers=headers).get_json()
    rest = client.get(
        f"{LOG}?action=product.off_shelf&limit=2&cursor={page['next_cursor']}", headers=headers
    ).get_json()
    by_second = client.get(f"{LOG}?admin_id={second.id}", headers=headers).get_json()["items"]

    assert [item["target"]["id"] for item in page["items"] + rest["items"]] == [
        products[2].id,
        products[1].id,
        products[0].id,
    ]
    assert rest["next_cursor"] is None
    assert [item["action"] for item in by_second] == ["product.on_shelf"]


def test_an_unknown_action_filter_is_422(client):
    response = client.get(
        f"{LOG}?action=unit.teleport", headers=admin_headers(make_admin(PLATFORM_ADMIN))
    )

    assert response.status_code == 422
    assert "unit.merge" in response.get_json()["error"]["details"]["action"][0]


def test_suppliers_cannot_read_the_audit_log(client):
    response = client.get(LOG, headers=admin_headers(make_admin(SUPPLIER)))

    assert response.status_code == 403


def test_a_rejected_import_leaves_no_audit_row(client):
    bad = upload([["name", "parent_name", "budget_level"], ["新郑市第三中学", "不存在", "县级"]])

    response = client.post(
        "/api/v1/admin/units/import",
        data={"file": bad},
        headers=admin_headers(make_admin(PLATFORM_ADMIN)),
    )

    assert response.status_code == 422
    assert db.session.query(AuditEntry).count() == 0


def test_the_cli_records_its_imports_and_new_admins_as_the_operator(app, tmp_path, client):
    sheet = tmp_path / "units.csv"
    sheet.write_text(
        f"name,budget_level,credit_code\n某局,省级,{credit_code(9)}\n", encoding="utf-8"
    )
    runner = app.test_cli_runner()

    imported = runner.invoke(args=["units", "import", str(sheet)])
    created = runner.invoke(
        args=["admins", "create", "--username", "root", "--password", "long-enough-1",
              "--role", "platform_admin"]
    )  # fmt: skip
    db.session.remove()
    created_row = db.session.query(AuditEntry).filter_by(action="admin.create").one()
    root = db.session.get(Admin, created_row.target_id)
    items = client.get(LOG, headers=admin_headers(root)).get_json()["items"]

    assert imported.exit_code == 0 and created.exit_code == 0, imported.output + created.output
    assert [(item["action"], item["admin"]) for item in items] == [
        ("admin.create", {"id": None, "username": "operator"}),
        ("unit.import", {"id": None, "username": "operator"}),
    ]
    assert items[0]["target"]["name"] == "root"


def test_the_openapi_description_lists_every_action(client):
    from models.audit import AUDIT_ACTIONS

    spec = client.get("/api/openapi.json").get_json()

    description = spec["paths"]["/api/v1/admin/audit-log"]["get"]["description"]
    assert all(f"`{action}`" in description for action in AUDIT_ACTIONS)
