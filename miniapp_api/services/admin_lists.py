"""What admins look up: units within reach, the catalogue's products, and the employees bound
to a unit (who may end a binding that does not belong). Each list is paged by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from miniapp_api.errors import Forbidden, NotFound
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.totals import personal_amount
from miniapp_api.services.units import unbind_employee
from models.admin import PLATFORM_ADMIN, SUPPLIER, UNIT_SCOPED_ROLES, Admin
from models.base import utcnow
from models.calendar import counting_year
from models.catalog import Product
from models.credit_code import normalise
from models.employee import Employee
from models.unit import Unit, UnitBinding, subtree_condition


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _after(cursor: str | None) -> int | None:
    return decode_cursor(cursor, (ID,))[0] if cursor else None


def units_in_reach(
    session: Session, admin: Admin, *, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Unit], str | None]:
    """Units within the admin's reach (rule 7: their unit and everything below it; platform
    admins every unit), any status, whose name or credit code contains `q`, in id order."""
    query = select(Unit)
    if admin.role != PLATFORM_ADMIN:
        if admin.role not in UNIT_SCOPED_ROLES or admin.unit is None:
            raise Forbidden(details={"reason": "role_has_no_unit_access"})
        query = query.where(subtree_condition(admin.unit.path))
    fragment = (q or "").strip()
    if fragment:
        query = query.where(
            or_(
                Unit.name.like(_like(fragment), escape="\\"),
                Unit.credit_code.like(_like(normalise(fragment)), escape="\\"),
            )
        )
    after = _after(cursor)
    if after is not None:
        query = query.where(Unit.id > after)
    rows = list(session.scalars(query.order_by(Unit.id).limit(limit + 1)))
    return page_of(rows, limit, lambda unit: [unit.id])


def products_for_admin(
    session: Session,
    admin: Admin,
    *,
    q: str | None,
    on_shelf: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Product], str | None]:
    """Products on and off shelf: every product for platform admins, a supplier's own for a
    supplier. `q` is a fragment of the title or the product code; newest first."""
    query = select(Product).options(
        selectinload(Product.category), selectinload(Product.supplier), selectinload(Product.skus)
    )
    if admin.role == SUPPLIER:
        query = query.where(Product.supplier_id == admin.supplier_id)
    elif admin.role != PLATFORM_ADMIN:
        raise Forbidden(details={"required_roles": [PLATFORM_ADMIN, SUPPLIER]})
    fragment = (q or "").strip()
    if fragment:
        query = query.where(
            or_(Product.title.like(_like(fragment), escape="\\"), Product.code == fragment)
        )
    if on_shelf is not None:
        query = query.where(Product.on_shelf.is_(on_shelf))
    after = _after(cursor)
    if after is not None:
        query = query.where(Product.id < after)
    rows = list(session.scalars(query.order_by(Product.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda product: [product.id])


@dataclass
class BoundEmployee:
    """An employee bound to a unit, as the unit's admins see them: the phone masked."""

    id: int
    phone: str | None
    bound_at: datetime
    personal_amount: int


def mask_phone(phone: str | None) -> str | None:
    """13800138000 -> 138****8000: enough to recognise a colleague, not to call a stranger."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def bound_employees(
    session: Session, unit: Unit, *, now: datetime, limit: int, cursor: str | None
) -> tuple[list[BoundEmployee], str | None]:
    """The employees bound to `unit` now, in binding order, with this year's personal amount
    (rules 1, 2 and 4: completed purchases net of refunds, whichever unit they counted to)."""
    query = (
        select(UnitBinding, Employee)
        .join(Employee, Employee.id == UnitBinding.employee_id)
        .where(UnitBinding.unit_id == unit.id, UnitBinding.bound_to.is_(None))
    )
    after = _after(cursor)
    if after is not None:
        query = query.where(UnitBinding.id > after)
    rows = list(session.execute(query.order_by(UnitBinding.id).limit(limit + 1)))
    page, next_cursor = page_of(rows, limit, lambda row: [row[0].id])
    year = counting_year(now)
    items = [
        BoundEmployee(
            id=employee.id,
            phone=mask_phone(employee.phone),
            bound_at=binding.bound_from,
            personal_amount=personal_amount(session, employee.id, year),
        )
        for binding, employee in page
    ]
    return items, next_cursor


def _binding_to(session: Session, unit: Unit, employee_id: int) -> tuple[Employee, UnitBinding]:
    """The employee and its binding in force, if it binds them to `unit`; otherwise 404
    `binding_not_found` (an employee bound elsewhere is not told apart from no employee)."""
    employee = session.get(Employee, employee_id)
    binding = employee.current_binding if employee is not None else None
    if binding is None or binding.unit_id != unit.id:
        raise NotFound("binding_not_found", "该职工未绑定本单位")
    return employee, binding


def bound_employee(session: Session, unit: Unit, employee_id: int) -> BoundEmployee:
    """One employee bound to `unit` now, as `bound_employees` lists it (404 otherwise)."""
    employee, binding = _binding_to(session, unit, employee_id)
    return BoundEmployee(
        id=employee.id,
        phone=mask_phone(employee.phone),
        bound_at=binding.bound_from,
        personal_amount=personal_amount(session, employee.id, counting_year(utcnow())),
    )


def end_binding(session: Session, admin: Admin, unit: Unit, employee_id: int) -> None:
    """A unit's admin ends a binding that does not belong (binding is self-service). Orders
    placed while it held keep the unit copied onto them (rule 2), so past figures stay.
    Audited."""
    employee, binding = _binding_to(session, unit, employee_id)
    unbind_employee(session, employee)
    record_admin_action(
        session,
        admin,
        "binding.end",
        target_type="employee",
        target_id=employee.id,
        target_name=mask_phone(employee.phone),
        unit=unit,
        details={"bound_at": binding.bound_from.isoformat()},
    )
