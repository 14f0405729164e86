"""Orders and addresses on the wire (API.md, the orders and addresses rows)."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma

from miniapp_api.schemas.common import Id, Money, PageArgs, PageSchema
from miniapp_api.schemas.ledger import ChinaTime
from models.order import (
    ORDER_STATUSES,
    UNIT_BOUND,
    UNIT_NONE,
    UNIT_REVOKED,
    UNIT_SUCCESSOR,
)

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _text(max_length: int, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(min=1, max=max_length),
        **kwargs,
    )


class AddressSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = _text(50, required=True, metadata={"description": "recipient"})
    phone = ma.fields.String(
        required=True,
        metadata={"description": "a mainland mobile number", "pattern": MOBILE.pattern},
    )
    province = _text(50, required=True)
    city = _text(50, required=True)
    district = _text(50, required=True)
    detail = _text(200, required=True)

    @ma.pre_load
    def _strip(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data

    @ma.validates("phone")
    def _mobile(self, value: str, **kwargs: Any) -> None:
        if not MOBILE.match(value):
            raise ma.ValidationError("请填写11位大陆手机号")


class AddressListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AddressSchema))


class OrderLineSchema(ma.Schema):
    sku_id = Id(required=True)
    quantity = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=999))


class PlaceOrderSchema(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(OrderLineSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
    )
    address_id = Id(required=True)
    voucher_ids = ma.fields.List(Id(), load_default=list, validate=ma.validate.Length(max=20))


class OrderItemSchema(ma.Schema):
    sku_id = ma.fields.Integer()
    title = ma.fields.String()
    spec = ma.fields.String()
    price = Money()
    quantity = ma.fields.Integer()


class OrderUnitSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


_UNIT_NOTES = {
    UNIT_BOUND: "订单完成后计入{name}的年度采购金额",
    UNIT_SUCCESSOR: "原绑定单位已合并，订单完成后计入承继单位{name}",
    UNIT_REVOKED: "原绑定单位已撤销，本订单不计入任何单位",
    UNIT_NONE: "尚未绑定单位，本订单不计入任何单位",
}


class OrderSchema(ma.Schema):
    order_no = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(ORDER_STATUSES)})
    items = ma.fields.List(ma.fields.Nested(OrderItemSchema))
    total_amount = Money()
    voucher_amount = Money()
    cash_amount = Money(metadata={"description": "paid with WeChat Pay; counts as personal"})
    unit = ma.fields.Nested(OrderUnitSchema, allow_none=True)
    unit_reason = ma.fields.String(
        metadata={
            "enum": [UNIT_BOUND, UNIT_SUCCESSOR, UNIT_REVOKED, UNIT_NONE],
            "description": "why the order counts to that unit (or to none): rules 2 and 8",
        }
    )
    unit_note = ma.fields.Method("_unit_note", metadata={"description": "the same, in words"})
    address = ma.fields.Dict()
    placed_at = ChinaTime()
    pay_expires_at = ChinaTime()
    paid_at = ChinaTime(allow_none=True)
    shipped_at = ChinaTime(allow_none=True)
    completed_at = ChinaTime(allow_none=True)
    cancelled_at = ChinaTime(allow_none=True)
    refunded_at = ChinaTime(allow_none=True)
    carrier = ma.fields.String(allow_none=True)
    tracking_no = ma.fields.String(allow_none=True)
    refund_reason = ma.fields.String(allow_none=True)
    refund_reject_reason = ma.fields.String(allow_none=True)

    def _unit_note(self, order: Any) -> str:
        name = order.unit.name if order.unit is not None else ""
        return _UNIT_NOTES.get(order.unit_reason, "").format(name=name)


class PaymentSchema(ma.Schema):
    appId = ma.fields.String()
    timeStamp = ma.fields.String()
    nonceStr = ma.fields.String()
    package = ma.fields.String()
    signType = ma.fields.String()
    paySign = ma.fields.String()
    out_trade_no = ma.fields.String()


class PaymentErrorSchema(ma.Schema):
    code = ma.fields.String()
    message = ma.fields.String()


class OrderPlacedSchema(ma.Schema):
    order = ma.fields.Nested(OrderSchema)
    payment = ma.fields.Nested(
        PaymentSchema,
        allow_none=True,
        metadata={
            "description": "the wx.requestPayment parameters; null when vouchers cover it all, "
            "or when WeChat Pay could not be reached (then payment_error says so and "
            "POST /orders/{order_no}/pay hands them out)"
        },
    )
    payment_error = ma.fields.Nested(PaymentErrorSchema, allow_none=True)


class OrderListArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(ORDER_STATUSES))


class OrderPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(OrderSchema))


class AdminOrderSchema(OrderSchema):
    supplier_id = ma.fields.Integer()
    employee_id = ma.fields.Integer()


class AdminOrderPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(AdminOrderSchema))


class ShipSchema(ma.Schema):
    carrier = _text(50, required=True)
    tracking_no = _text(64, required=True)


class ReasonSchema(ma.Schema):
    reason = _text(200, required=True)
