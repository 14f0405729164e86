"""WeChat Pay timing out: at checkout (the order stays payable, and the payment timeout still
releases its stock) and at a refund (the order stays refunding; the refunds job asks again and
finishes it once)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from miniapp_api.jobs import run_due_jobs
from miniapp_api.services.totals import verify_totals
from models import db
from models.base import utcnow
from models.catalog import Sku
from tests.factories import make_unit
from tests.order_factories import make_buyer, make_sku, order_row, paid, placed


@pytest.fixture(autouse=True)
def _short_pay_timeout(app: Flask, monkeypatch):
    """The fake's "timeout" fault outwaits any client; half a second is ours here."""
    monkeypatch.setattr(app.extensions["wx_pay"]._pay, "timeout", 0.5)


def _run_jobs(now) -> None:
    results = run_due_jobs(db.session, now)
    db.session.rollback()
    assert -1 not in results.values(), results


def _stock(sku_id: int) -> int:
    db.session.rollback()
    return db.session.get(Sku, sku_id).stock


def test_a_checkout_timing_out_holds_the_stock_no_longer_than_the_payment_timeout(client, fake):
    sku_id = make_sku(stock=5).id
    fake.fault("unifiedorder", "timeout")
    answer = placed(client, make_buyer(), sku_id, 2)
    assert answer["payment"] is None
    assert answer["payment_error"]["code"] == "wechat_unavailable"
    no = answer["order"]["order_no"]
    order = order_row(no)
    assert order.status == "pending_payment" and _stock(sku_id) == 3
    assert order.pay_expires_at - order.placed_at == timedelta(minutes=30)
    fake.fault("unifiedorder", None)

    _run_jobs(utcnow() + timedelta(minutes=30, seconds=1))
    assert order_row(no).status == "cancelled"
    assert _stock(sku_id) == 5


def test_a_refund_timing_out_stays_refunding_and_the_job_finishes_it_once(client, fake):
    sku_id = make_sku(stock=5).id
    buyer = make_buyer(make_unit())
    no = paid(client, fake.state, buyer, sku_id, 1)["order_no"]
    fake.fault("refund", "timeout")
    cancelled = client.post(f"/api/v1/orders/{no}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "refunding"
    _run_jobs(utcnow())  # WeChat still not answering
    assert order_row(no).status == "refunding"

    fake.fault("refund", None)
    _run_jobs(utcnow())
    _run_jobs(utcnow())
    assert order_row(no).status == "refunded"
    assert [r["out_trade_no"] for r in fake.state.refunds.values()].count(no) == 1
    assert _stock(sku_id) == 5
    assert verify_totals(db.session) == []
