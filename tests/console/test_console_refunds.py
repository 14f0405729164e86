"""Supplier pages: deciding an after-sales refund request from the order's card (through the
same services as the API, audited): approving refunds through WeChat Pay (the fake), rejecting
needs a reason, a state that moved on is named, other suppliers' orders are not found."""

from __future__ import annotations

from sqlalchemy import select

from miniapp_api.extensions import db
from models.admin import PLATFORM_ADMIN, SUPPLIER
from models.audit import AuditEntry
from tests.console.helpers import console_login, page_csrf
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
    order_row,
    paid,
    refund_requested,
)

HTMX = {"HX-Request": "true"}


def _post(client, path: str, data: dict | None = None, **headers):
    token = page_csrf(client, "/console/login")
    return client.post(path, data={**(data or {}), "csrf_token": token}, headers=headers)


def _returned_order(client, fake, supplier) -> str:
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    sku = make_sku(price=30_00, supplier=supplier)
    return refund_requested(client, fake.state, make_buyer(), sku, shipper)


def _supplier_console(client, supplier):
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    console = client.application.test_client()
    console_login(console, "supplier")
    return console


def _actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry.action)))


def test_a_supplier_sees_the_request_with_its_reason_and_both_choices(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    page = console.get("/console/orders?status=refund_requested").get_data(as_text=True)

    assert order_no in page
    assert "收到的苹果坏了" in page
    assert "同意退款" in page and "拒绝退款" in page


def test_approving_refunds_through_wechat_and_the_card_says_so(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    response = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)

    card = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "退款中" in card
    assert "已同意退款：30.00 元已提交微信支付" in card
    assert order_row(order_no).status == "refunding"
    assert fake.state.refunds[f"{order_no}R"]["refund_fee"] == 3000
    assert "order.refund_approve" in _actions()


def test_a_refund_wechat_does_not_accept_stays_refunding_and_the_card_says_it_is_retried(
    client, fake
):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)
    fake.fault("refund", "fail")

    response = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)

    assert response.status_code == 200
    assert "微信支付暂未受理退款，系统将自动重试" in response.get_data(as_text=True)
    order = order_row(order_no)
    assert (order.status, order.refund_submitted_at) == ("refunding", None)


def test_an_order_paid_with_vouchers_only_is_refunded_at_once_and_its_vouchers_go_back(
    client, fake
):
    supplier = make_supplier()
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    unit = make_unit("某中学")
    buyer = make_buyer(unit)
    voucher = redeemed_voucher(buyer.employee, make_batch(unit, face_value=50_00))
    sku = make_sku(price=30_00, supplier=supplier)
    placed = client.post(
        ORDERS,
        json={
            "items": [{"sku_id": sku.id, "quantity": 1}],
            "address_id": buyer.address_id,
            "voucher_ids": [voucher.id],
        },
        headers=buyer.headers,
    ).get_json()["order"]
    order_no = placed["order_no"]
    assert placed["status"] == "paid"
    client.post(
        f"/api/v1/admin/orders/{order_no}/ship",
        json={"carrier": "顺丰", "tracking_no": "SF3"},
        headers=shipper,
    )
    client.post(f"{ORDERS}/{order_no}/confirm-receipt", headers=buyer.headers)
    client.post(f"{ORDERS}/{order_no}/refund", json={"reason": "坏了"}, headers=buyer.headers)
    console = _supplier_console(client, supplier)

    response = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)

    card = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已退款" in card and "提货券 30.00 元已退回买家" in card
    assert "已退回微信" not in card
    assert order_row(order_no).status == "refunded"
    assert f"{order_no}R" not in fake.state.refunds


def test_rejecting_with_a_reason_takes_the_order_back_to_completed(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    response = _post(
        console, f"/console/orders/{order_no}/refund/reject", {"reason": "已超过售后期"}, **HTMX
    )

    card = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已完成" in card and "已拒绝退款：已超过售后期" in card
    order = order_row(order_no)
    assert (order.status, order.refund_reject_reason) == ("completed", "已超过售后期")
    assert "order.refund_reject" in _actions()
    assert f"{order_no}R" not in fake.state.refunds


def test_rejecting_without_a_reason_is_named_beside_the_field(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    response = _post(console, f"/console/orders/{order_no}/refund/reject", {"reason": " "}, **HTMX)

    assert response.status_code == 422
    assert 'data-error-for="reason">缺少必填字段</p>' in response.get_data(as_text=True)
    assert order_row(order_no).status == "refund_requested"
    assert "order.refund_reject" not in _actions()


def test_a_reason_longer_than_200_characters_is_refused(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    response = _post(
        console, f"/console/orders/{order_no}/refund/reject", {"reason": "太" * 201}, **HTMX
    )

    assert response.status_code == 422
    assert 'data-error-for="reason">长度须在 1 到 200 之间</p>' in response.get_data(as_text=True)
    assert order_row(order_no).status == "refund_requested"


def test_deciding_an_order_without_a_request_names_its_state_and_changes_nothing(client, fake):
    supplier = make_supplier()
    order_no = paid(client, fake.state, make_buyer(), make_sku(supplier=supplier).id)["order_no"]
    console = _supplier_console(client, supplier)

    approved = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)
    rejected = _post(
        console, f"/console/orders/{order_no}/refund/reject", {"reason": "不同意"}, **HTMX
    )

    for response in (approved, rejected):
        assert response.status_code == 409
        assert "订单当前状态不允许该操作（订单当前状态：待发货）" in response.get_data(as_text=True)
    assert order_row(order_no).status == "paid"
    assert f"{order_no}R" not in fake.state.refunds
    assert not {"order.refund_approve", "order.refund_reject"} & set(_actions())


def test_a_second_approval_is_refused_once_the_first_went_through(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    first = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)
    second = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)

    assert first.status_code == 200
    assert second.status_code == 409
    assert "订单当前状态：退款中" in second.get_data(as_text=True)
    assert _actions().count("order.refund_approve") == 1


def test_without_javascript_the_decision_comes_back_to_the_list_with_a_message(client, fake):
    supplier = make_supplier()
    order_no = _returned_order(client, fake, supplier)
    console = _supplier_console(client, supplier)

    response = _post(console, f"/console/orders/{order_no}/refund/reject", {"reason": "已超期"})

    assert response.status_code == 302
    assert "status=refund_requested" in response.headers["Location"]
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    assert f"订单 {order_no} 已拒绝退款" in page


def test_the_platform_decides_any_suppliers_refund(client, fake):
    order_no = _returned_order(client, fake, make_supplier("某某农产品公司"))
    make_admin(PLATFORM_ADMIN, username="root")
    console = client.application.test_client()
    console_login(console, "root")

    response = _post(console, f"/console/orders/{order_no}/refund/approve", **HTMX)

    assert response.status_code == 200
    assert order_row(order_no).status == "refunding"


def test_another_suppliers_refund_request_is_not_found(client, fake):
    theirs = _returned_order(client, fake, make_supplier("别家"))
    console = _supplier_console(client, make_supplier("我家"))

    listed = console.get("/console/orders?status=refund_requested").get_data(as_text=True)
    approved = _post(console, f"/console/orders/{theirs}/refund/approve")
    rejected = _post(console, f"/console/orders/{theirs}/refund/reject", {"reason": "不同意"})

    assert theirs not in listed
    assert (approved.status_code, rejected.status_code) == (404, 404)
    assert order_row(theirs).status == "refund_requested"
    assert f"{theirs}R" not in fake.state.refunds
