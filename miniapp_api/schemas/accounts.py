"""Login and the employee's own profile."""

import marshmallow as ma

from miniapp_api.schemas.units import UnitRefSchema


class WxCodeSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=128),
        metadata={"description": "the code from wx.login() or the phone-number button"},
    )


class BoundUnitSchema(UnitRefSchema):
    status = ma.fields.String(metadata={"enum": ["active", "merged", "revoked"]})
    successor = ma.fields.Method(
        "_successor",
        allow_none=True,
        metadata={"description": "for a merged unit: the unit to bind to instead (rule 8)"},
    )

    def _successor(self, unit) -> dict | None:
        successor = unit.active_successor() if unit.status == "merged" else None
        return UnitRefSchema().dump(successor) if successor else None


class EmployeeSchema(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String(allow_none=True)
    unit = ma.fields.Nested(BoundUnitSchema, allow_none=True, attribute="bound_unit")
    created_at = ma.fields.AwareDateTime()


class LoginResultSchema(ma.Schema):
    token = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    user = ma.fields.Nested(EmployeeSchema)
