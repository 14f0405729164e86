"""An order's whole life through HTTP: placed, paid through the fake WeChat's notification,
shipped by its supplier, received, and counted to the unit (rules 1-3, 5)."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from miniapp_api.services import orders as orders_service
from miniapp_api.services.units import bind_employee
from models import Order, db
from models.admin import PLATFORM_ADMIN, SUPPLIER
from models.calendar import current_year
from tests.factories import admin_headers, make_admin, make_supplier, make_unit
from tests.order_factories import (
    ORDERS,
    make_buyer,
    make_sku,
    order_row,
    place,
    placed,
)


@pytest.fixture
def live_notify(app, fake):
    """The service on a port of its own, and the fake WeChat sending notifications to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.state.notify_url = f"http://127.0.0.1:{server.server_port}/api/v1/pay/wechat/notify"
    yield fake
    fake.state.notify_url = ""
    server.shutdown()
    server.server_close()


def _unit_personal(client, unit, admin) -> str:
    totals = client.get(
        f"/api/v1/admin/units/{unit.id}/totals?year={current_year()}",
        headers=admin_headers(admin),
    ).get_json()
    return totals["own"]["personal"]


def test_an_order_counts_to_the_unit_once_received(client, live_notify):
    unit = make_unit()
    supplier = make_supplier()
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    platform = make_admin(PLATFORM_ADMIN)
    buyer = make_buyer(unit)
    sku = make_sku(price=25_00, stock=10, supplier=supplier)
    unit_id = unit.id
    db.session.rollback()  # the test's own reads hold no snapshot while the service writes

    answer = placed(client, buyer, sku.id, quantity=2)
    order, payment = answer["order"], answer["payment"]
    assert order["status"] == "pending_payment"
    assert order["cash_amount"] == "50.00" and order["unit"]["id"] == unit_id
    assert payment["out_trade_no"] == order["order_no"]
    assert payment["package"].startswith("prepay_id=") and payment["signType"] == "MD5"

    sent = live_notify.post(f"__fake__/pay/{order['order_no']}/notify", {"result": "SUCCESS"})
    assert sent["delivered"] and sent["status"] == 200 and "SUCCESS" in sent["body"]
    no = order["order_no"]
    assert client.get(f"{ORDERS}/{no}", headers=buyer.headers).get_json()["status"] == "paid"
    assert re.fullmatch(r"4200\d{24}", order_row(no).transaction_id or "")  # as WeChat's
    assert _unit_personal(client, unit, platform) == "0.00"

    shipped = client.post(
        f"/api/v1/admin/orders/{no}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF1234567890"},
        headers=shipper,
    )
    assert shipped.status_code == 200 and shipped.get_json()["status"] == "shipped"
    done = client.post(f"{ORDERS}/{no}/confirm-receipt", headers=buyer.headers)
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert _unit_personal(client, unit, platform) == "50.00"
    mine = client.get("/api/v1/me/contribution", headers=buyer.headers).get_json()
    assert mine["personal_amount"] == "50.00"


def test_the_stock_shown_is_what_is_left_after_held_orders(client):
    buyer = make_buyer()
    sku = make_sku(stock=5)
    placed(client, buyer, sku.id, quantity=3)
    db.session.expire_all()
    assert sku.stock == 2


def test_a_taken_order_number_is_drawn_again(client, monkeypatch):
    buyer = make_buyer()
    sku = make_sku(price=10_00, stock=5)
    first = placed(client, buyer, sku.id)["order"]["order_no"]
    fresh = first[:-8] + ("00000000" if first[-8:] != "00000000" else "00000001")
    drawn = iter([first, first, fresh])
    monkeypatch.setattr(orders_service, "new_order_no", lambda now: next(drawn))

    second = placed(client, buyer, sku.id, quantity=2)["order"]

    assert second["order_no"] == fresh and second["total_amount"] == "20.00"
    assert [item["quantity"] for item in second["items"]] == [2]
    row = order_row(fresh)
    assert [(item.sku_id, item.quantity) for item in row.items] == [(sku.id, 2)]
    assert order_row(first).total_amount == 10_00  # the first order is untouched
    db.session.expire_all()
    assert sku.stock == 2


def test_no_free_order_number_places_nothing(client, monkeypatch):
    buyer = make_buyer()
    sku = make_sku(stock=5)
    taken = placed(client, buyer, sku.id)["order"]["order_no"]
    monkeypatch.setattr(orders_service, "new_order_no", lambda now: taken)

    assert place(client, buyer, sku.id).status_code == 500  # five draws, all taken

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    db.session.expire_all()
    assert sku.stock == 4


def test_too_little_stock_is_409_naming_the_sku(client):
    sku = make_sku(stock=1)
    response = place(client, make_buyer(), sku.id, quantity=2)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "out_of_stock"
    assert response.get_json()["error"]["details"]["sku_id"] == sku.id


