"""The employee's orders: place, pay, cancel, confirm receipt, ask for an after-sales refund."""

from datetime import timedelta

from flask import current_app, g, request
from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db
from miniapp_api.idempotency import idempotent
from miniapp_api.schemas.orders import (
    OrderListArgs,
    OrderPageSchema,
    OrderPlacedSchema,
    OrderSchema,
    PaymentSchema,
    PlaceOrderSchema,
    ReasonSchema,
)
from miniapp_api.services import order_states, payments
from miniapp_api.services.orders import (
    LineRequest,
    detach_placed,
    list_own_orders,
    own_order,
    place_order,
)
from miniapp_api.wechat import wx_pay
from models.base import utcnow
from models.order import PENDING_PAYMENT
from wx_client import WxError

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders", description="Orders")


def _client_ip() -> str:
    return request.remote_addr or "127.0.0.1"


@blp.route("", methods=["POST"])
@employee_required
@idempotent
@blp.arguments(PlaceOrderSchema)
@blp.response(201, OrderPlacedSchema)
@blp.alt_response(409, description="out_of_stock (details name the SKU)")
@blp.alt_response(422, description="mixed_suppliers, sku_unavailable, amount_too_large")
def create_order(body: dict):
    """Place an order of one supplier's SKUs: prices and the unit it counts to are copied onto
    it, its stock is held, vouchers are applied. When cash is due, `payment` carries the
    `wx.requestPayment` parameters. The order is committed before WeChat Pay is called: if
    WeChat cannot be reached the answer is still 201, with `payment: null` and
    `payment_error`, and `POST /orders/{order_no}/pay` hands the parameters out later.

    422 rules the document cannot state: `mixed_suppliers` (SKUs of two suppliers),
    `invalid_request` (the same SKU on two lines, the same voucher twice, a cash part above
    21,474,836.47), `voucher_unusable`, `idempotency_key_reused`."""
    now = utcnow()
    order = place_order(
        db.session,
        employee_id=g.employee.id,
        lines=[LineRequest(line["sku_id"], line["quantity"]) for line in body["items"]],
        address_id=body["address_id"],
        voucher_ids=body["voucher_ids"],
        now=now,
        payment_timeout=timedelta(minutes=int(current_app.config["PAYMENT_TIMEOUT_MINUTES"])),
    )
    payment, payment_error = None, None
    if order.status == PENDING_PAYMENT:
        wanted = payments.payment_request(db.session, order)
        # The answer shows the order as placed: detached, it stays as it is when the session
        # commits before WeChat is called, and needs no second read afterwards.
        detach_placed(db.session, order)
        try:
            payment = payments.open_payment(
                db.session, wx_pay(), wanted, client_ip=_client_ip(), now=now
            )
        except WxError as exc:
            db.session.rollback()
            payment_error = {"code": exc.code, "message": exc.message}
    return {"order": order, "payment": payment, "payment_error": payment_error}


@blp.route("", methods=["GET"])
@employee_required
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, OrderPageSchema)
def read_orders(args: dict):
    """The employee's own orders, newest first, optionally of one status."""
    items, next_cursor = list_own_orders(
        db.session,
        g.employee.id,
        status=args.get("status"),
        limit=args["limit"],
        cursor=args.get("cursor"),
    )
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<order_no>", methods=["GET"])
@employee_required
@blp.response(200, OrderSchema)
def read_order(order_no: str):
    """One of the employee's own orders (anyone else's is 404)."""
    return own_order(db.session, g.employee.id, order_no)


@blp.route("/<order_no>/pay", methods=["POST"])
@employee_required
@blp.response(200, PaymentSchema)
@blp.alt_response(409, description="invalid_state (not unpaid), payment_expired")
def pay_order(order_no: str):
    """Fresh `wx.requestPayment` parameters for an unpaid order: its stored prepay id signed
    again (WeChat's order is opened once per order)."""
    own_order(db.session, g.employee.id, order_no)
    return payments.payment_params(
        db.session, wx_pay(), order_no, client_ip=_client_ip(), now=utcnow()
    )


@blp.route("/<order_no>/cancel", methods=["POST"])
@employee_required
@blp.response(200, OrderSchema)
@blp.alt_response(409, description="invalid_state: shipped or later")
def cancel_order(order_no: str):
    """Unpaid: WeChat is asked first (an order it reports paid becomes `paid`), then the
    order is cancelled and its stock and vouchers released. Paid, not shipped: cancelled and
    refunded (`refunding`, then `refunded` once WeChat confirms)."""
    own_order(db.session, g.employee.id, order_no)
    payments.cancel_order(db.session, wx_pay(), order_no, now=utcnow())
    return own_order(db.session, g.employee.id, order_no)


@blp.route("/<order_no>/confirm-receipt", methods=["POST"])
@employee_required
@blp.response(200, OrderSchema)
@blp.alt_response(409, description="invalid_state: not shipped")
def confirm_receipt(order_no: str):
    """Shipped → completed: from now the cash part counts to the order's unit (rules 1-3)."""
    own_order(db.session, g.employee.id, order_no)
    order = order_states.lock_order(db.session, order_no)
    order_states.complete(db.session, order, utcnow())
    return order


@blp.route("/<order_no>/refund", methods=["POST"])
@employee_required
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
@blp.alt_response(409, description="invalid_state: not completed")
def request_refund(body: dict, order_no: str):
    """An after-sales refund request on a completed order, for the supplier or the platform
    to approve or reject."""
    own_order(db.session, g.employee.id, order_no)
    order = order_states.lock_order(db.session, order_no)
    order_states.request_refund(order, reason=body["reason"], now=utcnow())
    return order
