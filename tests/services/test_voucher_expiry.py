"""The expiry job: vouchers past `valid_until` expire with their batch, and nothing is counted
back (rule 3: the batch counted when the union paid)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from miniapp_api.jobs import run_due_jobs
from models import Voucher, VoucherBatch, db
from tests.factories import make_batch, make_employee, make_unit, redeemed_voucher


def _statuses() -> list[str]:
    return list(db.session.scalars(select(Voucher.status).order_by(Voucher.id)))


def test_vouchers_past_their_validity_expire_with_their_batch():
    batch = make_batch(make_unit(), quantity=3, valid_until="2026-07-01T00:00:00+08:00")
    redeemed_voucher(make_employee(), batch, 0)
    db.session.get(Voucher, 2).status = "voided"
    db.session.commit()

    results = run_due_jobs(db.session, datetime.fromisoformat("2026-07-01T00:00:00+08:00"))

    assert results["expire_vouchers"] == 2
    assert _statuses() == ["expired", "voided", "expired"]
    assert db.session.get(VoucherBatch, batch.id).status == "expired"


def test_vouchers_still_valid_are_left_alone_and_a_second_run_changes_nothing():
    make_batch(make_unit(), quantity=2, valid_until="2026-07-01T00:00:00+08:00")
    before = datetime.fromisoformat("2026-06-30T23:59:59+08:00")
    after = datetime.fromisoformat("2026-07-02T00:00:00+08:00")

    assert run_due_jobs(db.session, before)["expire_vouchers"] == 0
    assert run_due_jobs(db.session, after)["expire_vouchers"] == 2
    assert run_due_jobs(db.session, after)["expire_vouchers"] == 0


def test_an_unpaid_batch_is_not_expired():
    batch = make_batch(make_unit(), paid_at=None, valid_until="2026-07-01T00:00:00+08:00")

    run_due_jobs(db.session, datetime.fromisoformat("2026-08-01T00:00:00+08:00"))

    assert db.session.get(VoucherBatch, batch.id).status == "unpaid"
