"""The audit log on the wire: who changed what, when, and the target."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from miniapp_api.schemas.common import Id, PageArgs, PageSchema
from models.audit import AUDIT_ACTIONS


class AuditLogArgs(PageArgs):
    action = ma.fields.String(
        validate=ma.validate.OneOf(AUDIT_ACTIONS), metadata={"enum": list(AUDIT_ACTIONS)}
    )
    admin_id = Id(metadata={"description": "changes made by this admin"})


class AuditAdminSchema(ma.Schema):
    id = ma.fields.Integer(allow_none=True, metadata={"description": "null: an operator (CLI)"})
    username = ma.fields.String(metadata={"description": '"operator" for the CLI'})


class AuditTargetSchema(ma.Schema):
    type = ma.fields.String(metadata={"example": "unit"})
    id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String(allow_none=True)


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    admin = ma.fields.Nested(AuditAdminSchema)
    action = ma.fields.String(metadata={"enum": list(AUDIT_ACTIONS)})
    target = ma.fields.Nested(AuditTargetSchema)
    details = ma.fields.Dict()

    @ma.pre_dump
    def _shape(self, entry: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "id": entry.id,
            "at": entry.at,
            "admin": {"id": entry.admin_id, "username": entry.admin_username},
            "action": entry.action,
            "target": {"type": entry.target_type, "id": entry.target_id, "name": entry.target_name},
            "details": entry.details,
        }


class AuditPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(AuditEntrySchema))
