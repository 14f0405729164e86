"""The order timers and the refunds job (API.md "Timers"; rules 1, 4, 5)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from miniapp_api.jobs import run_due_jobs
from models import Entry, db
from models.admin import SUPPLIER
from models.base import utcnow
from tests.factories import admin_headers, make_admin, make_supplier, make_unit
from tests.order_factories import (
    make_buyer,
    make_sku,
    notification,
    notify,
    order_row,
    paid,
    pay_through_fake,
    placed,
    shipped,
)

CHINA_NEW_YEAR = datetime.fromisoformat("2027-01-01T00:30:00+08:00")


def _run(now: datetime) -> dict[str, int]:
    results = run_due_jobs(db.session, now)
    db.session.rollback()
    assert -1 not in results.values(), results
    return results


@pytest.fixture
def seller():
    supplier = make_supplier()
    return supplier, admin_headers(make_admin(SUPPLIER, supplier=supplier))


def test_an_unpaid_order_is_not_cancelled_after_29_minutes(client):
    no = placed(client, make_buyer(), make_sku().id)["order"]["order_no"]
    _run(utcnow() + timedelta(minutes=29))
    assert order_row(no).status == "pending_payment"


def test_an_unpaid_order_is_cancelled_after_30_minutes_and_its_stock_released(client, fake):
    sku = make_sku(stock=5)
    sku_id = sku.id
    no = placed(client, make_buyer(), sku_id, quantity=2)["order"]["order_no"]
    _run(utcnow() + timedelta(minutes=30, seconds=1))
    assert order_row(no).status == "cancelled"
    assert fake.state.pay_orders[no]["state"] == "CLOSED"
    assert db.session.get(type(sku), sku_id).stock == 5


def test_a_payment_after_the_timeout_cancelled_the_order_is_refunded_never_counted(
    client, fake, seller
):
    supplier, _ = seller
    buyer = make_buyer(make_unit())
    no = placed(client, buyer, make_sku(supplier=supplier).id)["order"]["order_no"]
    later = utcnow() + timedelta(minutes=31)
    _run(later)
    transaction_id = pay_through_fake(fake.state, no)  # paid just before WeChat closed it
    assert notify(client, notification(no, 12_50, transaction_id=transaction_id)) == "SUCCESS"
    order = order_row(no)
    assert order.status == "refunding" and order.refund_kind == "late_payment"
    _run(later + timedelta(minutes=1))
    assert order_row(no).status == "refunded"
    assert db.session.scalars(select(Entry)).all() == []


def test_a_shipped_order_does_not_complete_after_9_days(client, fake, seller):
    supplier, shipper = seller
    no = shipped(client, fake.state, make_buyer(make_unit()), make_sku(supplier=supplier), shipper)
    _run(utcnow() + timedelta(days=9, hours=23))
    assert order_row(no).status == "shipped"


def test_a_shipped_order_completes_after_10_days_counting_as_of_the_run(client, fake, seller):
    supplier, shipper = seller
    unit = make_unit()
    unit_id = unit.id
    no = shipped(client, fake.state, make_buyer(unit), make_sku(supplier=supplier), shipper)
    now = utcnow() + timedelta(days=10, minutes=1)
    assert _run(now)["complete_shipped_orders"] == 1
    order = order_row(no)
    assert order.status == "completed" and order.completed_at == now
    (entry,) = db.session.scalars(select(Entry)).all()
    assert (entry.unit_id, entry.amount, entry.source, entry.reference) == (
        unit_id,
        12_50,
        "personal",
        no,
    )


def test_completion_at_half_past_midnight_on_new_years_day_counts_in_the_new_year(
    client, fake, seller
):
    supplier, shipper = seller
    no = shipped(client, fake.state, make_buyer(make_unit()), make_sku(supplier=supplier), shipper)
    order = order_row(no)
    order.shipped_at = CHINA_NEW_YEAR - timedelta(days=10)  # 22 December, 00:30 China time
    db.session.commit()
    _run(CHINA_NEW_YEAR)
    (entry,) = db.session.scalars(select(Entry)).all()
    assert entry.year == 2027


def test_cancelling_an_order_wechat_reports_paid_makes_it_paid(client, fake):
    buyer = make_buyer()
    no = placed(client, buyer, make_sku().id)["order"]["order_no"]
    pay_through_fake(fake.state, no)  # paid, but the notification has not arrived
    answer = client.post(f"/api/v1/orders/{no}/cancel", headers=buyer.headers)
    assert answer.status_code == 200 and answer.get_json()["status"] == "paid"


def test_an_unpaid_order_is_cancelled_by_its_buyer(client, fake):
    buyer = make_buyer()
    no = placed(client, buyer, make_sku().id)["order"]["order_no"]
    answer = client.post(f"/api/v1/orders/{no}/cancel", headers=buyer.headers)
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/orders/{no}/pay", headers=buyer.headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["details"]["state"] == "cancelled"


def test_a_refund_failing_at_wechat_stays_refunding_and_the_job_retries_it(client, fake):
    buyer = make_buyer()
    no = paid(client, fake.state, buyer, make_sku().id)["order_no"]
    fake.fault("refund", "fail")
    answer = client.post(f"/api/v1/orders/{no}/cancel", headers=buyer.headers)
    assert answer.get_json()["status"] == "refunding"
    _run(utcnow())
    assert order_row(no).status == "refunding"
    fake.fault("refund", None)
    _run(utcnow())
    assert order_row(no).status == "refunded"


def _completed(client, fake, seller, unit):
    supplier, shipper = seller
    buyer = make_buyer(unit)
    no = shipped(client, fake.state, buyer, make_sku(supplier=supplier), shipper)
    assert (
        client.post(f"/api/v1/orders/{no}/confirm-receipt", headers=buyer.headers).status_code
        == 200
    )
    asked = client.post(
        f"/api/v1/orders/{no}/refund", json={"reason": "坏了"}, headers=buyer.headers
    )
    assert asked.get_json()["status"] == "refund_requested"
    return no


def test_an_approved_refund_is_reversed_once_wechat_confirms(client, fake, seller):
    _, shipper = seller
    unit = make_unit()
    no = _completed(client, fake, seller, unit)
    approved = client.post(f"/api/v1/admin/orders/{no}/refund/approve", headers=shipper)
    assert approved.status_code == 200 and approved.get_json()["status"] == "refunding"
    assert len(db.session.scalars(select(Entry)).all()) == 1
    _run(utcnow())
    assert order_row(no).status == "refunded"
    counted, reversal = db.session.scalars(select(Entry).order_by(Entry.id)).all()
    assert reversal.amount == -counted.amount and reversal.reverses_id == counted.id
    assert (reversal.unit_id, reversal.year) == (counted.unit_id, counted.year)


def test_a_rejected_refund_reverses_nothing(client, fake, seller):
    _, shipper = seller
    no = _completed(client, fake, seller, make_unit())
    rejected = client.post(
        f"/api/v1/admin/orders/{no}/refund/reject", json={"reason": "已超售后期"}, headers=shipper
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "completed"
    assert rejected.get_json()["refund_reject_reason"] == "已超售后期"
    _run(utcnow())
    assert [e.amount for e in db.session.scalars(select(Entry))] == [12_50]
