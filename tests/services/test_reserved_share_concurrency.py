"""Filings under simultaneous requests (real threads; PostgreSQL: SQLite serialises writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict
from miniapp_api.services.reserved_share import save_filing
from miniapp_api.services.reserved_share_workflow import confirm_filing, submit_filing
from miniapp_api.transaction import unit_of_work
from models import Admin, ReservedShare, ReservedShareEvent, Unit, db
from tests.factories import make_admin, make_unit

YEAR = 2025
DATA = {
    "has_canteen": True,
    "canteen_total": 300_000_000,
    "reserved_ratio": 2000,
    "has_union_need": False,
    "union_total": None,
    "union_ratio": None,
    "remark": None,
    "contact_name": "王老师",
    "contact_mobile": "13800138000",
    "contact_phone": None,
}


@pytest.fixture
def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers and hides the race")


def at_once(count: int, admin_id: int, unit_id: int, work: Callable) -> list[str]:
    engine = db.engine
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run() -> None:
        with Session(engine) as session:
            admin, unit = session.get(Admin, admin_id), session.get(Unit, unit_id)
            barrier.wait()
            try:
                with unit_of_work(session):
                    work(session, admin, unit)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_simultaneous_first_saves_leave_one_filing(postgresql_only):
    school = make_unit("某中学", make_unit("某县财政局"))
    admin = make_admin("unit_admin", unit=school)

    outcomes = at_once(8, admin.id, school.id, lambda s, a, u: save_filing(s, a, u, YEAR, DATA))

    assert outcomes == ["ok"] * 8
    assert db.session.scalar(select(func.count()).select_from(ReservedShare)) == 1
    assert db.session.scalar(select(func.count()).select_from(ReservedShareEvent)) == 8


def test_simultaneous_confirmations_confirm_once(postgresql_only):
    county = make_unit("某县财政局")
    school = make_unit("某中学", county)
    own, superior = make_admin("unit_admin", unit=school), make_admin("finance_admin", unit=county)
    with unit_of_work(db.session):
        save_filing(db.session, own, school, YEAR, DATA)
        submit_filing(db.session, own, school, YEAR)

    outcomes = at_once(6, superior.id, school.id, lambda s, a, u: confirm_filing(s, a, u, YEAR))

    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]
    confirmations = select(func.count()).where(ReservedShareEvent.action == "confirm")
    assert db.session.scalar(confirmations) == 1
