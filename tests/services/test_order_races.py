"""Orders under concurrent requests: real threads, each request in its own app context and
session (PostgreSQL shows the races; SQLite serialises writers and must agree)."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from models import Order, db
from models.catalog import Sku
from tests.order_factories import (
    make_buyer,
    make_sku,
    notification,
    notify,
    order_row,
    pay_through_fake,
    place,
    placed,
)


def _together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_ten_buyers_racing_for_the_last_four_units_get_exactly_four_orders(app, client):
    sku = make_sku(stock=4)
    sku_id = sku.id
    buyers = [make_buyer() for _ in range(10)]
    db.session.rollback()

    def buy(index: int) -> int:
        return place(app.test_client(), buyers[index], sku_id).status_code

    statuses = _together(10, buy)
    assert Counter(statuses) == {201: 4, 409: 6}
    db.session.rollback()
    assert db.session.get(Sku, sku_id).stock == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 4


def test_the_same_notification_ten_times_at_once_is_counted_once(app, client):
    no = placed(client, make_buyer(), make_sku().id)["order"]["order_no"]
    body = notification(no, 12_50, transaction_id="4200000010")
    db.session.rollback()

    answers = _together(10, lambda _: notify(app.test_client(), body))
    assert answers == ["SUCCESS"] * 10
    order = order_row(no)
    assert order.status == "paid" and order.transaction_id == "4200000010"


def test_a_notification_racing_a_cancel_has_one_consistent_outcome(app, client, fake):
    sku = make_sku(stock=3)
    sku_id = sku.id
    buyer = make_buyer()
    no = placed(client, buyer, sku_id)["order"]["order_no"]
    transaction_id = pay_through_fake(fake.state, no)
    body = notification(no, 12_50, transaction_id=transaction_id)
    db.session.rollback()

    def act(index: int):
        other = app.test_client()
        if index == 0:
            return notify(other, body)
        return other.post(f"/api/v1/orders/{no}/cancel", headers=buyer.headers).status_code

    notified, cancelled = _together(2, act)
    assert notified == "SUCCESS" and cancelled == 200
    order = order_row(no)
    stock = db.session.get(Sku, sku_id).stock
    # WeChat holds the payment, so whichever came first, the order ends paid and holds its
    # stock (the cancel asked WeChat first), or is refunded with its stock back; never both
    assert (order.status, stock) in {("paid", 2), ("refunding", 3), ("refunded", 3)}
    assert order.transaction_id == transaction_id
