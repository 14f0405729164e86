"""Suppliers' side: a supplier sees and ships its own orders; the platform sees all."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEntry, db
from models.admin import PLATFORM_ADMIN, SUPPLIER, UNIT_ADMIN
from tests.factories import admin_headers, make_admin, make_supplier, make_unit
from tests.order_factories import make_buyer, make_sku, order_row, paid, placed

ADMIN_ORDERS = "/api/v1/admin/orders"
PARCEL = {"carrier": "顺丰", "tracking_no": "SF0001"}


def test_a_supplier_lists_only_its_own_orders(client):
    mine, theirs = make_supplier(), make_supplier()
    headers = admin_headers(make_admin(SUPPLIER, supplier=mine))
    own = placed(client, make_buyer(), make_sku(supplier=mine).id)["order"]["order_no"]
    placed(client, make_buyer(), make_sku(supplier=theirs).id)
    listed = client.get(ADMIN_ORDERS, headers=headers).get_json()["items"]
    assert [o["order_no"] for o in listed] == [own]


def test_the_platform_lists_every_order_by_status(client, fake):
    headers = admin_headers(make_admin(PLATFORM_ADMIN))
    sku = make_sku()
    paid_no = paid(client, fake.state, make_buyer(), sku.id)["order_no"]
    placed(client, make_buyer(), sku.id)
    assert len(client.get(ADMIN_ORDERS, headers=headers).get_json()["items"]) == 2
    listed = client.get(f"{ADMIN_ORDERS}?status=paid", headers=headers).get_json()["items"]
    assert [o["order_no"] for o in listed] == [paid_no]


def test_a_unit_admin_cannot_list_orders(client):
    headers = admin_headers(make_admin(UNIT_ADMIN, unit=make_unit()))
    assert client.get(ADMIN_ORDERS, headers=headers).status_code == 403


def test_another_supplier_cannot_ship(client, fake):
    no = paid(client, fake.state, make_buyer(), make_sku().id)["order_no"]
    stranger = admin_headers(make_admin(SUPPLIER, supplier=make_supplier()))
    answer = client.post(f"{ADMIN_ORDERS}/{no}/ship", json=PARCEL, headers=stranger)
    assert answer.status_code == 404
    assert order_row(no).status == "paid"


def test_shipping_is_recorded_in_the_audit_log(client, fake):
    supplier = make_supplier()
    admin = make_admin(SUPPLIER, supplier=supplier)
    no = paid(client, fake.state, make_buyer(), make_sku(supplier=supplier).id)["order_no"]
    answer = client.post(f"{ADMIN_ORDERS}/{no}/ship", json=PARCEL, headers=admin_headers(admin))
    assert answer.status_code == 200 and answer.get_json()["tracking_no"] == "SF0001"
    (entry,) = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.target_name, entry.admin_id) == ("order.ship", no, admin.id)


def test_an_unpaid_order_cannot_be_shipped(client):
    supplier = make_supplier()
    headers = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    no = placed(client, make_buyer(), make_sku(supplier=supplier).id)["order"]["order_no"]
    answer = client.post(f"{ADMIN_ORDERS}/{no}/ship", json=PARCEL, headers=headers)
    assert answer.status_code == 409
    assert answer.get_json()["error"] == {
        "code": "invalid_state",
        "message": "订单当前状态不允许该操作",
        "details": {"state": "pending_payment"},
    }
