"""The orders side of vouchers (rule 3) on its own: the wallet's two functions are stood in
for, so that each case picks exactly how much the vouchers cover (tests/api/
test_orders_with_vouchers.py uses the real wallet)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Entry, db
from models.admin import SUPPLIER
from tests.factories import admin_headers, make_admin, make_supplier, make_unit
from tests.order_factories import (
    ORDERS,
    make_buyer,
    make_sku,
    notification,
    notify,
    order_row,
    pay_through_fake,
)


@pytest.fixture
def wallet(monkeypatch):
    """Vouchers that cover up to `cover` fen of an order; remembers what was released."""

    class Wallet:
        cover = 10**9
        released: list[int] = []

    def hold(session, *, employee_id, voucher_ids, due, order_id, now):
        return min(due, Wallet.cover)

    def release(session, *, order_id, now):
        Wallet.released.append(order_id)
        return 0

    monkeypatch.setattr("miniapp_api.services.orders.hold_vouchers", hold)
    monkeypatch.setattr("miniapp_api.services.order_states.release_vouchers", release)
    return Wallet


def _place(client, buyer, sku_id):
    return client.post(
        ORDERS,
        json={
            "items": [{"sku_id": sku_id, "quantity": 1}],
            "address_id": buyer.address_id,
            "voucher_ids": [7],
        },
        headers=buyer.headers,
    )


def test_an_order_vouchers_cover_is_paid_at_once_without_payment(client, wallet, fake):
    answer = _place(client, make_buyer(), make_sku(price=30_00).id)
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["payment"] is None and body["payment_error"] is None
    assert body["order"]["status"] == "paid"
    assert (body["order"]["voucher_amount"], body["order"]["cash_amount"]) == ("30.00", "0.00")
    assert body["order"]["order_no"] not in fake.state.pay_orders


def test_only_the_cash_part_counts_when_it_completes(client, wallet, fake):
    wallet.cover = 10_00
    supplier = make_supplier()
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    buyer = make_buyer(make_unit())
    body = _place(client, buyer, make_sku(price=30_00, supplier=supplier).id).get_json()
    no = body["order"]["order_no"]
    assert body["order"]["cash_amount"] == "20.00" and body["payment"] is not None
    transaction_id = pay_through_fake(fake.state, no)
    assert notify(client, notification(no, 20_00, transaction_id=transaction_id)) == "SUCCESS"
    client.post(
        f"/api/v1/admin/orders/{no}/ship",
        json={"carrier": "顺丰", "tracking_no": "1"},
        headers=shipper,
    )
    client.post(f"{ORDERS}/{no}/confirm-receipt", headers=buyer.headers)
    assert [e.amount for e in db.session.scalars(select(Entry))] == [20_00]


def test_cancelling_a_voucher_paid_order_releases_its_vouchers_at_once(client, wallet):
    buyer = make_buyer()
    no = _place(client, buyer, make_sku().id).get_json()["order"]["order_no"]
    answer = client.post(f"{ORDERS}/{no}/cancel", headers=buyer.headers)
    assert answer.get_json()["status"] == "refunded"
    assert wallet.released == [order_row(no).id]
