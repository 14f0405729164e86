"""Units on the wire: the binding picker, the binding, and the admin's view of a unit."""

from __future__ import annotations

import marshmallow as ma

from miniapp_api.schemas.common import Id, Money, PageArgs, PageSchema
from models.unit import BUDGET_LEVELS, UNIT_STATUSES


class UnitRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)


class UnitSearchArgs(ma.Schema):
    q = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "a fragment of the full name"},
    )
    credit_code = ma.fields.String(
        validate=ma.validate.Length(max=40), metadata={"description": "the exact credit code"}
    )

    @ma.validates_schema
    def _one_key(self, data: dict, **kwargs) -> None:
        if not (data.get("q") or "").strip() and not data.get("credit_code"):
            raise ma.ValidationError("请输入单位名称关键字或统一社会信用代码", "q")


class UnitPickSchema(UnitRefSchema):
    budget_level = ma.fields.String(metadata={"enum": list(BUDGET_LEVELS)})
    parent = ma.fields.Nested(UnitRefSchema, allow_none=True)


class UnitPickListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UnitPickSchema))


class BindUnitSchema(ma.Schema):
    unit_id = Id()
    credit_code = ma.fields.String(validate=ma.validate.Length(min=1, max=40))
    name = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200), metadata={"description": "exact full name"}
    )

    @ma.validates_schema
    def _exactly_one_key(self, data: dict, **kwargs) -> None:
        given = [key for key in ("unit_id", "credit_code", "name") if data.get(key) is not None]
        if not given:
            raise ma.ValidationError("须提供 unit_id、credit_code 或 name 其中之一", "unit_id")
        if len(given) > 1:
            raise ma.ValidationError("只能提供 unit_id、credit_code 或 name 其中之一", given[1])


class BindingSchema(ma.Schema):
    id = ma.fields.Integer()
    unit = ma.fields.Nested(UnitRefSchema)
    bound_from = ma.fields.AwareDateTime()


class UnitSummarySchema(UnitRefSchema):
    budget_level = ma.fields.String(metadata={"enum": list(BUDGET_LEVELS)})
    status = ma.fields.String(metadata={"enum": list(UNIT_STATUSES)})
    parent = ma.fields.Nested(UnitRefSchema, allow_none=True)
    successor = ma.fields.Nested(UnitRefSchema, allow_none=True)
    depth = ma.fields.Integer(metadata={"description": "0 for a root unit"})
    contact_name = ma.fields.String(allow_none=True)
    contact_mobile = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class UnitDetailSchema(UnitSummarySchema):
    children_count = ma.fields.Integer(metadata={"description": "direct children, any status"})


class UnitChildrenPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(UnitSummarySchema))


class ChildrenArgs(PageArgs):
    pass


class MergeUnitSchema(ma.Schema):
    into_unit_id = Id(required=True)


class UnitListArgs(PageArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "a fragment of the name or of the credit code"},
    )


class UnitPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(UnitSummarySchema))


class BoundEmployeeSchema(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String(
        allow_none=True, metadata={"description": "masked: 138****8000", "example": "138****8000"}
    )
    bound_at = ma.fields.AwareDateTime()
    personal_amount = Money(metadata={"description": "this year's personal purchases"})


class BoundEmployeePageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(BoundEmployeeSchema))
