"""Admin accounts (API.md "Admin API"): creation by an operator, and password login."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from miniapp_api.errors import Conflict, DomainError, InvalidRequest
from models.admin import ADMIN_ROLES, SUPPLIER, UNION_ADMIN, UNIT_SCOPED_ROLES, Admin
from models.credit_code import normalise
from models.supplier import Supplier
from models.unit import Unit

PASSWORD_MIN_LENGTH = 8
# Checked against when the username is unknown, so that a wrong username costs the same time
# as a wrong password and does not tell which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    message = "用户名或密码错误"


def create_admin(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    unit_ref: str | None = None,
    supplier_name: str | None = None,
) -> Admin:
    """A new admin account. Finance, unit and union admins need their unit (credit code or
    id); a supplier account needs its supplier, created here when it is not stored yet."""
    username = username.strip()
    problems: dict[str, list[str]] = {}
    if not username or len(username) > 64:
        problems["username"] = ["用户名须为1到64个字符"]
    if len(password) < PASSWORD_MIN_LENGTH:
        problems["password"] = [f"密码至少{PASSWORD_MIN_LENGTH}位"]
    if role not in ADMIN_ROLES:
        problems["role"] = [f"角色须为以下之一：{', '.join(ADMIN_ROLES)}"]
    needs_unit = role in UNIT_SCOPED_ROLES or role == UNION_ADMIN
    unit = _unit_by_reference(session, unit_ref) if unit_ref else None
    if needs_unit and unit is None:
        problems["unit"] = [
            "该角色须指定单位（统一社会信用代码或单位ID）" if not unit_ref else "单位不存在"
        ]
    if not needs_unit and unit_ref:
        problems["unit"] = ["该角色不属于某个单位"]
    if role == SUPPLIER and not (supplier_name or "").strip():
        problems["supplier"] = ["供应商账号须指定供应商名称"]
    if role != SUPPLIER and supplier_name:
        problems["supplier"] = ["只有供应商账号可以指定供应商"]
    if problems:
        raise InvalidRequest(details=problems)
    if session.scalars(select(Admin).where(Admin.username == username)).first() is not None:
        raise Conflict("username_taken", "用户名已存在", details={"username": username})
    supplier = _supplier_by_name(session, supplier_name.strip()) if role == SUPPLIER else None
    admin = Admin(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        unit_id=unit.id if unit else None,
        supplier_id=supplier.id if supplier else None,
    )
    session.add(admin)
    session.flush()
    return admin


def authenticate_admin(session: Session, username: str, password: str) -> Admin:
    """The active admin with these credentials, or 401 `invalid_credentials` (the same answer
    for an unknown username, a wrong password and a deactivated account)."""
    admin = session.scalars(select(Admin).where(Admin.username == username.strip())).first()
    if admin is None:
        check_password_hash(_DUMMY_HASH, password)
        raise InvalidCredentials()
    if not check_password_hash(admin.password_hash, password) or not admin.active:
        raise InvalidCredentials()
    return admin


def _unit_by_reference(session: Session, reference: str) -> Unit | None:
    reference = reference.strip()
    if reference.isdigit() and len(reference) < 18:
        return session.get(Unit, int(reference))
    return session.scalars(select(Unit).where(Unit.credit_code == normalise(reference))).first()


def _supplier_by_name(session: Session, name: str) -> Supplier:
    supplier = session.scalars(select(Supplier).where(Supplier.name == name)).first()
    if supplier is None:
        supplier = Supplier(name=name)
        session.add(supplier)
        session.flush()
    return supplier
