"""What admins look up: units within reach, products, and the employees bound to a unit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from miniapp_api.services.units import bind_employee, unit_bound_at
from miniapp_api.transaction import unit_of_work
from models import AuditEntry, db
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, SUPPLIER, UNION_ADMIN, UNIT_ADMIN
from tests.factories import (
    admin_headers,
    credit_code,
    make_admin,
    make_employee,
    make_entry,
    make_product,
    make_supplier,
    make_unit,
)


@pytest.fixture
def tree():
    province = make_unit("河南省财政厅", budget_level="provincial", credit_code=credit_code(1))
    school = make_unit("新郑市第一中学", province, credit_code=credit_code(2))
    hospital = make_unit("新郑市人民医院", province, credit_code=credit_code(3))
    other = make_unit("广东省第一中学", budget_level="provincial", credit_code=credit_code(4))
    return {"province": province, "school": school, "hospital": hospital, "other": other}


def _bound(unit, phone: str | None = None):
    employee = make_employee()
    employee.phone = phone
    with unit_of_work(db.session):
        bind_employee(db.session, employee, unit)
    return employee


def test_a_finance_admin_finds_units_by_name_only_within_reach(client, tree):
    finance = make_admin(FINANCE_ADMIN, unit=tree["province"])

    found = client.get("/api/v1/admin/units?q=第一中学", headers=admin_headers(finance))

    assert found.status_code == 200
    assert [unit["name"] for unit in found.get_json()["items"]] == ["新郑市第一中学"]


def test_a_platform_admin_finds_units_by_credit_code_anywhere(client, tree):
    platform = make_admin(PLATFORM_ADMIN)

    by_code = client.get(
        f"/api/v1/admin/units?q={credit_code(4).lower()}", headers=admin_headers(platform)
    )
    everything = client.get("/api/v1/admin/units?limit=3", headers=admin_headers(platform))
    rest = client.get(
        f"/api/v1/admin/units?limit=3&cursor={everything.get_json()['next_cursor']}",
        headers=admin_headers(platform),
    )

    assert [unit["id"] for unit in by_code.get_json()["items"]] == [tree["other"].id]
    assert len(everything.get_json()["items"]) == 3
    assert [unit["id"] for unit in rest.get_json()["items"]] == [tree["other"].id]
    assert rest.get_json()["next_cursor"] is None


def test_union_admins_cannot_list_units(client, tree):
    union = make_admin(UNION_ADMIN, unit=tree["school"])

    assert client.get("/api/v1/admin/units", headers=admin_headers(union)).status_code == 403


def test_a_supplier_lists_only_its_own_products_on_and_off_shelf(client):
    mine, theirs = make_supplier("我的供应商"), make_supplier("别家供应商")
    on = make_product("高山香粳米", supplier=mine)
    off = make_product("红心猕猴桃", supplier=mine, on_shelf=False)
    make_product("高山香菇", supplier=theirs)
    supplier = make_admin(SUPPLIER, supplier=mine)

    everything = client.get("/api/v1/admin/products", headers=admin_headers(supplier))
    off_shelf = client.get("/api/v1/admin/products?on_shelf=false", headers=admin_headers(supplier))

    assert [p["id"] for p in everything.get_json()["items"]] == [off.id, on.id]
    assert [p["id"] for p in off_shelf.get_json()["items"]] == [off.id]
    assert everything.get_json()["items"][0]["on_shelf"] is False


def test_a_platform_admin_searches_every_product_by_title_or_code(client):
    rice = make_product("高山香粳米")
    mushroom = make_product("高山香菇")
    platform = make_admin(PLATFORM_ADMIN)

    by_title = client.get("/api/v1/admin/products?q=高山", headers=admin_headers(platform))
    by_code = client.get(f"/api/v1/admin/products?q={rice.code}", headers=admin_headers(platform))

    assert [p["id"] for p in by_title.get_json()["items"]] == [mushroom.id, rice.id]
    assert [p["title"] for p in by_code.get_json()["items"]] == ["高山香粳米"]
    assert by_code.get_json()["items"][0]["skus"][0]["price"] == "10.00"


def test_unit_admins_cannot_list_products(client, tree):
    unit_admin = make_admin(UNIT_ADMIN, unit=tree["school"])

    response = client.get("/api/v1/admin/products", headers=admin_headers(unit_admin))

    assert response.status_code == 403


def test_a_units_admin_sees_who_is_bound_with_masked_phone_and_this_years_amount(client, tree):
    employee = _bound(tree["school"], phone="13800138000")
    _bound(tree["hospital"])
    this_year = datetime.now(UTC).replace(month=6, day=1, hour=4)
    make_entry(tree["school"], 12_50, this_year, source="personal", employee=employee)
    make_entry(
        tree["school"], 99_00, "2019-06-01T10:00:00+08:00", source="personal", employee=employee
    )
    unit_admin = make_admin(UNIT_ADMIN, unit=tree["school"])

    response = client.get(
        f"/api/v1/admin/units/{tree['school'].id}/employees", headers=admin_headers(unit_admin)
    )

    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item["id"] == employee.id
    assert item["phone"] == "138****8000"
    assert item["personal_amount"] == "12.50"
    assert item["bound_at"]


def test_an_admin_cannot_list_the_employees_of_a_unit_outside_reach(client, tree):
    unit_admin = make_admin(UNIT_ADMIN, unit=tree["school"])

    response = client.get(
        f"/api/v1/admin/units/{tree['hospital'].id}/employees", headers=admin_headers(unit_admin)
    )

    assert response.status_code == 404


def test_ending_a_binding_unbinds_keeps_past_figures_and_is_audited(client, tree):
    employee = _bound(tree["school"], phone="13800138000")
    make_entry(tree["school"], 30_00, source="personal", employee=employee)
    finance = make_admin(FINANCE_ADMIN, unit=tree["province"])

    ended = client.delete(
        f"/api/v1/admin/units/{tree['school'].id}/employees/{employee.id}",
        headers=admin_headers(finance),
    )
    again = client.delete(
        f"/api/v1/admin/units/{tree['school'].id}/employees/{employee.id}",
        headers=admin_headers(finance),
    )
    listed = client.get(
        f"/api/v1/admin/units/{tree['school'].id}/employees", headers=admin_headers(finance)
    )
    totals = client.get(
        f"/api/v1/admin/units/{tree['school'].id}/totals?year=2026", headers=admin_headers(finance)
    )

    assert ended.status_code == 204
    assert again.status_code == 404
    assert again.get_json()["error"]["code"] == "binding_not_found"
    assert listed.get_json()["items"] == []
    assert unit_bound_at(db.session, employee.id, datetime.now(UTC)) is None
    assert totals.get_json()["own"]["personal"] == "30.00"
    audit = db.session.query(AuditEntry).filter_by(action="binding.end").one()
    assert (audit.admin_id, audit.target_id, audit.unit_path) == (
        finance.id,
        employee.id,
        tree["school"].path,
    )


def test_an_employee_bound_elsewhere_cannot_be_unbound_through_this_unit(client, tree):
    employee = _bound(tree["hospital"])
    finance = make_admin(FINANCE_ADMIN, unit=tree["province"])

    response = client.delete(
        f"/api/v1/admin/units/{tree['school'].id}/employees/{employee.id}",
        headers=admin_headers(finance),
    )

    assert response.status_code == 404
    assert unit_bound_at(db.session, employee.id, datetime.now(UTC)).id == tree["hospital"].id
