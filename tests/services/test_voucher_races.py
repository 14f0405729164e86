"""Races with real threads, each with its own session: twenty employees redeeming one code, and
two orders taking one voucher. On PostgreSQL the row lock decides; SQLite serialises writers."""

from __future__ import annotations

import threading
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.errors import DomainError
from miniapp_api.services.voucher_codes import CodeKeys
from miniapp_api.services.voucher_spending import hold_vouchers
from miniapp_api.services.vouchers import redeem_voucher
from miniapp_api.transaction import unit_of_work
from models import Employee, Voucher, db
from models.voucher import VoucherSpend
from tests.factories import batch_codes, make_batch, make_employee, make_unit, redeemed_voucher

NOW = datetime.fromisoformat("2026-06-10T12:00:00+08:00")


def _race(count: int, attempt) -> list[str]:
    """Run `attempt(number, session)` in `count` threads released together; their outcomes."""
    engine, barrier, outcomes = db.engine, threading.Barrier(count), []
    db.session.commit()  # the test's own reads end here: it looks again after the race

    def run(number: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                with unit_of_work(session):
                    attempt(number, session)
                outcomes.append("ok")
            except DomainError as refused:
                outcomes.append(refused.code)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_employees_redeeming_one_code_at_once_exactly_one_gets_it():
    batch = make_batch(make_unit(), quantity=1)
    code = batch_codes(batch)[0]
    employee_ids = [make_employee().id for _ in range(20)]
    keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])

    def redeem(number: int, session: Session) -> None:
        redeem_voucher(session, session.get(Employee, employee_ids[number]), code, keys, now=NOW)

    outcomes = _race(20, redeem)

    assert sorted(outcomes) == ["ok"] + ["voucher_already_redeemed"] * 19
    voucher = db.session.scalars(select(Voucher)).one()
    assert voucher.employee_id in employee_ids


def test_two_orders_racing_for_one_voucher_never_take_it_below_zero():
    employee = make_employee()
    voucher = redeemed_voucher(employee, make_batch(make_unit(), face_value=10_000), 0)
    employee_id, voucher_id = employee.id, voucher.id

    def order(number: int, session: Session) -> None:
        hold_vouchers(
            session,
            employee_id=employee_id,
            voucher_ids=[voucher_id],
            due=8_000,
            order_id=number + 1,
            now=NOW,
        )

    outcomes = _race(2, order)

    # whichever locks the voucher first takes 80.00; the other finds 20.00 left and takes that
    assert outcomes == ["ok", "ok"]
    assert sorted(db.session.scalars(select(VoucherSpend.amount))) == [2_000, 8_000]
    assert db.session.scalar(select(Voucher.balance).where(Voucher.id == voucher_id)) == 0


def test_a_third_order_for_a_voucher_emptied_by_a_race_is_refused():
    employee = make_employee()
    voucher = redeemed_voucher(employee, make_batch(make_unit(), face_value=10_000), 0)
    employee_id, voucher_id = employee.id, voucher.id

    def order(number: int, session: Session) -> None:
        hold_vouchers(
            session,
            employee_id=employee_id,
            voucher_ids=[voucher_id],
            due=10_000,
            order_id=number + 1,
            now=NOW,
        )

    outcomes = _race(3, order)

    assert sorted(outcomes) == ["ok", "voucher_unusable", "voucher_unusable"]
    assert db.session.scalar(select(Voucher.balance).where(Voucher.id == voucher_id)) == 0


def test_two_simultaneous_payments_of_one_batch_count_it_once():
    from miniapp_api.services.voucher_batches import mark_batch_paid
    from models import Admin, Entry
    from tests.factories import make_admin

    batch = make_batch(make_unit(), quantity=50, paid_at=None)
    platform_id, batch_id, amount = make_admin("platform_admin").id, batch.id, batch.amount
    keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])

    def pay(number: int, session: Session) -> None:
        mark_batch_paid(
            session,
            session.get(Admin, platform_id),
            batch_id,
            paid_at=NOW,
            reference=f"BANK-{number}",
            amount=amount,
            keys=keys,
            now=NOW,
        )

    outcomes = _race(2, pay)

    assert sorted(outcomes) == ["invalid_state", "ok"]
    assert len(db.session.scalars(select(Entry)).all()) == 1
    assert len(db.session.scalars(select(Voucher.id)).all()) == 50
