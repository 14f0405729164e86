"""Arranging orders in tests: a buyer with an address, a product, a placed order, and WeChat
Pay notifications signed the way WeChat signs them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from miniapp_api.services.units import bind_employee
from models import Address, Employee, Order, Supplier, Unit, db
from models.calendar import CHINA
from models.catalog import Sku
from tests.conftest import TEST_APPID, TEST_MCH_ID, TEST_PAY_KEY
from tests.factories import employee_headers, make_employee, make_product, make_supplier

ORDERS = "/api/v1/orders"
NOTIFY = "/api/v1/pay/wechat/notify"


@dataclass
class Buyer:
    employee: Employee
    headers: dict[str, str]
    address_id: int


def make_buyer(unit: Unit | None = None, openid: str | None = None) -> Buyer:
    employee = make_employee(openid)
    if unit is not None:
        bind_employee(db.session, employee, unit)
    address = Address(
        employee_id=employee.id,
        name="张三",
        phone="13800138000",
        province="广东省",
        city="广州市",
        district="天河区",
        detail="天河路1号",
    )
    db.session.add(address)
    db.session.commit()
    return Buyer(employee, employee_headers(employee), address.id)


def make_sku(price: int = 12_50, stock: int = 100, supplier: Supplier | None = None) -> Sku:
    product = make_product(prices=(price,), supplier=supplier or make_supplier())
    sku = product.skus[0]
    sku.stock = stock
    db.session.commit()
    return sku


def place(client, buyer: Buyer, sku_id: int, quantity: int = 1, **headers):
    return client.post(
        ORDERS,
        json={"items": [{"sku_id": sku_id, "quantity": quantity}], "address_id": buyer.address_id},
        headers=buyer.headers | headers,
    )


def placed(client, buyer: Buyer, sku_id: int, quantity: int = 1) -> dict:
    response = place(client, buyer, sku_id, quantity)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def order_row(order_no: str) -> Order:
    db.session.rollback()  # a fresh read: no snapshot left over from the test's earlier reads
    return db.session.scalars(select(Order).where(Order.order_no == order_no)).one()


def notification(
    order_no: str,
    total_fee: int,
    *,
    transaction_id: str | None = None,
    result: str = "SUCCESS",
    key: str = TEST_PAY_KEY,
    mch_id: str = TEST_MCH_ID,
    appid: str = TEST_APPID,
    time_end: str | None = None,
) -> bytes:
    """A WeChat Pay v2 payment notification, signed MD5 with `key`; `time_end` is WeChat's
    yyyyMMddHHmmss in China time (now, unless given)."""
    data = {
        "appid": appid,
        "mch_id": mch_id,
        "nonce_str": secrets.token_hex(16),
        "return_code": "SUCCESS",
        "result_code": result,
        "openid": "openid-buyer",
        "out_trade_no": order_no,
        "total_fee": str(total_fee),
        "cash_fee": str(total_fee),
        "fee_type": "CNY",
        "trade_type": "JSAPI",
        "bank_type": "OTHERS",
        "transaction_id": transaction_id or "4200" + secrets.token_hex(12),
        "time_end": time_end or datetime.now(CHINA).strftime("%Y%m%d%H%M%S"),
    }
    return dict_to_xml(data, calculate_signature(data, key)).encode()


def notify(client, body: bytes) -> str:
    response = client.post(NOTIFY, data=body, content_type="application/xml")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    return "SUCCESS" if "SUCCESS" in text else "FAIL"


def pay_through_fake(fake_state, order_no: str) -> str:
    """Mark the fake's prepaid order paid (as if the buyer paid in WeChat); its transaction id."""
    order = fake_state.pay_orders[order_no]
    if not order["transaction_id"]:
        order["transaction_id"] = "4200" + secrets.token_hex(12)
        order["time_end"] = datetime.now(CHINA).strftime("%Y%m%d%H%M%S")
        order["state"] = "SUCCESS"
    return order["transaction_id"]


def ago(**delta) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def paid(client, fake_state, buyer: Buyer, sku_id: int, quantity: int = 1) -> dict:
    """An order placed and paid: WeChat (the fake) has the payment and notified it."""
    order = placed(client, buyer, sku_id, quantity)["order"]
    transaction_id = pay_through_fake(fake_state, order["order_no"])
    cash = int(order["cash_amount"].replace(".", ""))
    body = notification(order["order_no"], cash, transaction_id=transaction_id)
    assert notify(client, body) == "SUCCESS"
    return order


def shipped(client, fake_state, buyer: Buyer, sku: Sku, shipper_headers: dict) -> str:
    order_no = paid(client, fake_state, buyer, sku.id)["order_no"]
    response = client.post(
        f"/api/v1/admin/orders/{order_no}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF0001"},
        headers=shipper_headers,
    )
    assert response.status_code == 200, response.get_json()
    return order_no


def refund_requested(client, fake_state, buyer: Buyer, sku: Sku, shipper_headers: dict) -> str:
    """An order shipped, received and then returned by its buyer: `refund_requested`."""
    order_no = shipped(client, fake_state, buyer, sku, shipper_headers)
    received = client.post(f"{ORDERS}/{order_no}/confirm-receipt", headers=buyer.headers)
    assert received.status_code == 200, received.get_json()
    asked = client.post(
        f"{ORDERS}/{order_no}/refund", json={"reason": "收到的苹果坏了"}, headers=buyer.headers
    )
    assert asked.get_json()["status"] == "refund_requested", asked.get_json()
    return order_no
