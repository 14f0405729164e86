"""Moves and bookings agree (rule 7 with rule 8's moves): a booking in flight while its unit
moves ends with every figure where the tree says, and two imports cannot make a cycle.

Real threads on both databases: on PostgreSQL they meet on the unit rows and the tree lock, on
SQLite on the single writer."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.services import units_import
from miniapp_api.services.ledger import book_entry
from miniapp_api.services.sheets import ImportRejected
from miniapp_api.services.totals import unit_figures, verify_totals
from miniapp_api.services.units import move_subtree
from miniapp_api.services.units_import import import_units
from miniapp_api.transaction import unit_of_work
from models import Unit, db
from tests.factories import credit_code, make_unit, sheet

AT = datetime.fromisoformat("2026-03-01T12:00:00+08:00")


def _tree():
    """某省 > 甲市 > 某学校, and 乙市 beside 甲市."""
    province = make_unit("某省财政厅", budget_level="provincial")
    first_city = make_unit("甲市财政局", province, budget_level="municipal")
    second_city = make_unit("乙市财政局", province, budget_level="municipal")
    school = make_unit("某学校", first_city)
    ids = province.id, first_city.id, second_city.id, school.id
    db.session.commit()  # the test's own session holds no snapshot while the threads write
    return ids


def _book(session: Session, unit_id: int, reference: str, amount: int = 1000) -> None:
    book_entry(
        session,
        unit_id=unit_id,
        source="canteen",
        amount=amount,
        occurred_at=AT,
        reference=reference,
    )


def _move(session: Session, unit_id: int, parent_id: int) -> None:
    move_subtree(session, session.get(Unit, unit_id), session.get(Unit, parent_id))


def _held_open(engine, work, done: threading.Event, release: threading.Event) -> None:
    """`work` in its own unit of work, which stays open until `release`."""
    with Session(engine) as session, unit_of_work(session):
        work(session)
        done.set()
        assert release.wait(10)


def _subtree(unit_id: int) -> int:
    return unit_figures(db.session, db.session.get(Unit, unit_id), 2026).subtree.canteen


def test_a_move_waits_for_a_booking_in_flight_and_carries_its_amount_along():
    province, first_city, second_city, school = _tree()
    engine = db.engine
    booked, release = threading.Event(), threading.Event()

    def move() -> None:
        with Session(engine) as session, unit_of_work(session):
            _move(session, school, second_city)

    with ThreadPoolExecutor(max_workers=2) as pool:
        booking = pool.submit(
            _held_open, engine, lambda s: _book(s, school, "IN-FLIGHT"), booked, release
        )
        assert booked.wait(10)
        moving = pool.submit(move)
        time.sleep(0.5)
        move_waited = not moving.done()
        release.set()
        booking.result(timeout=30)
        moving.result(timeout=30)

    assert move_waited
    assert (_subtree(first_city), _subtree(second_city), _subtree(province)) == (0, 1000, 1000)
    assert verify_totals(db.session) == []


def test_a_units_import_moving_a_school_waits_for_its_booking_in_flight():
    """The issue's story: 某学校 moves from 甲市 to 乙市 by a units import while a booking for it
    is open; the import waits, and every figure ends where the tree says."""
    province = make_unit("某省财政厅", budget_level="provincial")
    first_city = make_unit("甲市财政局", province, budget_level="municipal")
    second_city = make_unit("乙市财政局", province, credit_code=credit_code(2))
    school = make_unit("某学校", first_city, credit_code=credit_code(1))
    ids = province.id, first_city.id, second_city.id, school.id
    db.session.commit()
    engine = db.engine
    booked, release = threading.Event(), threading.Event()
    rows = [
        ["name", "parent_credit_code", "credit_code", "budget_level"],
        ["某学校", credit_code(2), credit_code(1), "county"],
    ]

    def move_by_import() -> None:
        with Session(engine) as session, unit_of_work(session):
            import_units(session, *sheet(rows))

    with ThreadPoolExecutor(max_workers=2) as pool:
        booking = pool.submit(
            _held_open, engine, lambda s: _book(s, ids[3], "IN-FLIGHT"), booked, release
        )
        assert booked.wait(10)
        importing = pool.submit(move_by_import)
        time.sleep(0.5)
        import_waited = not importing.done()
        release.set()
        booking.result(timeout=30)
        importing.result(timeout=30)

    assert import_waited
    assert (_subtree(ids[1]), _subtree(ids[2]), _subtree(ids[0])) == (0, 1000, 1000)
    assert verify_totals(db.session) == []


def test_a_booking_that_starts_while_its_unit_moves_counts_under_the_new_superior():
    province, first_city, second_city, school = _tree()
    engine = db.engine
    moved, release = threading.Event(), threading.Event()

    def book() -> None:
        with Session(engine) as session, unit_of_work(session):
            _book(session, school, "AFTER-MOVE")

    with ThreadPoolExecutor(max_workers=2) as pool:
        moving = pool.submit(
            _held_open, engine, lambda s: _move(s, school, second_city), moved, release
        )
        assert moved.wait(10)
        booking = pool.submit(book)
        time.sleep(0.5)
        booking_waited = not booking.done()
        release.set()
        moving.result(timeout=30)
        booking.result(timeout=30)

    assert booking_waited
    assert (_subtree(first_city), _subtree(second_city), _subtree(province)) == (0, 1000, 1000)
    assert verify_totals(db.session) == []


def test_two_imports_making_each_unit_the_parent_of_the_other_one_fails(monkeypatch):
    """Both read their sheets before either writes (a barrier); the tree lock makes the second
    check its rows against the tree the first left, and its row names the cycle."""
    province = make_unit("某省财政厅", budget_level="provincial")
    a_code, b_code = credit_code(1), credit_code(2)
    make_unit("单位甲", province, credit_code=a_code)
    make_unit("单位乙", province, credit_code=b_code)
    codes = a_code, b_code
    db.session.commit()
    engine = db.engine
    both_ready = threading.Barrier(2, timeout=10)
    real_lock_tree = units_import.lock_tree

    def lock_tree_together(session: Session) -> None:
        both_ready.wait()
        real_lock_tree(session)

    monkeypatch.setattr(units_import, "lock_tree", lock_tree_together)
    header = ["name", "parent_credit_code", "credit_code", "budget_level"]

    def make_parent(child: tuple[str, str], parent_code: str) -> None:
        rows = [header, [child[0], parent_code, child[1], "county"]]
        with Session(engine) as session, unit_of_work(session):
            import_units(session, *sheet(rows))

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(make_parent, ("单位乙", b_code), a_code),
            pool.submit(make_parent, ("单位甲", a_code), b_code),
        ]
        errors = [future.exception(timeout=30) for future in futures]

    refused = [error for error in errors if error is not None]
    assert len(refused) == 1 and isinstance(refused[0], ImportRejected)
    assert refused[0].report.rows[0].errors == ["上级单位不能是本单位或其下级单位"]
    a, b = (db.session.scalars(select(Unit).where(Unit.credit_code == c)).one() for c in codes)
    parent, child = (a, b) if b.parent_id == a.id else (b, a)
    assert (child.parent_id, parent.parent_id) == (parent.id, province.id)
    assert verify_totals(db.session) == []
