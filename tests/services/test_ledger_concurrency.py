"""Concurrent bookings lose nothing, never break rule 4 and do not deadlock.

Tests that hold one transaction open while another runs need PostgreSQL (the `engine` fixture);
those that only race two transactions run on SQLite too, where writers begin IMMEDIATE."""

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from miniapp_api.services import canteen_import, ledger
from miniapp_api.services.canteen_import import import_canteen_entries
from miniapp_api.services.ledger import EntryDuplicate, ReversalRefused, book_entry, book_reversal
from miniapp_api.services.sheets import ImportRejected
from miniapp_api.services.totals import rebuild_totals, unit_figures, verify_totals
from miniapp_api.transaction import unit_of_work
from models import Entry, Unit, db
from tests.factories import make_entry, make_unit


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


# --- rule 4 under concurrency: one original, two refunds at once -------------------------------

ORDER_AT = "2026-03-01T12:00:00+08:00"
CANTEEN_HEADER = "预算单位统一信用代码,订单编号,订单金额,完成时间,冲销订单编号\n"
SCHOOL_CODE = "91350100M000100Y43"


def _in_transaction(engine, work):
    """`work(session)` in its own session and unit of work, as a request or a CLI command."""
    with Session(engine) as session, unit_of_work(session):
        return work(session)


def _outcomes(futures) -> list[str]:
    outcomes = []
    for future in futures:
        try:
            future.result(timeout=30)
            outcomes.append("booked")
        except (ReversalRefused, ImportRejected) as refused:
            outcomes.append(type(refused).__name__)
    return sorted(outcomes)


def test_two_book_reversal_calls_racing_for_what_is_left_book_exactly_one():
    """Both databases: PostgreSQL locks the original; SQLite begins each writer IMMEDIATE."""
    unit = make_unit("某县第一中学")
    original_id = make_entry(unit, 10000, ORDER_AT).id
    engine = db.engine
    db.session.commit()  # the test's own session holds no snapshot while the threads write
    start = threading.Barrier(2, timeout=10)

    def refund(reference: str) -> None:
        start.wait()

        def work(session: Session) -> None:
            book_reversal(
                session,
                session.get(Entry, original_id),
                amount=6000,
                occurred_at=datetime.fromisoformat("2026-04-01T12:00:00+08:00"),
                reference=reference,
            )

        _in_transaction(engine, work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = _outcomes([pool.submit(refund, f"RF{n}") for n in range(2)])

    assert outcomes == ["ReversalRefused", "booked"]
    assert unit_figures(db.session, db.session.get(Unit, unit.id), 2026).own.canteen == 4000
    assert verify_totals(db.session) == []


def test_two_canteen_imports_refunding_one_order_at_once_book_exactly_one(monkeypatch):
    """Both imports have read the order (a barrier holds them there, on PostgreSQL) before either
    books: the ledger locks the order, and the second sees what the first took."""
    school = make_unit("某县第一中学", credit_code=SCHOOL_CODE)
    _in_transaction(
        db.engine,
        lambda session: import_canteen_entries(
            session,
            "a.csv",
            io.BytesIO(f"{CANTEEN_HEADER}{SCHOOL_CODE},T1,100.00,{ORDER_AT},\n".encode()),
        ),
    )
    db.session.commit()  # the test's own session holds no snapshot while the threads write
    both_read = threading.Barrier(2, timeout=10)
    real_booked_orders = canteen_import._booked_orders

    def booked_orders_then_wait(session, rows):
        booked = real_booked_orders(session, rows)
        if db_name == "postgresql":  # SQLite: the second import cannot even begin meanwhile
            both_read.wait()
        return booked

    db_name = db.engine.dialect.name
    monkeypatch.setattr(canteen_import, "_booked_orders", booked_orders_then_wait)
    engine = db.engine
    start = threading.Barrier(2, timeout=10)

    def refund(reference: str) -> None:
        text = f"{CANTEEN_HEADER}{SCHOOL_CODE},{reference},-60.00,2026-04-01 10:00:00,T1\n"
        start.wait()
        _in_transaction(
            engine,
            lambda session: import_canteen_entries(session, "r.csv", io.BytesIO(text.encode())),
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(refund, f"R{n}") for n in range(2)]
        outcomes = _outcomes(futures)

    assert outcomes == ["ImportRejected", "booked"]
    refused = next(f.exception() for f in futures if f.exception() is not None)
    assert refused.report.rows[0].errors == ["冲销金额超过原订单尚未冲销的金额（尚余40.00元）"]
    assert unit_figures(db.session, db.session.get(Unit, school.id), 2026).own.canteen == 4000
    assert verify_totals(db.session) == []


# --- several bookings in one transaction ---------------------------------------------------------


def test_two_transactions_booking_two_units_in_opposite_orders_both_finish(engine, monkeypatch):
    """Each books X then Y, or Y then X, in one transaction, both after the other's first
    booking; even when both would pick the same totals slot, each writes only in a slot it
    holds alone, so neither waits for the other's totals rows."""
    monkeypatch.setattr(ledger.random, "shuffle", lambda slots: None)  # both prefer slot 0
    province = make_unit("某省财政厅", budget_level="provincial")
    first, second = make_unit("学校甲", province).id, make_unit("学校乙", province).id
    db.session.commit()
    halfway = threading.Barrier(2, timeout=10)

    def book_both(order: tuple[int, int], prefix: str) -> None:
        def work(session: Session) -> None:
            for step, unit_id in enumerate(order):
                book_entry(
                    session,
                    unit_id=unit_id,
                    source="canteen",
                    amount=100,
                    occurred_at=datetime.fromisoformat(ORDER_AT),
                    reference=f"{prefix}-{step}",
                )
                if step == 0:
                    halfway.wait()

        _in_transaction(engine, work)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(book_both, (first, second), "A"),
            pool.submit(book_both, (second, first), "B"),
        ]
        for future in futures:
            future.result(timeout=30)

    assert unit_figures(db.session, province, 2026).subtree.canteen == 400
    assert verify_totals(db.session) == []


# --- rebuild keeps bookings out ------------------------------------------------------------------


def test_a_booking_during_a_rebuild_waits_for_it_and_counts_after_it():
    """Both databases: PostgreSQL locks the tables; SQLite has one writer."""
    unit = make_unit("某县第一中学", make_unit("某县教育局"))
    make_entry(unit, 1000, ORDER_AT)
    unit_id, engine = unit.id, db.engine
    db.session.commit()  # the test's own session holds no snapshot while the threads write
    rebuilt, release = threading.Event(), threading.Event()

    def rebuild() -> None:
        def work(session: Session) -> None:
            rebuild_totals(session)
            rebuilt.set()
            release.wait(10)

        _in_transaction(engine, work)

    def book() -> None:
        _in_transaction(
            engine,
            lambda session: book_entry(
                session,
                unit_id=unit_id,
                source="canteen",
                amount=500,
                occurred_at=datetime.fromisoformat(ORDER_AT),
                reference="DURING",
            ),
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        rebuilding = pool.submit(rebuild)
        assert rebuilt.wait(10)
        booking = pool.submit(book)
        time.sleep(0.5)
        waited = not booking.done()
        release.set()
        rebuilding.result(timeout=30)
        booking.result(timeout=30)

    assert waited
    assert unit_figures(db.session, db.session.get(Unit, unit_id), 2026).subtree.canteen == 1500
    assert verify_totals(db.session) == []
