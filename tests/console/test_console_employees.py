"""The employees bound to a unit in the console: listed on the unit page with the phone
masked, when they bound and this year's personal amount, paged; ending a binding asks first,
keeps past figures and is audited; only within reach."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.services.units import bind_employee, unit_bound_at
from miniapp_api.transaction import unit_of_work
from models import AuditEntry
from models.admin import FINANCE_ADMIN, UNIT_ADMIN
from models.calendar import current_year
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_employee, make_entry, make_unit


@pytest.fixture
def tree():
    bureau = make_unit("某市财政局")
    school = make_unit("某某中学", bureau)
    hospital = make_unit("某某医院", bureau)
    return {"bureau": bureau, "school": school, "hospital": hospital}


def _bound(unit, phone: str | None = None):
    employee = make_employee()
    employee.phone = phone
    with unit_of_work(db.session):
        bind_employee(db.session, employee, unit)
    return employee


def _post(client, path: str):
    return client.post(path, data={"csrf_token": page_csrf(client, "/console/login")})


def _bound_now(employee_id: int):
    db.session.expire_all()
    return unit_bound_at(db.session, employee_id, datetime.now(UTC))


def test_the_unit_page_lists_who_is_bound_with_masked_phone_and_this_years_amount(client, tree):
    school = tree["school"]
    employee = _bound(school, "13800138000")
    _bound(tree["hospital"], "13900139000")
    make_entry(
        school,
        12_50,
        f"{current_year()}-03-01T10:00:00+08:00",
        source="personal",
        employee=employee,
    )
    make_admin(UNIT_ADMIN, unit=school, username="school")
    console_login(client, "school")

    page = client.get(f"/console/units/{school.id}").get_data(as_text=True)

    assert 'id="employees"' in page
    assert "<td>138****8000</td>" in page and "<td>12.50</td>" in page
    assert "13800138000" not in page
    assert "139****9000" not in page  # bound to another unit


def test_more_than_a_page_of_employees_is_paged_and_htmx_gets_the_table_only(client, tree):
    school = tree["school"]
    for number in range(21):
        _bound(school, f"1380000{number:04d}")
    make_admin(UNIT_ADMIN, unit=school, username="school")
    console_login(client, "school")

    first = client.get(f"/console/units/{school.id}").get_data(as_text=True)
    cursor_link = first.split('id="employees-next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(cursor_link, headers={"HX-Request": "true"}).get_data(as_text=True)
    whole = client.get(cursor_link).get_data(as_text=True)

    assert first.count("end-binding-") == 20
    assert second.lstrip().startswith('<div id="employees-list">') and "<html" not in second
    assert second.count("end-binding-") == 1 and "138****0020" in second
    assert "<html" in whole and "138****0020" in whole


def test_ending_a_binding_asks_first_then_keeps_past_figures_and_is_audited(client, tree):
    school = tree["school"]
    employee = _bound(school, "13800138000")
    make_entry(
        school,
        30_00,
        f"{current_year()}-03-01T10:00:00+08:00",
        source="personal",
        employee=employee,
    )
    finance = make_admin(FINANCE_ADMIN, unit=tree["bureau"], username="finance")
    console_login(client, "finance")
    path = f"/console/units/{school.id}/employees/{employee.id}/end"

    confirm = client.get(path)
    still_bound = _bound_now(employee.id)
    ended = _post(client, path)
    page = client.get(f"/console/units/{school.id}?year={current_year()}").get_data(as_text=True)
    again = _post(client, path)

    assert confirm.status_code == 200
    assert 'id="employee-phone">138****8000<' in confirm.get_data(as_text=True)
    assert still_bound.id == school.id
    assert ended.status_code == 302
    assert _bound_now(employee.id) is None
    assert again.status_code == 404 and "该职工未绑定本单位" in again.get_data(as_text=True)
    assert "已解除职工 138****8000" in page and "目前没有职工绑定本单位" in page
    assert 'id="own-total">30.00<' in page  # what was bought still counts
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "binding.end")).one()
    assert (audit.admin_id, audit.target_id) == (finance.id, employee.id)


def test_an_employee_bound_elsewhere_is_not_found_through_this_unit(client, tree):
    elsewhere = _bound(tree["hospital"], "13900139000")
    make_admin(FINANCE_ADMIN, unit=tree["bureau"], username="finance")
    console_login(client, "finance")
    path = f"/console/units/{tree['school'].id}/employees/{elsewhere.id}/end"

    answers = (client.get(path).status_code, _post(client, path).status_code)

    assert answers == (404, 404)
    assert _bound_now(elsewhere.id).id == tree["hospital"].id


def test_an_admin_outside_reach_sees_and_ends_nothing(client, tree):
    employee = _bound(tree["school"], "13800138000")
    make_admin(UNIT_ADMIN, unit=tree["hospital"], username="hospital")
    console_login(client, "hospital")
    base = f"/console/units/{tree['school'].id}/employees"

    answers = [
        client.get(base).status_code,
        client.get(f"{base}/{employee.id}/end").status_code,
        _post(client, f"{base}/{employee.id}/end").status_code,
    ]

    assert answers == [404, 404, 404]
    assert _bound_now(employee.id).id == tree["school"].id
