"""Concurrent bookings lose nothing and do not deadlock (PostgreSQL only: SQLite has one writer)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from miniapp_api.services.ledger import EntryDuplicate, book_entry
from miniapp_api.services.totals import unit_figures, verify_totals
from models import Unit, db
from tests.factories import make_unit


@pytest.fixture
def engine():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL: SQLite serialises every writer")
    engine = create_engine(
        db.engine.url.render_as_string(hide_password=False), pool_size=20, max_overflow=0
    )
    yield engine
    engine.dispose()


def _book_many(engine, unit_id: int, count: int, prefix: str, amount: int = 1) -> None:
    with Session(engine) as session:
        for number in range(count):
            book_entry(
                session,
                unit_id=unit_id,
                source="personal",
                amount=amount,
                occurred_at=datetime.fromisoformat("2026-03-01T12:00:00+08:00"),
                reference=f"{prefix}-{number}",
            )
            session.commit()


def test_two_threads_booking_500_entries_each_to_one_unit_lose_nothing(engine):
    unit = make_unit("某县第一中学")

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_book_many, engine, unit.id, 500, f"T{n}", 3) for n in range(2)]
        for future in futures:
            future.result()

    figures = unit_figures(db.session, db.session.get(Unit, unit.id), 2026)
    assert figures.own.personal == 2 * 500 * 3
    assert verify_totals(db.session) == []


def test_sixteen_threads_booking_into_leaves_of_one_tree_lose_nothing(engine):
    root = make_unit("某省财政厅", budget_level="provincial")
    cities = [make_unit(f"市{n}", root, budget_level="municipal") for n in range(4)]
    leaves = [make_unit(f"学校{n}", cities[n % 4]) for n in range(16)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [
            pool.submit(_book_many, engine, leaf.id, 60, f"L{leaf.id}", 100) for leaf in leaves
        ]
        for future in futures:
            future.result()

    assert unit_figures(db.session, root, 2026).subtree.personal == 16 * 60 * 100
    for city in cities:
        assert unit_figures(db.session, city, 2026).subtree.personal == 4 * 60 * 100
    assert verify_totals(db.session) == []


def test_the_same_reference_booked_from_two_threads_at_once_counts_once(engine):
    unit_id = make_unit("某县第一中学").id

    def book_all() -> int:
        refused = 0
        with Session(engine) as session:
            for number in range(200):
                try:
                    book_entry(
                        session,
                        unit_id=unit_id,
                        source="personal",
                        amount=1,
                        occurred_at=datetime.fromisoformat("2026-03-01T12:00:00+08:00"),
                        reference=f"SAME-{number}",
                    )
                    session.commit()
                except EntryDuplicate:  # the other thread booked it first
                    session.rollback()
                    refused += 1
        return refused

    with ThreadPoolExecutor(max_workers=2) as pool:
        refused = sum(f.result() for f in [pool.submit(book_all) for _ in range(2)])

    assert refused == 200
    assert unit_figures(db.session, db.session.get(Unit, unit_id), 2026).own.personal == 200
    assert verify_totals(db.session) == []
