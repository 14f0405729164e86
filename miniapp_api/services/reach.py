"""What an admin may reach (API.md "Roles"; DOMAIN.md rule 7: 本级及下级)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniapp_api.errors import Forbidden, NotFound
from models.admin import PLATFORM_ADMIN, UNIT_SCOPED_ROLES, Admin
from models.unit import Unit


def reachable_unit(session: Session, admin: Admin, unit_id: int) -> Unit:
    """The unit, if `admin` may see it: platform admins see every unit; finance and unit admins
    their own unit and everything below it. Outside that reach the unit is 404 (saying it
    exists would leak it); other roles reach no unit at all (403)."""
    if admin.role != PLATFORM_ADMIN and admin.role not in UNIT_SCOPED_ROLES:
        raise Forbidden(details={"reason": "role_has_no_unit_access"})
    unit = session.get(Unit, unit_id)
    if unit is None or not admin_reaches(admin, unit):
        raise NotFound("unit_not_found", "单位不存在")
    return unit


def admin_reaches(admin: Admin, unit: Unit) -> bool:
    if admin.role == PLATFORM_ADMIN:
        return True
    if admin.role not in UNIT_SCOPED_ROLES or admin.unit is None:
        return False
    return unit.path.startswith(admin.unit.path)
