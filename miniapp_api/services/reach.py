"""What an admin may reach (API.md "Roles"; DOMAIN.md rule 7: 本级及下级)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniapp_api.errors import Forbidden, NotFound
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_SCOPED_ROLES, Admin
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


def changeable_unit(session: Session, admin: Admin, unit_id: int) -> Unit:
    """A unit `admin` may merge or revoke (rule 8): platform admins any unit, finance admins
    the units below their own unit, not their own unit itself (403); others none (403)."""
    if admin.role not in (PLATFORM_ADMIN, FINANCE_ADMIN):
        raise Forbidden(details={"required_roles": [PLATFORM_ADMIN, FINANCE_ADMIN]})
    unit = reachable_unit(session, admin, unit_id)
    if admin.role != PLATFORM_ADMIN and unit.id == admin.unit_id:
        raise Forbidden(details={"reason": "cannot_change_own_unit"})
    return unit


def import_scope(admin: Admin) -> Unit | None:
    """Where a units import by `admin` may write: anywhere for platform admins (None), below
    their own unit for finance admins; any other admin imports nothing (403)."""
    if admin.role == PLATFORM_ADMIN:
        return None
    if admin.role != FINANCE_ADMIN:
        raise Forbidden(details={"required_roles": [PLATFORM_ADMIN, FINANCE_ADMIN]})
    if admin.unit is None:
        raise Forbidden(details={"reason": "admin_has_no_unit"})
    return admin.unit
