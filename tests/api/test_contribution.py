"""An employee sees what their purchases added to their unit this year."""

from datetime import UTC, datetime

from miniapp_api.services.ledger import book_reversal
from miniapp_api.services.totals import current_year
from models import UnitBinding, db
from tests.factories import employee_headers, make_employee, make_entry, make_unit

URL = "/api/v1/me/contribution"


def bind(employee, unit):
    db.session.add(UnitBinding(employee_id=employee.id, unit_id=unit.id))
    db.session.commit()


def test_a_bound_employee_sees_their_purchases_and_their_units_annual_total(client):
    unit = make_unit("某县第一中学")
    employee, colleague = make_employee(), make_employee()
    bind(employee, unit)
    mine = make_entry(unit, 8800, "2025-03-01T10:00:00+08:00", source="personal", employee=employee)
    make_entry(unit, 1200, "2025-03-02T10:00:00+08:00", source="personal", employee=colleague)
    make_entry(unit, 100000, "2025-04-01T10:00:00+08:00", source="canteen")
    make_entry(unit, 5000, "2025-05-01T10:00:00+08:00", source="union")
    make_entry(unit, 777, "2024-12-31T23:59:59+08:00", source="personal", employee=employee)
    book_reversal(
        db.session,
        mine,
        amount=800,
        occurred_at=datetime.fromisoformat("2026-01-02T10:00:00+08:00"),
        reference="RF1",
    )
    db.session.commit()

    response = client.get(f"{URL}?year=2025", headers=employee_headers(employee))

    assert response.status_code == 200
    assert response.get_json() == {
        "year": 2025,
        "personal_amount": "80.00",
        "unit": {
            "id": unit.id,
            "name": "某县第一中学",
            "annual_total": "1142.00",
            "reserved_share": None,
            "completion_rate": None,
        },
    }


def test_an_unbound_employee_sees_their_purchases_and_no_unit(client):
    employee = make_employee()

    body = client.get(URL, headers=employee_headers(employee)).get_json()

    assert body == {"year": current_year(), "personal_amount": "0.00", "unit": None}


def test_the_year_defaults_to_this_year_and_must_be_2019_to_next_year(client):
    unit = make_unit()
    employee = make_employee()
    bind(employee, unit)
    make_entry(unit, 500, datetime.now(UTC), source="personal", employee=employee)
    headers = employee_headers(employee)

    body = client.get(URL, headers=headers).get_json()
    too_early = client.get(f"{URL}?year=2018", headers=headers)

    assert (body["year"], body["personal_amount"], body["unit"]["annual_total"]) == (
        current_year(),
        "5.00",
        "5.00",
    )
    assert too_early.status_code == 422
    assert "year" in too_early.get_json()["error"]["details"]


def test_contribution_needs_an_employee_token(client):
    assert client.get(URL).status_code == 401
