"""Login and the employee's own profile."""

import marshmallow as ma


class WxCodeSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=128),
        metadata={"description": "the code from wx.login() or the phone-number button"},
    )


class UnitRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)


class EmployeeSchema(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String(allow_none=True)
    unit = ma.fields.Nested(UnitRefSchema, allow_none=True, attribute="bound_unit")
    created_at = ma.fields.AwareDateTime()


class LoginResultSchema(ma.Schema):
    token = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    user = ma.fields.Nested(EmployeeSchema)
