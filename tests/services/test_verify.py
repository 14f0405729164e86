"""`totals verify` checks the entries and the tree, not only the totals (rules 4, 5, 7): each
kind of bad row, written straight into the tables, is named in a line of its own."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from miniapp_api.services.ledger import book_entry, book_reversal
from miniapp_api.services.totals import verify_totals
from miniapp_api.transaction import unit_of_work
from models import Entry, Unit, db
from models.base import utcnow
from tests.factories import make_entry, make_unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def school():
    return make_unit("某县第一中学", make_unit("某县教育局"))


def write_entry(unit: Unit, amount: int, *, year: int = 2026, **fields) -> int:
    """An entry written past the ledger service, as a bad script or a bad migration would."""
    values = {
        "unit_id": unit.id,
        "year": year,
        "source": "canteen",
        "amount": amount,
        "reference": f"RAW{amount}{year}{len(fields)}{fields.get('reverses_id', '')}",
        "occurred_at": at(f"{year}-06-01T10:00:00+08:00"),
        "created_at": utcnow(),
    } | fields
    entry_id = db.session.execute(insert(Entry).values(values).returning(Entry.id)).scalar_one()
    db.session.commit()
    return entry_id


def findings() -> list[str]:
    db.session.commit()
    return [str(finding) for finding in verify_totals(db.session)]


def test_a_clean_ledger_with_refunds_across_the_new_year_has_nothing_to_report(school):
    original = make_entry(school, 10000, "2025-12-31T23:59:00+08:00")
    book_reversal(
        db.session,
        original,
        amount=4000,
        occurred_at=at("2026-01-02T10:00:00+08:00"),
        reference="R1",
    )
    db.session.commit()

    assert findings() == []


def test_a_purchase_in_the_last_microsecond_of_the_year_is_not_reported_in_the_next(school):
    make_entry(school, 10000, "2026-12-31T23:59:59.999999+08:00")

    assert findings() == []


def test_an_over_reversed_original_is_named(school):
    original = make_entry(school, 10000)
    write_entry(school, -15000, reverses_id=original.id)

    assert f"entry {original.id}: reversed by 15000, more than its 10000" in findings()


def test_a_reversal_in_another_unit_year_or_source_is_named(school):
    other = make_unit("某县人民医院")
    original = make_entry(school, 10000)
    in_other_unit = write_entry(other, -100, reverses_id=original.id)
    in_other_year = write_entry(school, -200, year=2025, reverses_id=original.id)
    in_other_source = write_entry(school, -300, source="union", reverses_id=original.id)

    found = findings()

    assert (
        f"entry {in_other_unit}: reversal with unit_id {other.id}, "
        f"its original {original.id} has {school.id}"
    ) in found
    assert (
        f"entry {in_other_year}: reversal with year 2025, its original {original.id} has 2026"
        in found
    )
    assert (
        f"entry {in_other_source}: reversal with source union, "
        f"its original {original.id} has canteen"
    ) in found


def test_a_reversal_of_a_reversal_is_named(school):
    original = make_entry(school, 10000)
    reversal = book_reversal(
        db.session,
        original,
        amount=100,
        occurred_at=at("2026-07-01T00:00:00+08:00"),
        reference="R1",
    )
    db.session.commit()
    second = write_entry(school, -50, reverses_id=reversal.id)

    assert f"entry {second}: reverses entry {reversal.id}, itself a reversal" in findings()


def test_a_negative_entry_that_reverses_nothing_is_named(school):
    lone = write_entry(school, -700)

    assert f"entry {lone}: not positive, and reverses nothing" in findings()


def test_an_entry_whose_year_is_not_the_china_year_of_its_moment_is_named(school):
    # 2025-12-31 16:30 UTC is 2026-01-01 00:30 in China: it counts in 2026, not 2025
    wrong = write_entry(school, 100, year=2025, occurred_at=at("2025-12-31T16:30:00Z"))
    right = write_entry(school, 200, year=2026, occurred_at=at("2025-12-31T16:30:00Z"))

    found = findings()

    assert f"entry {wrong}: year 2025, but its moment is in 2026 (China)" in found
    assert not [line for line in found if line.startswith(f"entry {right}:")]


def test_a_unit_whose_path_or_depth_disagrees_with_its_parent_is_named(school):
    db.session.execute(update(Unit).where(Unit.id == school.id).values(path="99/", depth=3))
    db.session.commit()
    parent = db.session.get(Unit, school.parent_id)

    found = findings()

    assert (
        f"unit {school.id}: path '99/', but its parent's path makes it '{parent.path}{school.id}/'"
        in found
    )
    assert f"unit {school.id}: depth 3, parent's 0" in found


def test_verify_under_live_bookings_reports_no_false_differences(school):
    """One snapshot (REPEATABLE READ on PostgreSQL): entries and totals committed meanwhile
    are either both seen or both not."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing commits while verify reads")
    engine, unit_id = db.engine, school.id
    db.session.commit()
    stop = threading.Event()

    def keep_booking(prefix: str) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            with Session(engine) as session, unit_of_work(session):
                book_entry(
                    session,
                    unit_id=unit_id,
                    source="canteen",
                    amount=1,
                    occurred_at=at("2026-03-01T12:00:00+08:00"),
                    reference=f"{prefix}{number}",
                )

    reports = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        bookers = [pool.submit(keep_booking, f"LIVE{n}-") for n in range(2)]
        try:
            for _ in range(30):
                with Session(engine) as session, unit_of_work(session, writes=False):
                    reports.append([str(f) for f in verify_totals(session)])
        finally:
            stop.set()
        for booker in bookers:
            booker.result(timeout=30)

    assert [report for report in reports if report] == []
