"""Orders for suppliers (their own) and the platform (all): list, ship, decide refunds."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.schemas.orders import (
    AdminOrderPageSchema,
    AdminOrderSchema,
    OrderListArgs,
    ReasonSchema,
    ShipSchema,
)
from miniapp_api.services import orders as order_service
from miniapp_api.services.orders import list_supplier_orders
from miniapp_api.wechat import wx_pay
from models.admin import PLATFORM_ADMIN, SUPPLIER
from models.base import utcnow

blp = Blueprint(
    "admin_orders", __name__, url_prefix="/api/v1/admin/orders", description="Orders (admin)"
)


@blp.route("", methods=["GET"])
@admin_required(SUPPLIER, PLATFORM_ADMIN)
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, AdminOrderPageSchema)
def read_orders(args: dict):
    """A supplier's own orders, or all orders for the platform, newest first."""
    items, next_cursor = list_supplier_orders(
        db.session,
        g.admin,
        status=args.get("status"),
        limit=args["limit"],
        cursor=args.get("cursor"),
    )
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/<order_no>/ship", methods=["POST"])
@admin_required(SUPPLIER, PLATFORM_ADMIN)
@blp.arguments(ShipSchema)
@blp.response(200, AdminOrderSchema)
@blp.alt_response(409, description="invalid_state: not paid")
def ship_order(body: dict, order_no: str):
    """Paid → shipped, with carrier and tracking number (another supplier's order is 404)."""
    return order_service.ship_order(db.session, g.admin, order_no, now=utcnow(), **body)


@blp.route("/<order_no>/refund/approve", methods=["POST"])
@admin_required(SUPPLIER, PLATFORM_ADMIN)
@blp.response(200, AdminOrderSchema)
@blp.alt_response(409, description="invalid_state: no refund request")
def approve_refund(order_no: str):
    """Approve an after-sales refund: refunded through WeChat Pay (`refunding`); the counted
    amount is reversed when WeChat confirms the refund (rule 4)."""
    return order_service.approve_refund_request(
        db.session, wx_pay(), g.admin, order_no, now=utcnow()
    )


@blp.route("/<order_no>/refund/reject", methods=["POST"])
@admin_required(SUPPLIER, PLATFORM_ADMIN)
@blp.arguments(ReasonSchema)
@blp.response(200, AdminOrderSchema)
@blp.alt_response(409, description="invalid_state: no refund request")
def reject_refund(body: dict, order_no: str):
    """Reject an after-sales refund request with a reason: back to `completed`."""
    return order_service.reject_refund_request(db.session, g.admin, order_no, reason=body["reason"])
