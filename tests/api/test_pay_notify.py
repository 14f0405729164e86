"""WeChat Pay's notification: counted once when verified and matching, otherwise nothing."""

from __future__ import annotations

import logging
from datetime import UTC

from sqlalchemy import func, select

from models import Entry, db
from models.calendar import CHINA
from tests.conftest import TEST_PAY_KEY
from tests.order_factories import (
    make_buyer,
    make_sku,
    notification,
    notify,
    order_row,
    placed,
)
from wx_client.pay import parse_xml


def _placed_order(client, price: int = 12_50) -> str:
    return placed(client, make_buyer(), make_sku(price=price).id)["order"]["order_no"]


def test_a_verified_notification_marks_the_order_paid(client):
    no = _placed_order(client)
    assert notify(client, notification(no, 12_50, transaction_id="4200000001")) == "SUCCESS"
    order = order_row(no)
    assert order.status == "paid" and order.transaction_id == "4200000001"


def test_the_paid_time_is_wechats_time_end_in_china_time(client):
    """WeChat writes time_end as China time without a zone: 2026-11-23 12:00:05 there is
    04:00:05 UTC, and the order answer says +08:00."""
    buyer = make_buyer()
    no = placed(client, buyer, make_sku(price=12_50).id)["order"]["order_no"]
    body = notification(no, 12_50, time_end="20261123120005")
    assert notify(client, body) == "SUCCESS"
    answer = client.get(f"/api/v1/orders/{no}", headers=buyer.headers).get_json()
    assert answer["paid_at"] == "2026-11-23T12:00:05+08:00"
    assert order_row(no).paid_at.astimezone(UTC).hour == 4


def test_the_same_notification_ten_times_is_counted_once(client):
    no = _placed_order(client)
    body = notification(no, 12_50, transaction_id="4200000002")
    assert [notify(client, body) for _ in range(10)] == ["SUCCESS"] * 10
    order = order_row(no)
    assert order.status == "paid" and order.transaction_id == "4200000002"


def test_a_second_transaction_for_a_paid_order_changes_nothing(client):
    no = _placed_order(client)
    first = order_row(no)
    assert notify(client, notification(no, 12_50, transaction_id="4200000010")) == "SUCCESS"
    paid_at = order_row(no).paid_at
    assert notify(client, notification(no, 12_50, transaction_id="4200000011")) == "SUCCESS"
    order = order_row(no)
    assert order.status == "paid" and order.transaction_id == "4200000010"
    assert order.paid_at == paid_at and first.id == order.id


def test_a_verified_notification_keeps_wechats_payment_time(client):
    no = _placed_order(client)
    body = notification(no, 12_50, transaction_id="4200000012")
    assert notify(client, body) == "SUCCESS"
    sent = parse_xml(body)["time_end"]  # type: ignore[index]
    assert order_row(no).paid_at.astimezone(CHINA).strftime("%Y%m%d%H%M%S") == sent


def test_a_wrong_amount_changes_nothing(client):
    no = _placed_order(client)
    assert notify(client, notification(no, 12_49)) == "FAIL"
    assert order_row(no).status == "pending_payment"


def test_a_bad_signature_changes_nothing(client):
    no = _placed_order(client)
    assert notify(client, notification(no, 12_50, key="not-the-pay-key")) == "FAIL"
    assert order_row(no).status == "pending_payment"


def test_another_merchants_notification_changes_nothing(client):
    no = _placed_order(client)
    assert notify(client, notification(no, 12_50, mch_id="1900000999")) == "FAIL"
    assert order_row(no).status == "pending_payment"


def test_another_apps_notification_changes_nothing(client):
    no = _placed_order(client)
    assert notify(client, notification(no, 12_50, appid="wx-someone-else")) == "FAIL"
    assert order_row(no).status == "pending_payment"


def test_an_unknown_order_number_is_answered_fail(client):
    assert notify(client, notification("XD2026010100000000", 12_50)) == "FAIL"


def test_garbage_is_answered_fail(client):
    assert notify(client, b"<xml><not-closed>") == "FAIL"
    assert notify(client, b"") == "FAIL"


def test_a_failed_payment_is_acknowledged_and_changes_nothing(client):
    no = _placed_order(client)
    assert notify(client, notification(no, 12_50, result="FAIL")) == "SUCCESS"
    assert order_row(no).status == "pending_payment"


def test_a_paid_order_counts_nothing_before_it_completes(client):
    no = _placed_order(client)
    notify(client, notification(no, 12_50))
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_the_pay_key_never_reaches_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("wechatpy", "wechatpy.pay", "wechatpy.pay.utils", "wechatpy.pay.api.jsapi"):
        caplog.set_level(logging.DEBUG, logger=name)  # as a logging set-up might leave them
    no = _placed_order(client)
    notify(client, notification(no, 12_50))
    client.post(
        f"/api/v1/orders/{no}/pay", headers=make_buyer().headers
    )  # another buyer: 404, still logs nothing secret
    from miniapp_api.wechat import wx_pay

    wx_pay().query_payment(no)
    assert TEST_PAY_KEY not in caplog.text
    assert "key=" not in caplog.text
