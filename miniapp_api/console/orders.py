"""Supplier pages (供应商): the orders to ship and shipping one with carrier and tracking number
(paid → shipped), through services.orders as the admin API does; the platform sees every
order. The ship form posts with htmx and the order's card is replaced in place; without
JavaScript it is a plain form and the page comes back."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.console.blueprint import bp
from miniapp_api.console.forms import field_errors, form_body, form_values
from miniapp_api.console.session import login_required
from miniapp_api.errors import Conflict, InvalidRequest
from miniapp_api.extensions import db
from miniapp_api.schemas.orders import ShipSchema
from miniapp_api.services.orders import list_supplier_orders, ship_order, supplier_order
from models.admin import PLATFORM_ADMIN, SUPPLIER
from models.base import utcnow
from models.order import ORDER_STATUSES, PAID

ORDERS_PER_PAGE = 20
SHIP_FIELDS = ("carrier", "tracking_no")
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


@bp.route("/orders/<order_no>/ship", methods=["POST"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def order_ship(order_no: str):
    try:
        body = ShipSchema().load(form_body(SHIP_FIELDS))
        order = ship_order(db.session, g.admin, order_no, now=utcnow(), **body)
    except (ma.ValidationError, Conflict) as error:
        order = supplier_order(db.session, g.admin, order_no)
        return _order_card(order, form_values(SHIP_FIELDS), field_errors(error), 422)
    if request.headers.get("HX-Request"):
        return _order_card(order)
    flash(f"订单 {order.order_no} 已发货")
    return redirect(url_for("console.order_list"))
