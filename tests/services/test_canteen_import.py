"""Canteen purchases imported from the trading site count once, in the right unit and year."""

import io

import pytest
from sqlalchemy import func, select

from miniapp_api.services.canteen_import import import_canteen_entries
from miniapp_api.services.sheets import ImportRejected
from miniapp_api.services.totals import unit_figures, verify_totals
from miniapp_api.transaction import unit_of_work
from models import Entry, db
from tests.factories import make_unit

HEADER = "预算单位统一信用代码,订单编号,订单金额,完成时间,冲销订单编号\n"
SCHOOL = "91350100M000100Y43"
HOSPITAL = "91110000100000000Q"


@pytest.fixture
def units():
    province = make_unit("某省财政厅", budget_level="provincial")
    school = make_unit("某县第一中学", province, credit_code=SCHOOL)
    hospital = make_unit("某县人民医院", province, credit_code=HOSPITAL)
    return province, school, hospital


def run(text: str, name: str = "canteen.csv"):
    """One import as the CLI and the upload run it: one unit of work."""
    with unit_of_work(db.session):
        return import_canteen_entries(db.session, name, io.BytesIO(text.encode()))


def entries_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Entry))


def test_rows_book_canteen_entries_in_the_china_year_of_completion(units):
    province, school, hospital = units

    report = run(
        HEADER
        + f"{SCHOOL},T001,1200.50,2025-12-31 23:59:59,\n"
        + f"{SCHOOL},T002,300,2026-01-01 00:00:00,\n"
        + f" {HOSPITAL.lower()} ,T003,99.99,2025-12-31T16:00:00Z,\n"
    )

    assert (report.created, report.skipped, report.ok) == (3, 0, True)
    assert unit_figures(db.session, school, 2025).own.canteen == 120050
    assert unit_figures(db.session, school, 2026).own.canteen == 30000
    assert unit_figures(db.session, hospital, 2026).own.canteen == 9999
    assert unit_figures(db.session, province, 2026).subtree.canteen == 39999
    assert verify_totals(db.session) == []


def test_importing_the_same_file_twice_counts_nothing_twice(units):
    school = units[1]
    text = (
        HEADER
        + f"{SCHOOL},T001,100.00,2026-03-01 10:00:00,\n{SCHOOL},T002,5,2026-03-02 10:00:00,\n"
    )
    run(text)

    again = run(text)

    assert (again.created, again.skipped) == (0, 2)
    assert [row.status for row in again.rows] == ["skipped", "skipped"]
    assert unit_figures(db.session, school, 2026).own.canteen == 10500


def test_one_bad_row_rejects_the_whole_file_and_names_every_problem(units):
    with pytest.raises(ImportRejected) as rejected:
        run(
            HEADER
            + f"{SCHOOL},T001,100.00,2026-03-01 10:00:00,\n"
            + "91350100M000100Y44,T002,abc,yesterday,\n"
            + f"{SCHOOL},,0,2026-03-01,\n"
            + f"{SCHOOL},T001,100.00,2026-03-01 10:00:00,\n"
            + f"{SCHOOL},T009,100.00,2099-01-01 10:00:00,\n"
        )

    rows = rejected.value.report.rows
    assert [row.status for row in rows] == ["ok", "error", "error", "error", "error"]
    assert len(rows[1].errors) == 3  # unknown unit, bad amount, bad time
    assert len(rows[2].errors) == 3  # no order number, zero amount, a date without a time
    assert "重复" in rows[3].errors[0]
    assert "晚于" in rows[4].errors[0]
    assert entries_count() == 0


def test_a_refund_counts_negative_in_the_year_of_the_order_it_refunds(units):
    school = units[1]
    run(HEADER + f"{SCHOOL},T001,1000.00,2025-12-20 10:00:00,\n")

    report = run(
        HEADER
        + f"{SCHOOL},R001,-400.00,2026-01-03 10:00:00,T001\n"
        + f"{SCHOOL},T002,50.00,2026-01-04 10:00:00,\n"
        + f"{SCHOOL},R002,-50.00,2026-01-05 10:00:00,T002\n"
    )

    assert report.created == 3
    assert unit_figures(db.session, school, 2025).own.canteen == 60000
    assert unit_figures(db.session, school, 2026).own.canteen == 0
    refund = db.session.scalars(select(Entry).where(Entry.reference == "R001")).one()
    assert (refund.amount, refund.year, refund.reverses_id is not None) == (-40000, 2025, True)
    assert verify_totals(db.session) == []


def test_refunds_of_unknown_orders_other_units_or_more_than_left_are_refused(units):
    run(HEADER + f"{SCHOOL},T001,1000.00,2026-01-20 10:00:00,\n")

    with pytest.raises(ImportRejected) as rejected:
        run(
            HEADER
            + f"{SCHOOL},R001,-1.00,2026-02-03 10:00:00,NOPE\n"
            + f"{HOSPITAL},R002,-1.00,2026-02-03 10:00:00,T001\n"
            + f"{SCHOOL},R003,-600.00,2026-02-03 10:00:00,T001\n"
            + f"{SCHOOL},R004,-600.00,2026-02-03 10:00:00,T001\n"
            + f"{SCHOOL},R005,-1.00,2026-02-03 10:00:00,\n"
            + f"{SCHOOL},T006,1.00,2026-02-03 10:00:00,T001\n"
        )

    statuses = [row.status for row in rejected.value.report.rows]
    assert statuses == ["error", "error", "ok", "error", "error", "error"]
    assert entries_count() == 1


def test_a_file_without_the_required_columns_is_refused(units):
    with pytest.raises(ImportRejected) as rejected:
        run("订单编号,订单金额\nT1,1.00\n")

    assert "credit_code" in rejected.value.report.errors[0]


def test_a_large_file_with_refunds_of_its_own_rows_counts_every_row_once(units):
    school = units[1]
    orders = [
        f"{SCHOOL if n % 2 else HOSPITAL},T{n},10.00,2026-02-01 10:00:00,\n" for n in range(600)
    ]
    refunds = [
        f"{SCHOOL if n % 2 else HOSPITAL},R{n},-4.00,2026-03-01 10:00:00,T{n}\n" for n in range(600)
    ]

    report = run(HEADER + "".join(orders + refunds))

    assert report.created == 1200
    assert unit_figures(db.session, school, 2026).own.canteen == 300 * 600
    assert unit_figures(db.session, units[0], 2026).subtree.canteen == 600 * 600
    assert verify_totals(db.session) == []
