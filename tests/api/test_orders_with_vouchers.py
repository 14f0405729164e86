"""Orders paid with union vouchers from the real wallet (rule 3): the voucher part was counted
when the union paid for its batch and never counts again; the cash part counts as personal."""

from __future__ import annotations

from models.admin import PLATFORM_ADMIN, SUPPLIER
from models.calendar import current_year
from tests.factories import (
    admin_headers,
    make_admin,
    make_batch,
    make_supplier,
    make_unit,
    redeemed_voucher,
)
from tests.order_factories import (
    ORDERS,
    make_buyer,
    make_sku,
    notification,
    notify,
    pay_through_fake,
)


def place_with(client, buyer, sku, voucher_ids):
    return client.post(
        ORDERS,
        json={
            "items": [{"sku_id": sku.id, "quantity": 1}],
            "address_id": buyer.address_id,
            "voucher_ids": voucher_ids,
        },
        headers=buyer.headers,
    )


def wallet_balance(client, buyer) -> str:
    items = client.get("/api/v1/me/vouchers", headers=buyer.headers).get_json()["items"]
    return items[0]["balance"]


def test_a_voucher_pays_part_and_only_the_cash_part_counts_as_personal(client, fake):
    unit = make_unit("某中学")
    buyer = make_buyer(unit)
    platform = admin_headers(make_admin(PLATFORM_ADMIN))
    batch = make_batch(unit, face_value=100_00, quantity=3, paid_at=None)
    client.post(
        f"/api/v1/admin/voucher-batches/{batch.id}/mark-paid",
        json={"paid_at": "2026-03-01T10:00:00+08:00", "reference": "BANK-1", "amount": "300.00"},
        headers=platform,
    )
    voucher = redeemed_voucher(buyer.employee, batch)
    supplier = make_supplier()
    sku = make_sku(price=250_00, supplier=supplier)
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))

    placed = place_with(client, buyer, sku, [voucher.id])
    order = placed.get_json()["order"]
    transaction_id = pay_through_fake(fake.state, order["order_no"])
    assert (
        notify(client, notification(order["order_no"], 150_00, transaction_id=transaction_id))
        == "SUCCESS"
    )
    client.post(
        f"/api/v1/admin/orders/{order['order_no']}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF1"},
        headers=shipper,
    )
    completed = client.post(
        f"/api/v1/orders/{order['order_no']}/confirm-receipt", headers=buyer.headers
    )
    totals = client.get(
        f"/api/v1/admin/units/{unit.id}/totals?year={current_year()}", headers=platform
    ).get_json()

    assert placed.status_code == 201
    assert (order["voucher_amount"], order["cash_amount"]) == ("100.00", "150.00")
    assert completed.get_json()["status"] == "completed"
    # the union paid 300.00 for its batch in 2026 and that is all the vouchers ever count
    assert totals["own"]["union"] == "300.00"
    assert totals["own"]["personal"] == "150.00"
    assert wallet_balance(client, buyer) == "0.00"


def test_vouchers_covering_the_whole_order_pay_it_at_once(client):
    unit = make_unit("某中学")
    buyer = make_buyer(unit)
    voucher = redeemed_voucher(buyer.employee, make_batch(unit, face_value=100_00))

    placed = place_with(client, buyer, make_sku(price=60_00), [voucher.id]).get_json()

    assert placed["payment"] is None
    assert placed["order"]["status"] == "paid"
    assert (placed["order"]["voucher_amount"], placed["order"]["cash_amount"]) == ("60.00", "0.00")
    assert wallet_balance(client, buyer) == "40.00"


def test_cancelling_an_unpaid_order_gives_the_voucher_part_back(client):
    unit = make_unit("某中学")
    buyer = make_buyer(unit)
    voucher = redeemed_voucher(buyer.employee, make_batch(unit, face_value=100_00))
    order = place_with(client, buyer, make_sku(price=250_00), [voucher.id]).get_json()["order"]

    cancelled = client.post(f"/api/v1/orders/{order['order_no']}/cancel", headers=buyer.headers)

    assert cancelled.get_json()["status"] == "cancelled"
    assert wallet_balance(client, buyer) == "100.00"


def test_another_employees_voucher_cannot_pay_an_order(client):
    unit = make_unit("某中学")
    owner, other = make_buyer(unit), make_buyer(unit)
    voucher = redeemed_voucher(owner.employee, make_batch(unit, face_value=100_00))

    refused = place_with(client, other, make_sku(price=60_00), [voucher.id])

    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "voucher_not_found"


def test_refunding_a_mixed_order_reverses_only_the_cash_and_gives_the_voucher_part_back(
    client, fake
):
    from sqlalchemy import select

    from miniapp_api.jobs import run_due_jobs
    from models import Entry, db
    from models.base import utcnow

    unit = make_unit("某中学")
    buyer = make_buyer(unit)
    voucher = redeemed_voucher(buyer.employee, make_batch(unit, face_value=100_00))
    supplier = make_supplier()
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    order = place_with(client, buyer, make_sku(price=250_00, supplier=supplier), [voucher.id])
    order_no = order.get_json()["order"]["order_no"]
    transaction_id = pay_through_fake(fake.state, order_no)
    notify(client, notification(order_no, 150_00, transaction_id=transaction_id))
    client.post(
        f"/api/v1/admin/orders/{order_no}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF2"},
        headers=shipper,
    )
    client.post(f"/api/v1/orders/{order_no}/confirm-receipt", headers=buyer.headers)
    client.post(f"/api/v1/orders/{order_no}/refund", json={"reason": "坏了"}, headers=buyer.headers)

    client.post(f"/api/v1/admin/orders/{order_no}/refund/approve", headers=shipper)
    run_due_jobs(db.session, utcnow())  # WeChat (the fake) confirms the refund
    db.session.rollback()

    amounts = db.session.scalars(
        select(Entry.amount).where(Entry.source == "personal").order_by(Entry.id)
    ).all()
    final = client.get(f"/api/v1/orders/{order_no}", headers=buyer.headers).get_json()
    assert final["status"] == "refunded"
    assert amounts == [150_00, -150_00]
    assert wallet_balance(client, buyer) == "100.00"
