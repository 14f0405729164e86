"""Admin accounts on the wire."""

import marshmallow as ma

from miniapp_api.schemas.units import UnitRefSchema
from models.admin import ADMIN_ROLES


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


class AdminLoginResultSchema(ma.Schema):
    token = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    admin = ma.fields.Nested(AdminSchema)