def test_items_of_two_suppliers_are_refused(client):
    buyer = make_buyer()
    first, second = make_sku(), make_sku()
    response = client.post(
        ORDERS,
        json={
            "items": [{"sku_id": first.id, "quantity": 1}, {"sku_id": second.id, "quantity": 1}],
            "address_id": buyer.address_id,
        },
        headers=buyer.headers,
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "mixed_suppliers"


def test_a_cash_part_over_wechats_limit_is_refused(client):
    sku = make_sku(price=15_000_000_00, stock=10)  # 15 million yuan, twice
    response = place(client, make_buyer(), sku.id, quantity=2)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "amount_too_large"


def test_an_unbound_buyer_is_told_the_order_counts_to_no_unit(client):
    answer = placed(client, make_buyer(), make_sku().id)
    assert answer["order"]["unit"] is None
    assert answer["order"]["unit_reason"] == "unbound"
    assert "不计入" in answer["order"]["unit_note"]


def test_an_order_for_a_merged_unit_counts_to_its_successor(client):
    successor = make_unit("承继单位")
    old = make_unit("被合并单位")
    buyer = make_buyer(old)
    old.status, old.successor_id = "merged", successor.id
    db.session.commit()
    order = placed(client, buyer, make_sku().id)["order"]
    assert order["unit"]["id"] == successor.id and order["unit_reason"] == "successor"


def test_an_order_for_a_revoked_unit_counts_to_none(client):
    unit = make_unit()
    buyer = make_buyer(unit)
    unit.status = "revoked"
    db.session.commit()
    order = placed(client, buyer, make_sku().id)["order"]
    assert order["unit"] is None and order["unit_reason"] == "revoked"


def test_rebinding_after_ordering_moves_nothing(client):
    first, second = make_unit(), make_unit()
    buyer = make_buyer(first)
    no = placed(client, buyer, make_sku().id)["order"]["order_no"]
    bind_employee(db.session, buyer.employee, second)
    db.session.commit()
    assert order_row(no).unit_id == first.id
    assert client.get(f"{ORDERS}/{no}", headers=buyer.headers).get_json()["unit"]["id"] == first.id


def test_editing_the_address_book_changes_no_order(client):
    buyer = make_buyer()
    no = placed(client, buyer, make_sku().id)["order"]["order_no"]
    changed = client.put(
        f"/api/v1/me/addresses/{buyer.address_id}",
        json={
            "name": "王五",
            "phone": "13700000000",
            "province": "北京市",
            "city": "北京市",
            "district": "东城区",
            "detail": "长安街1号",
        },
        headers=buyer.headers,
    )
    assert changed.status_code == 200
    address = client.get(f"{ORDERS}/{no}", headers=buyer.headers).get_json()["address"]
    assert address["name"] == "张三" and address["city"] == "广州市"


def test_another_employees_order_is_not_found(client):
    no = placed(client, make_buyer(), make_sku().id)["order"]["order_no"]
    stranger = make_buyer()
    assert client.get(f"{ORDERS}/{no}", headers=stranger.headers).status_code == 404
    assert client.post(f"{ORDERS}/{no}/cancel", headers=stranger.headers).status_code == 404
    assert client.post(f"{ORDERS}/{no}/pay", headers=stranger.headers).status_code == 404


def test_own_orders_are_listed_newest_first_by_status(client):
    buyer = make_buyer()
    sku = make_sku()
    numbers = [placed(client, buyer, sku.id)["order"]["order_no"] for _ in range(3)]
    placed(client, make_buyer(), sku.id)
    page = client.get(f"{ORDERS}?status=pending_payment&limit=2", headers=buyer.headers)
    body = page.get_json()
    assert [o["order_no"] for o in body["items"]] == numbers[::-1][:2]
    rest = client.get(f"{ORDERS}?limit=2&cursor={body['next_cursor']}", headers=buyer.headers)
    assert [o["order_no"] for o in rest.get_json()["items"]] == numbers[:1]


def test_pay_signs_the_stored_prepay_id_again(client, fake):
    buyer = make_buyer()
    answer = placed(client, buyer, make_sku().id)
    calls = fake.state.calls.get("unifiedorder", 0)
    again = client.post(f"{ORDERS}/{answer['order']['order_no']}/pay", headers=buyer.headers)
    assert again.status_code == 200
    assert again.get_json()["package"] == answer["payment"]["package"]
    assert fake.state.calls.get("unifiedorder", 0) == calls


def test_wechat_down_at_checkout_leaves_the_order_payable(client, fake):
    buyer = make_buyer()
    fake.fault("unifiedorder", "busy")
    answer = placed(client, buyer, make_sku().id)
    assert answer["payment"] is None
    assert answer["payment_error"]["code"] == "wechat_unavailable"
    assert answer["order"]["status"] == "pending_payment"
    fake.fault("unifiedorder", None)
    paid = client.post(f"{ORDERS}/{answer['order']['order_no']}/pay", headers=buyer.headers)
    assert paid.status_code == 200 and paid.get_json()["paySign"]


def test_the_same_idempotency_key_replays_the_first_order(client):
    buyer = make_buyer()
    sku = make_sku()
    first = place(client, buyer, sku.id, **{"Idempotency-Key": "order-1"})
    again = place(client, buyer, sku.id, **{"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["order"]["order_no"] == again.get_json()["order"]["order_no"]


def test_the_same_idempotency_key_with_another_body_is_422(client):
    buyer = make_buyer()
    sku = make_sku()
    assert place(client, buyer, sku.id, 1, **{"Idempotency-Key": "order-2"}).status_code == 201
    reused = place(client, buyer, sku.id, 2, **{"Idempotency-Key": "order-2"})
    assert reused.status_code == 422
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"
