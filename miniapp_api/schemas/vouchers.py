"""Vouchers on the wire: batches and their figures, payment, codes typed in, the wallet, and the
union's profile and progress. No answer carries a code, except the masked wallet code."""

from __future__ import annotations

import marshmallow as ma

from miniapp_api.schemas.accounts import UnitRefSchema
from miniapp_api.schemas.common import Moment, Money, PageSchema
from miniapp_api.schemas.ledger import ChinaTime

BATCH_STATUSES = ["unpaid", "active", "expired"]
WALLET_STATUSES = ["active", "used_up", "expired", "voided"]


class BatchCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    face_value = Money(
        required=True,
        validate=ma.validate.Range(
            min=100, max=1_000_000, error="面值须在 1.00 至 10000.00 元之间"
        ),
        metadata={"description": "1.00 to 10000.00"},
    )
    quantity = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=100_000))
    valid_from = Moment(required=True, metadata={"description": "inclusive; 2000 to 2100"})
    valid_until = Moment(required=True, metadata={"description": "exclusive; 2000 to 2100"})

    @ma.validates_schema(skip_on_field_errors=False)
    def _window(self, data: dict, **kwargs) -> None:
        if {"valid_from", "valid_until"} <= data.keys() and data["valid_until"] <= data[
            "valid_from"
        ]:
            raise ma.ValidationError("有效期截止时间须晚于开始时间", "valid_until")


class MarkPaidSchema(ma.Schema):
    paid_at = Moment(required=True, metadata={"description": "not in the future; 2000 or later"})
    reference = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "the bank transfer's reference"},
    )
    amount = Money(required=True, metadata={"description": "must equal face value × quantity"})


class BatchFiguresSchema(ma.Schema):
    issued = ma.fields.Integer()
    redeemed = ma.fields.Integer()
    spent = Money(metadata={"description": "taken by orders from redeemed vouchers"})
    outstanding = Money(metadata={"description": "unspent balance of redeemed, unexpired vouchers"})
    expired = ma.fields.Integer()
    voided = ma.fields.Integer()


class BatchSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    unit = ma.fields.Nested(UnitRefSchema)
    face_value = Money()
    quantity = ma.fields.Integer()
    amount = Money(metadata={"description": "face value × quantity: what the union pays"})
    valid_from = ChinaTime()
    valid_until = ChinaTime()
    status = ma.fields.String(metadata={"enum": BATCH_STATUSES})
    created_at = ChinaTime()
    paid_at = ChinaTime(allow_none=True)
    payment_reference = ma.fields.String(allow_none=True)
    figures = ma.fields.Nested(BatchFiguresSchema)


class BatchPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(BatchSchema))


class CodeSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=80),
        metadata={"description": "as printed; case, spaces and dashes are ignored"},
    )


class WalletVoucherSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "masked: only the last four characters"})
    title = ma.fields.String()
    face_value = Money()
    balance = Money()
    valid_from = ChinaTime()
    valid_until = ChinaTime()
    status = ma.fields.String(metadata={"enum": WALLET_STATUSES})


class WalletPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(WalletVoucherSchema))


class VoidResultSchema(ma.Schema):
    id = ma.fields.Integer()
    batch_id = ma.fields.Integer()
    status = ma.fields.String()


class UnionProfileSchema(ma.Schema):
    member_count = ma.fields.Integer(
        required=True, validate=ma.validate.Range(min=0, max=10_000_000)
    )
    welfare_total = Money(required=True)


class UnionProgressSchema(ma.Schema):
    year = ma.fields.Integer()
    spent = Money(metadata={"description": "the union's own `union` figure for the year"})
    per_member_target = Money(metadata={"description": "300.00 × members"})
    welfare_share_target = Money(metadata={"description": "15% of the welfare total"})
    met = ma.fields.Boolean(metadata={"description": "spent reached either target"})
