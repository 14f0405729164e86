"""Binding under concurrent requests of the same employee (PostgreSQL: SQLite serialises)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict
from miniapp_api.services.units import bind_employee
from miniapp_api.transaction import unit_of_work
from models import Employee, Unit, UnitBinding, db
from tests.factories import make_employee, make_unit


@pytest.fixture
def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers and hides the race")


def test_ten_simultaneous_bindings_leave_exactly_one_in_force(postgresql_only):
    employee = make_employee()
    units = [make_unit(f"单位{i}") for i in range(10)]
    engine, employee_id, unit_ids = db.engine, employee.id, [unit.id for unit in units]
    barrier = threading.Barrier(len(units))
    outcomes: list[str] = []

    def bind(unit_id: int) -> None:
        with Session(engine) as session:
            me = session.get(Employee, employee_id)
            unit = session.get(Unit, unit_id)
            barrier.wait()
            try:
                with unit_of_work(session):
                    bind_employee(session, me, unit)
                outcomes.append("bound")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=bind, args=(unit_id,)) for unit_id in unit_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    current = db.session.scalars(select(UnitBinding).where(UnitBinding.bound_to.is_(None))).all()
    assert len(current) == 1
    assert "bound" in outcomes and len(outcomes) == 10
