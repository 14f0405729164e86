"""Admin accounts on the wire."""

import marshmallow as ma

from miniapp_api.schemas.common import Id, PageArgs, PageSchema
from miniapp_api.schemas.units import UnitRefSchema
from models.admin import ADMIN_ROLES

PASSWORD_FIELD_MAX = 256


class AdminLoginSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256))


class SupplierRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class AdminSchema(ma.Schema):
    id = ma.fields.Integer()
    username = ma.fields.String()
    role = ma.fields.String(metadata={"enum": list(ADMIN_ROLES)})
    unit = ma.fields.Nested(UnitRefSchema, allow_none=True)
    supplier = ma.fields.Nested(SupplierRefSchema, allow_none=True)
    active = ma.fields.Boolean(metadata={"description": "false once disabled"})
    created_at = ma.fields.AwareDateTime()


class AdminLoginResultSchema(ma.Schema):
    token = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    admin = ma.fields.Nested(AdminSchema)


class AdminListArgs(PageArgs):
    role = ma.fields.String(load_default=None, validate=ma.validate.OneOf(ADMIN_ROLES))
    q = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=64),
        metadata={"description": "part of the username"},
    )


class AdminPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(AdminSchema))


class NewAdminSchema(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=PASSWORD_FIELD_MAX),
        metadata={"description": "at least 8 characters", "minLength": 8},
    )
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ADMIN_ROLES))
    unit_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "finance, unit and union admins: their unit"},
    )
    supplier_id = Id(
        load_default=None, allow_none=True, metadata={"description": "suppliers: their supplier"}
    )


class PasswordChangeSchema(ma.Schema):
    current_password = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=PASSWORD_FIELD_MAX)
    )
    new_password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=PASSWORD_FIELD_MAX),
        metadata={"description": "at least 8 characters"},
    )
