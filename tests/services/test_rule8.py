"""Rule 8's moment: which unit an amount counts to is settled when the unit is named (for a
canteen row, when the order completed), against the moments of merges and revocations."""

import io
from datetime import datetime

import pytest

from miniapp_api.services.canteen_import import import_canteen_entries
from miniapp_api.services.sheets import ImportRejected
from miniapp_api.services.totals import unit_figures, verify_totals
from miniapp_api.services.units import merge_unit, revoke_unit, unit_counting_at
from miniapp_api.transaction import unit_of_work
from models import Unit, db
from models.unit import MERGED, REVOKED
from tests.factories import make_unit

HEADER = "预算单位统一信用代码,订单编号,订单金额,完成时间,冲销订单编号\n"
OLD_SCHOOL, NEW_SCHOOL, LAST_SCHOOL = (
    "91350100M000100Y43",
    "91110000100000000Q",
    "12410100000000001B",
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def merged(unit: Unit, into: Unit, moment: str) -> None:
    unit.status, unit.successor_id, unit.merged_at = MERGED, into.id, at(moment)
    db.session.commit()


def revoked(unit: Unit, moment: str) -> None:
    unit.status, unit.revoked_at = REVOKED, at(moment)
    db.session.commit()


def run(text: str):
    with unit_of_work(db.session):
        return import_canteen_entries(
            db.session, "canteen.csv", io.BytesIO((HEADER + text).encode())
        )


@pytest.fixture
def schools():
    """Two schools under one county bureau: the first is merged into the second on 1 March."""
    county = make_unit("某县教育局")
    old = make_unit("某县第二中学", county, credit_code=OLD_SCHOOL)
    new = make_unit("某县第一中学", county, credit_code=NEW_SCHOOL)
    return county, old, new


# --- the unit an amount counts to at a moment ---------------------------------------------------


def test_an_active_unit_counts_to_itself(schools):
    _, old, _ = schools

    assert unit_counting_at(db.session, old, at("2026-03-01T00:00:00+08:00")) == (old, None)


def test_a_merged_unit_counts_to_itself_before_the_merge_and_to_its_successor_after(schools):
    _, old, new = schools
    merged(old, new, "2026-03-01T00:00:00+08:00")

    before = unit_counting_at(db.session, old, at("2026-02-28T23:59:59+08:00"))
    after, why = unit_counting_at(db.session, old, at("2026-03-01T00:00:00+08:00"))

    assert before == (old, None)
    assert after == new
    assert why == "单位“某县第二中学”已于2026-03-01 00:00合并，计入“某县第一中学”"


def test_merges_are_followed_to_the_end_each_at_its_own_moment(schools):
    county, old, new = schools
    last = make_unit("某县实验中学", county, credit_code=LAST_SCHOOL)
    merged(old, new, "2026-03-01T00:00:00+08:00")
    merged(new, last, "2026-06-01T00:00:00+08:00")

    assert unit_counting_at(db.session, old, at("2026-04-01T00:00:00+08:00"))[0] == new
    assert unit_counting_at(db.session, old, at("2026-07-01T00:00:00+08:00"))[0] == last


def test_a_revoked_unit_counts_to_itself_before_the_revocation_and_to_no_unit_after(schools):
    _, old, _ = schools
    revoked(old, "2026-03-01T00:00:00+08:00")

    assert unit_counting_at(db.session, old, at("2026-02-01T00:00:00+08:00")) == (old, None)
    assert unit_counting_at(db.session, old, at("2026-03-02T00:00:00+08:00")) == (
        None,
        "单位“某县第二中学”已于2026-03-01 00:00撤销",
    )


def test_merging_and_revoking_keep_their_moment(schools):
    county, old, new = schools
    with unit_of_work(db.session):
        merge_unit(db.session, old, new, by=None)
        revoke_unit(db.session, new, by=None)

    assert old.merged_at is not None and old.revoked_at is None
    assert new.revoked_at is not None and new.merged_at is None


# --- canteen rows ---------------------------------------------------------------------------------


def test_a_row_completed_after_the_merge_counts_to_the_successor_and_says_so(schools):
    county, old, new = schools
    merged(old, new, "2026-03-01T00:00:00+08:00")

    report = run(f"{OLD_SCHOOL},T1,100.00,2026-03-02 10:00:00,\n")

    assert (report.rows[0].status, report.rows[0].notes) == (
        "ok",
        ["单位“某县第二中学”已于2026-03-01 00:00合并，计入“某县第一中学”"],
    )
    assert report.as_dict()["rows"][0]["notes"] == report.rows[0].notes
    assert unit_figures(db.session, new, 2026).own.canteen == 10000
    assert unit_figures(db.session, old, 2026).own.canteen == 0
    assert verify_totals(db.session) == []


def test_a_row_completed_before_the_merge_counts_to_the_merged_unit(schools):
    _, old, new = schools
    merged(old, new, "2026-03-01T00:00:00+08:00")

    report = run(f"{OLD_SCHOOL},T1,100.00,2026-02-28 10:00:00,\n")

    assert (report.rows[0].status, report.rows[0].notes) == ("ok", [])
    assert "notes" not in report.as_dict()["rows"][0]
    assert unit_figures(db.session, old, 2026).own.canteen == 10000


def test_a_row_completed_after_the_revocation_is_refused(schools):
    _, old, _ = schools
    revoked(old, "2026-03-01T00:00:00+08:00")

    with pytest.raises(ImportRejected) as rejected:
        run(f"{OLD_SCHOOL},T1,100.00,2026-03-02 10:00:00,\n")

    assert rejected.value.report.rows[0].errors == [
        "单位“某县第二中学”已于2026-03-01 00:00撤销，完成时间晚于撤销时间的订单不能计入"
    ]


def test_a_row_completed_before_the_revocation_counts_to_the_unit(schools):
    _, old, _ = schools
    revoked(old, "2026-03-01T00:00:00+08:00")

    report = run(f"{OLD_SCHOOL},T1,100.00,2026-02-28 10:00:00,\n")

    assert report.rows[0].status == "ok"
    assert unit_figures(db.session, old, 2026).own.canteen == 10000


def test_a_refund_after_the_merge_reverses_the_order_where_it_counted(schools):
    _, old, new = schools
    run(f"{OLD_SCHOOL},T1,100.00,2026-02-28 10:00:00,\n")
    merged(old, new, "2026-03-01T00:00:00+08:00")

    report = run(f"{OLD_SCHOOL},R1,-30.00,2026-03-05 10:00:00,T1\n")

    assert report.rows[0].status == "ok"
    assert unit_figures(db.session, old, 2026).own.canteen == 7000
    assert verify_totals(db.session) == []


# --- re-imported order numbers -------------------------------------------------------------------


def test_re_importing_an_order_whose_completion_time_changed_is_an_error_naming_it(schools):
    _, old, _ = schools
    run(f"{OLD_SCHOOL},T1,100.00,2025-12-31 23:00:00,\n")

    with pytest.raises(ImportRejected) as rejected:
        run(f"{OLD_SCHOOL},T1,100.00,2026-01-01 01:00:00,\n")

    assert rejected.value.report.rows[0].errors == [
        "订单编号 T1 已导入，本行的完成时间（已导入2025-12-31 23:00:00）与已导入的不同"
    ]
    assert unit_figures(db.session, old, 2025).own.canteen == 10000


def test_re_importing_an_order_whose_amount_and_unit_changed_names_both(schools):
    run(f"{OLD_SCHOOL},T1,100.00,2026-02-01 10:00:00,\n")

    with pytest.raises(ImportRejected) as rejected:
        run(f"{NEW_SCHOOL},T1,120.00,2026-02-01 10:00:00,\n")

    assert rejected.value.report.rows[0].errors == [
        "订单编号 T1 已导入，本行的单位、金额（已导入100.00元）与已导入的不同"
    ]


def test_re_importing_the_same_row_after_the_merge_is_still_skipped(schools):
    _, old, new = schools
    run(f"{OLD_SCHOOL},T1,100.00,2026-02-28 10:00:00,\n")
    merged(old, new, "2026-03-01T00:00:00+08:00")

    report = run(f"{OLD_SCHOOL},T1,100.00,2026-02-28 10:00:00,\n")

    assert (report.rows[0].status, report.skipped) == ("skipped", 1)
