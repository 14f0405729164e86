"""Spending vouchers on an order (the orders side calls these): the employee's own vouchers, in
the order given, never below zero, given back when the order does not go through. Nothing here
counts: the voucher part of an order counted when the union paid (rule 3)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from miniapp_api.errors import DomainError
from miniapp_api.services.voucher_spending import (
    hold_vouchers,
    order_voucher_amount,
    release_vouchers,
)
from miniapp_api.transaction import unit_of_work
from models import Entry, Voucher, db
from models.voucher import VoucherSpend
from tests.factories import make_batch, make_employee, make_unit, redeemed_voucher

NOW = datetime.fromisoformat("2026-06-10T12:00:00+08:00")


@pytest.fixture
def batch():
    return make_batch(make_unit(), face_value=10_000, quantity=4)


def _hold(employee, vouchers, due, order_id=1, now=NOW) -> int:
    with unit_of_work(db.session):
        return hold_vouchers(
            db.session,
            employee_id=employee.id,
            voucher_ids=[voucher.id for voucher in vouchers],
            due=due,
            order_id=order_id,
            now=now,
        )


def _release(order_id=1, now=NOW) -> int:
    with unit_of_work(db.session):
        return release_vouchers(db.session, order_id=order_id, now=now)


def _balance(voucher) -> int:
    return db.session.scalar(select(Voucher.balance).where(Voucher.id == voucher.id))


def test_vouchers_pay_in_the_order_given_up_to_what_is_due(batch):
    employee = make_employee()
    first, second = redeemed_voucher(employee, batch, 0), redeemed_voucher(employee, batch, 1)

    applied = _hold(employee, [second, first], due=15_000)

    assert applied == 15_000
    assert (_balance(second), _balance(first)) == (0, 5_000)
    assert order_voucher_amount(db.session, 1) == 15_000


def test_what_vouchers_do_not_cover_is_left_for_cash(batch):
    employee = make_employee()
    voucher = redeemed_voucher(employee, batch, 0)

    assert _hold(employee, [voucher], due=25_000) == 10_000
    assert _balance(voucher) == 0


def test_holding_and_releasing_vouchers_count_nothing(batch):
    employee = make_employee()
    voucher = redeemed_voucher(employee, batch, 0)

    _hold(employee, [voucher], due=4_000)
    _release()

    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_another_employees_voucher_is_404_naming_it(batch):
    owner, thief = make_employee(), make_employee()
    voucher = redeemed_voucher(owner, batch, 0)

    with pytest.raises(DomainError) as refused:
        _hold(thief, [voucher], due=1_000)

    assert (refused.value.status, refused.value.code) == (404, "voucher_not_found")
    assert refused.value.details == {"voucher_ids": [voucher.id]}
    assert _balance(voucher) == 10_000


def test_an_expired_or_used_up_voucher_is_422_naming_it(batch):
    employee = make_employee()
    spent, fresh = redeemed_voucher(employee, batch, 0), redeemed_voucher(employee, batch, 1)
    _hold(employee, [spent], due=10_000, order_id=1)

    with pytest.raises(DomainError) as used_up:
        _hold(employee, [fresh, spent], due=1_000, order_id=2)
    with pytest.raises(DomainError) as expired:
        _hold(employee, [fresh], due=1_000, order_id=3, now=batch.valid_until)

    assert (used_up.value.status, used_up.value.code) == (422, "voucher_unusable")
    assert used_up.value.details["voucher_ids"] == [spent.id]
    assert expired.value.details["reasons"] == {str(fresh.id): "expired"}
    assert _balance(fresh) == 10_000


def test_releasing_an_order_gives_each_spend_back_once(batch):
    employee = make_employee()
    first, second = redeemed_voucher(employee, batch, 0), redeemed_voucher(employee, batch, 1)
    _hold(employee, [first, second], due=12_000)

    released = _release()
    again = _release()

    assert (released, again) == (12_000, 0)
    assert (_balance(first), _balance(second)) == (10_000, 10_000)
    assert order_voucher_amount(db.session, 1) == 0


def test_a_voucher_released_after_its_validity_keeps_its_balance_but_stays_expired(batch):
    from miniapp_api.services.vouchers import expire_vouchers, wallet_status

    employee = make_employee()
    voucher = redeemed_voucher(employee, batch, 0)
    _hold(employee, [voucher], due=3_000)
    after = batch.valid_until
    with unit_of_work(db.session):
        expire_vouchers(db.session, after)

    _release(now=after)

    stored = db.session.get(Voucher, voucher.id)
    db.session.refresh(stored)
    assert stored.balance == 10_000
    assert stored.status == "expired" and wallet_status(stored, after) == "expired"


def test_every_spend_names_the_voucher_the_order_and_the_amount(batch):
    employee = make_employee()
    voucher = redeemed_voucher(employee, batch, 0)

    _hold(employee, [voucher], due=2_500, order_id=42)

    spend = db.session.scalars(select(VoucherSpend)).one()
    assert (spend.voucher_id, spend.order_id, spend.amount, spend.released_at) == (
        voucher.id,
        42,
        2_500,
        None,
    )
