"""Supplier pages (供应商): the orders to ship and shipping one with carrier and tracking number
(paid → shipped), and deciding an after-sales refund request (approve: refunded through WeChat
Pay; reject with a reason: back to completed), through services.orders as the admin API does;
the platform sees every order. The forms post with htmx and the order's card is replaced in
place; without JavaScript they are plain forms and the page comes back."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.console.blueprint import bp
from miniapp_api.console.forms import field_errors, form_body, form_values
from miniapp_api.console.session import login_required
from miniapp_api.errors import Conflict, InvalidRequest
from miniapp_api.extensions import db
from miniapp_api.schemas.orders import ReasonSchema, ShipSchema
from miniapp_api.services.order_states import InvalidState
from miniapp_api.services.orders import (
    approve_refund_request,
    list_supplier_orders,
    reject_refund_request,
    ship_order,
    supplier_order,
)
from miniapp_api.wechat import wx_pay
from models.admin import PLATFORM_ADMIN, SUPPLIER
from models.base import utcnow
from models.order import ORDER_STATUSES, PAID, REFUND_REQUESTED

ORDERS_PER_PAGE = 20
SHIP_FIELDS = ("carrier", "tracking_no")
REASON_FIELDS = ("reason",)
ORDER_STATUS_NAMES = {
    "pending_payment": "待付款",
    "paid": "待发货",
    "shipped": "已发货",
    "completed": "已完成",
    "refund_requested": "申请退款",
    "cancelled": "已取消",
    "refunding": "退款中",
    "refunded": "已退款",
}


@bp.app_template_filter("order_status")
def order_status(status: str) -> str:
    return ORDER_STATUS_NAMES.get(status, status)


@bp.route("/orders", methods=["GET"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def order_list():
    status = request.args.get("status", PAID) or None
    if status is not None and status not in ORDER_STATUSES:
        raise InvalidRequest(details={"status": ["订单状态不正确"]})
    orders, next_cursor = list_supplier_orders(
        db.session,
        g.admin,
        status=status,
        limit=ORDERS_PER_PAGE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "orders.html",
        orders=orders,
        status=status,
        statuses=ORDER_STATUS_NAMES,
        next_cursor=next_cursor,
        values={},
        errors={},
    )


def _order_card(order, values=None, errors=None, status: int = 200):
    page = render_template(
        "_order_card.html", order=order, values=values or {}, errors=errors or {}
    )
    return page, status


def _card_errors(error: ma.ValidationError | Conflict) -> dict[str, str]:
    """A field's problem beside the field; an order no longer in the state the form was for
    (someone else acted first) above the card, naming the state it is in now."""
    if isinstance(error, InvalidState):
        return {"_form": f"{error.message}（订单当前状态：{order_status(error.details['state'])}）"}
    return field_errors(error)


def _failed(order_no: str, error: ma.ValidationError | Conflict, values: dict | None = None):
    """The card again with what went wrong: 422 for a bad field, 409 for a state."""
    order = supplier_order(db.session, g.admin, order_no)
    status = 422 if isinstance(error, ma.ValidationError) else error.status
    return _order_card(order, values, _card_errors(error), status)


def _decided(order, message: str, status: str):
    """The order's card in place (htmx), or the list again with a message (a plain form)."""
    if request.headers.get("HX-Request"):
        return _order_card(order)
    flash(message)
    return redirect(url_for("console.order_list", status=status))


@bp.route("/orders/<order_no>/ship", methods=["POST"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def order_ship(order_no: str):
    try:
        body = ShipSchema().load(form_body(SHIP_FIELDS))
        order = ship_order(db.session, g.admin, order_no, now=utcnow(), **body)
    except (ma.ValidationError, Conflict) as error:
        return _failed(order_no, error, form_values(SHIP_FIELDS))
    return _decided(order, f"订单 {order.order_no} 已发货", PAID)


@bp.route("/orders/<order_no>/refund/approve", methods=["POST"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def order_refund_approve(order_no: str):
    try:
        order = approve_refund_request(db.session, wx_pay(), g.admin, order_no, now=utcnow())
    except Conflict as error:
        return _failed(order_no, error)
    return _decided(order, f"订单 {order.order_no} 已同意退款", REFUND_REQUESTED)


@bp.route("/orders/<order_no>/refund/reject", methods=["POST"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def order_refund_reject(order_no: str):
    try:
        body = ReasonSchema().load(form_body(REASON_FIELDS))
        order = reject_refund_request(db.session, g.admin, order_no, reason=body["reason"])
    except (ma.ValidationError, Conflict) as error:
        return _failed(order_no, error, form_values(REASON_FIELDS))
    return _decided(order, f"订单 {order.order_no} 已拒绝退款", REFUND_REQUESTED)
