"""Admin accounts (API.md "Admin API"): creation, password login, listing, disabling and
password changes; each change ends the tokens it must and lands in the audit log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from miniapp_api.errors import Conflict, DomainError, InvalidRequest, NotFound
from miniapp_api.services.audit import record_admin_action
from models.admin import (
    ADMIN_ROLES,
    PLATFORM_ADMIN,
    SUPPLIER,
    UNION_ADMIN,
    UNIT_SCOPED_ROLES,
    Admin,
)
from models.credit_code import normalise
from models.supplier import Supplier
from models.unit import Unit

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 256
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
    unit_id: int | None = None,
    supplier_id: int | None = None,
    by: Admin | None = None,
) -> Admin:
    """A new admin account, recorded in the audit log as `admin.create` by `by` (None: an
    operator at the CLI). Finance, unit and union admins need their active unit (`unit_id`, or
    `unit_ref`: credit code or id); a supplier account needs its supplier (`supplier_id`, or
    `supplier_name`: created here when it is not stored yet). Rule 7: the unit is the reach."""
    username = username.strip()
    problems: dict[str, list[str]] = {}
    if not username or len(username) > 64:
        problems["username"] = ["用户名须为1到64个字符"]
    if password_problem := _password_problem(password):
        problems["password"] = [password_problem]
    if role not in ADMIN_ROLES:
        problems["role"] = [f"角色须为以下之一：{', '.join(ADMIN_ROLES)}"]
    needs_unit = role in UNIT_SCOPED_ROLES or role == UNION_ADMIN
    unit_field = "unit_id" if unit_id is not None else "unit"
    named_unit = unit_id is not None or bool(unit_ref)
    unit = (
        session.get(Unit, unit_id)
        if unit_id is not None
        else _unit_by_reference(session, unit_ref)
        if unit_ref
        else None
    )
    if needs_unit and unit is None:
        problems[unit_field] = [
            "单位不存在" if named_unit else "该角色须指定单位（统一社会信用代码或单位ID）"
        ]
    elif needs_unit and unit is not None and not unit.is_active:
        problems[unit_field] = ["该单位已撤销或合并"]
    if not needs_unit and named_unit:
        problems[unit_field] = ["该角色不属于某个单位"]
    supplier_field = "supplier_id" if supplier_id is not None else "supplier"
    named_supplier = supplier_id is not None or bool((supplier_name or "").strip())
    supplier = None
    if role == SUPPLIER:
        if supplier_id is not None:
            supplier = session.get(Supplier, supplier_id)
            if supplier is None:
                problems[supplier_field] = ["供应商不存在"]
        elif not named_supplier:
            problems[supplier_field] = ["供应商账号须指定供应商"]
    elif named_supplier:
        problems[supplier_field] = ["只有供应商账号可以指定供应商"]
    if problems:
        raise InvalidRequest(details=problems)
    taken = Conflict("username_taken", "用户名已存在", details={"username": username})
    if session.scalars(select(Admin).where(Admin.username == username)).first() is not None:
        raise taken
    if role == SUPPLIER and supplier is None:
        supplier = _supplier_by_name(session, (supplier_name or "").strip())
    admin = Admin(
        username=username,
        password_hash=generate_password_hash(password),
        role=role,
        unit_id=unit.id if unit else None,
        supplier_id=supplier.id if supplier else None,
    )
    try:
        with session.begin_nested():
            session.add(admin)
    except IntegrityError:
        raise taken from None  # created by another request a moment ago
    _record(session, by, "admin.create", admin, {"role": role})
    return admin


def list_admins(
    session: Session,
    *,
    role: str | None = None,
    q: str | None = None,
    after_id: int | None = None,
    limit: int = 20,
) -> list[Admin]:
    """Admin accounts in id order, for platform admins: of one role, and/or whose username
    contains `q`; up to `limit + 1` rows after `after_id` (the extra row says a next page
    exists)."""
    query = select(Admin).order_by(Admin.id).limit(limit + 1)
    if role:
        query = query.where(Admin.role == role)
    if q and q.strip():
        query = query.where(Admin.username.contains(q.strip(), autoescape=True))
    if after_id is not None:
        query = query.where(Admin.id > after_id)
    return list(session.scalars(query))


def disable_admin(session: Session, admin: Admin, *, by: Admin | None = None) -> Admin:
    """Disable an account and end every token it holds (token_version bumped), recorded as
    `admin.disable`. An admin cannot disable themselves, and the last active platform admin
    stays (someone must be able to manage accounts); a disabled account: 409 invalid_state."""
    if not admin.active:
        raise Conflict("invalid_state", "该账号已停用", details={"state": "disabled"})
    if by is not None and by.id == admin.id:
        raise Conflict("cannot_disable_self", "不能停用自己的账号")
    if admin.role == PLATFORM_ADMIN:
        # the active platform admins stay locked until the end of the transaction, so two
        # of them disabling each other at once cannot leave none (SQLite: BEGIN IMMEDIATE)
        active = session.scalars(
            select(Admin.id)
            .where(Admin.role == PLATFORM_ADMIN, Admin.active.is_(True))
            .order_by(Admin.id)
            .with_for_update()
        ).all()
        session.refresh(admin)
        if not admin.active:
            raise Conflict("invalid_state", "该账号已停用", details={"state": "disabled"})
        if not set(active) - {admin.id}:
            raise Conflict("last_platform_admin", "不能停用最后一个可用的平台管理员")
    admin.active = False
    admin.token_version += 1
    session.flush()
    _record(session, by, "admin.disable", admin)
    return admin


def set_admin_password(
    session: Session, admin: Admin, password: str, *, by: Admin | None = None
) -> Admin:
    """Give an account a new password and end every token it holds (token_version bumped),
    recorded as `admin.set_password` (never the password itself)."""
    if problem := _password_problem(password):
        raise InvalidRequest(details={"password": [problem]})
    admin.password_hash = generate_password_hash(password)
    admin.token_version += 1
    session.flush()
    _record(session, by, "admin.set_password", admin)
    return admin


def change_own_password(
    session: Session, admin: Admin, current_password: str, new_password: str
) -> Admin:
    """An admin changes their own password: the current one first (422 naming
    `current_password` otherwise), then as `set_admin_password` (every token they hold ends)."""
    if not check_password_hash(admin.password_hash, current_password):
        raise InvalidRequest(details={"current_password": ["当前密码不正确"]})
    return set_admin_password(session, admin, new_password, by=admin)


def admin_by_username(session: Session, username: str) -> Admin:
    """The account with this username, or 404 `admin_not_found`."""
    admin = session.scalars(select(Admin).where(Admin.username == username.strip())).first()
    if admin is None:
        raise NotFound("admin_not_found", "管理员账号不存在", details={"username": username})
    return admin


def admin_by_id(session: Session, admin_id: int) -> Admin:
    """The account with this id, or 404 `admin_not_found`."""
    admin = session.get(Admin, admin_id)
    if admin is None:
        raise NotFound("admin_not_found", "管理员账号不存在")
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
    if reference.isascii() and reference.isdigit() and len(reference) < 18:
        return session.get(Unit, int(reference))
    return session.scalars(select(Unit).where(Unit.credit_code == normalise(reference))).first()


def _supplier_by_name(session: Session, name: str) -> Supplier:
    supplier = session.scalars(select(Supplier).where(Supplier.name == name)).first()
    if supplier is None:
        supplier = Supplier(name=name)
        session.add(supplier)
        session.flush()
    return supplier


def _password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"密码至少{PASSWORD_MIN_LENGTH}位"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"密码最多{PASSWORD_MAX_LENGTH}位"
    return None


def _record(session: Session, by: Admin | None, action: str, admin: Admin, details=None) -> None:
    record_admin_action(
        session,
        by,
        action,
        target_type="admin",
        target_id=admin.id,
        target_name=admin.username,
        unit=admin.unit,
        details=details,
    )
