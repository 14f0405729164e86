"""Budget units: finding one to bind to, binding, and the unit changes of rule 8.

Tree changes (a move, a merge, a revocation, a units import, a totals rebuild) take the tree
lock first (`lock_tree`): on PostgreSQL a transaction-level advisory lock, so they run one at a
time and each reads the tree as the previous one left it; on SQLite writers are serialised
anyway. Bookings never take it; they and moves meet on the unit rows (services/ledger.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, case, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, DomainError, InvalidRequest, NotFound
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.chunks import scalars_where_in
from models.admin import Admin
from models.base import utcnow
from models.calendar import CHINA
from models.credit_code import credit_code_problems, normalise
from models.employee import Employee
from models.unit import ACTIVE, MERGED, REVOKED, Unit, UnitBinding, subtree_condition

SEARCH_LIMIT = 20
_TREE_LOCK = (8320, -1)  # advisory lock keys of the tree (class 8320: the ledger's)
_TREE_LOCK_HELD = "units_tree_lock"


def unit_not_found() -> NotFound:
    return NotFound("unit_not_found", "单位不存在")


def checked_credit_code(raw: str, field: str = "credit_code") -> str:
    """The normalised code, or 422 naming `field` and what is wrong with it."""
    code = normalise(raw)
    problems = credit_code_problems(code)
    if problems:
        raise InvalidRequest(details={field: problems})
    return code


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def units_where_in(
    session: Session, column, values: Iterable[str], *, within: Unit | None = None
) -> list[Unit]:
    """The units whose `column` is one of `values` (an import's names or codes), only those
    in the subtree of `within` when it is given (rule 7: an admin's reach)."""
    query = select(Unit)
    if within is not None:
        query = query.where(subtree_condition(within.path))
    return scalars_where_in(session, query, column, values)


def search_units(session: Session, *, q: str | None = None, credit_code: str | None = None):
    """Active units for the binding picker (rule 8: revoked and merged ones are not offered).

    By exact credit code, or by a fragment of the full name: the exact name first, then names
    that start with the fragment, then the rest, shorter names first; at most 20.
    """
    query = select(Unit).where(Unit.status == ACTIVE)
    if credit_code is not None:
        code = checked_credit_code(credit_code)
        return list(session.scalars(query.where(Unit.credit_code == code)))
    fragment = (q or "").strip()
    if not fragment:
        raise InvalidRequest(details={"q": ["请输入单位名称关键字或统一社会信用代码"]})
    escaped = _escape_like(fragment)
    rank = case(
        (Unit.name == fragment, 0), (Unit.name.like(f"{escaped}%", escape="\\"), 1), else_=2
    )
    query = (
        query.where(Unit.name.like(f"%{escaped}%", escape="\\"))
        .order_by(rank, func.length(Unit.name), Unit.name, Unit.id)
        .limit(SEARCH_LIMIT)
    )
    return list(session.scalars(query))


def find_unit_for_binding(
    session: Session,
    *,
    unit_id: int | None = None,
    credit_code: str | None = None,
    name: str | None = None,
) -> Unit:
    """The unit an employee asked for, by id, credit code or exact full name."""
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
    elif credit_code is not None:
        code = checked_credit_code(credit_code)
        unit = session.scalars(select(Unit).where(Unit.credit_code == code)).one_or_none()
    else:
        unit = _unit_by_full_name(session, (name or "").strip())
    if unit is None:
        raise unit_not_found()
    return unit


def _unit_by_full_name(session: Session, name: str) -> Unit | None:
    units = list(session.scalars(select(Unit).where(Unit.name == name).order_by(Unit.id)))
    active = [unit for unit in units if unit.is_active]
    if len(active) > 1:
        raise Conflict(
            "unit_ambiguous",
            "有多个同名单位，请使用统一社会信用代码绑定",
            details={"candidates": [_ref(unit) for unit in active]},
        )
    if active:
        return active[0]
    return units[-1] if units else None


def ensure_can_bind(unit: Unit) -> None:
    """Rule 8: a revoked or merged unit cannot be chosen; a merged one names its successor."""
    ensure_active(unit, merged="该单位已合并，请绑定合并后的单位", revoked="该单位已撤销，不能绑定")


def ensure_active(unit: Unit, *, merged: str, revoked: str) -> None:
    """Rule 8: nothing new is named to a revoked or merged unit: 409 `unit_inactive` with the
    message for the case, naming a merged unit's successor in `details`."""
    if unit.is_active:
        return
    details: dict = {"unit": _ref(unit), "status": unit.status}
    if unit.status == MERGED:
        successor = unit.active_successor()
        details["successor"] = _ref(successor) if successor else None
        message = merged
    else:
        message = revoked
    raise Conflict("unit_inactive", message, details=details)


def bind_employee(session: Session, employee: Employee, unit: Unit) -> UnitBinding:
    """Bind `employee` to `unit` from now on (rule 2: orders copy the unit bound when placed).

    The binding in force is closed, not changed, so the history says who was bound where and
    when. Binding to the unit already bound changes nothing.
    """
    ensure_can_bind(unit)
    current = employee.current_binding
    if current is not None and current.unit_id == unit.id:
        return current
    now = utcnow()
    if current is not None:
        current.bound_to = now
        session.flush()
    binding = UnitBinding(employee_id=employee.id, unit_id=unit.id, bound_from=now)
    try:
        with session.begin_nested():
            session.add(binding)
    except IntegrityError:
        # Another request of the same employee bound at the same moment: theirs stands.
        raise Conflict("binding_changed", "单位绑定刚刚被修改，请刷新后重试") from None
    return binding


def unbind_employee(session: Session, employee: Employee) -> None:
    """End the binding in force, if any; later orders count to no unit (rule 2)."""
    current = employee.current_binding
    if current is not None:
        current.bound_to = utcnow()
        session.flush()


def binding_history(session: Session, employee: Employee) -> list[UnitBinding]:
    return list(
        session.scalars(
            select(UnitBinding)
            .where(UnitBinding.employee_id == employee.id)
            .order_by(UnitBinding.bound_from, UnitBinding.id)
        )
    )


def unit_bound_at(session: Session, employee_id: int, moment: datetime) -> Unit | None:
    """The unit the employee was bound to at `moment` (rule 2), or None."""
    binding = session.scalars(
        _binding_at(), {"employee_id": employee_id, "moment": moment}
    ).one_or_none()
    return binding.unit if binding else None


@cache
def _binding_at() -> Select:
    # built once (every order runs it): building a statement costs more CPU than running it
    moment = bindparam("moment", type_=UnitBinding.bound_from.type)
    return (
        select(UnitBinding)
        .where(
            UnitBinding.employee_id == bindparam("employee_id"),
            UnitBinding.bound_from <= moment,
            (UnitBinding.bound_to.is_(None)) | (UnitBinding.bound_to > moment),
        )
        .order_by(UnitBinding.bound_from.desc())
        .limit(1)
    )


def children_of(session: Session, unit: Unit, *, after_id: int | None, limit: int) -> list[Unit]:
    """Direct children in id order, from after `after_id`; limit+1 rows to tell a next page."""
    query = select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.id).limit(limit + 1)
    if after_id is not None:
        query = query.where(Unit.id > after_id)
    return list(session.scalars(query))


def count_children(session: Session, unit: Unit) -> int:
    return session.scalar(select(func.count()).where(Unit.parent_id == unit.id)) or 0


@dataclass
class UnitDetail:
    """A unit as an admin reads it: the unit's own fields and how many children it has."""

    unit: Unit
    children_count: int

    def __getattr__(self, name: str):
        return getattr(self.unit, name)


def unit_detail(session: Session, unit: Unit) -> UnitDetail:
    return UnitDetail(unit, count_children(session, unit))


def lock_tree(session: Session) -> None:
    """Take the tree lock for the rest of the transaction (module docstring) and forget the
    units read before it, so that every check after it reads the tree as it is now."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.connection().get_transaction()  # this database transaction
    if session.info.get(_TREE_LOCK_HELD) is transaction:
        return
    session.flush()  # nothing pending is lost when the units are expired below
    session.execute(select(func.pg_advisory_xact_lock(*_TREE_LOCK)))
    session.info[_TREE_LOCK_HELD] = transaction
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Unit):
            session.expire(instance)


def hold_units_for_moves(session: Session) -> None:
    """Before a transaction that moves several units touches any unit row (a units import):
    on PostgreSQL, lock the units table against row locks, so that bookings in flight finish
    first and later ones wait for the commit. Taking the moved subtrees' rows one move at a
    time instead could meet a booking holding some of them in a circle."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE units IN EXCLUSIVE MODE"))


def merge_unit(session: Session, unit: Unit, into: Unit, *, by: Admin | None) -> Unit:
    """Rule 8: `unit` is merged into `into` now; its past figures stay with it, employees bound
    to it are offered `into`, and amounts named to it after this moment count to `into`
    (`unit_counting_at`). Its subordinates must be moved or merged first. Audited."""
    lock_tree(session)
    _ensure_changeable(session, unit)
    if into.id == unit.id:
        raise InvalidRequest(details={"into_unit_id": ["不能合并到单位自身"]})
    if not into.is_active:
        raise Conflict("unit_inactive", "合并目标单位已撤销或合并", details={"unit": _ref(into)})
    unit.status = MERGED
    unit.successor_id = into.id
    unit.merged_at = utcnow()
    session.flush()
    record_admin_action(
        session,
        by,
        "unit.merge",
        target_type="unit",
        target_id=unit.id,
        target_name=unit.name,
        unit=unit,
        details={"into": _ref(into)},
    )
    return unit


def revoke_unit(session: Session, unit: Unit, *, by: Admin | None) -> Unit:
    """Rule 8: the unit is revoked now; it can no longer be chosen, its past figures stay, and
    amounts named to it after this moment count to no unit (`unit_counting_at`). Audited."""
    lock_tree(session)
    _ensure_changeable(session, unit)
    unit.status = REVOKED
    unit.revoked_at = utcnow()
    session.flush()
    record_admin_action(
        session,
        by,
        "unit.revoke",
        target_type="unit",
        target_id=unit.id,
        target_name=unit.name,
        unit=unit,
    )
    return unit


def unit_counting_at(
    session: Session, unit: Unit, moment: datetime
) -> tuple[Unit | None, str | None]:
    """Rule 8: the unit an amount named to `unit` at `moment` counts to, and why it is not
    `unit` itself (None when it is). Merged before the moment: its successor, followed through
    later merges to the end; revoked before the moment: no unit. An order asks with the moment
    it was placed, a canteen row with the moment it completed."""
    current, seen = unit, set()
    while current.id not in seen:
        seen.add(current.id)
        if current.status == REVOKED and _before(current.revoked_at, moment):
            if current is unit:
                return None, f"单位“{unit.name}”已于{_day(unit.revoked_at)}撤销"
            return None, (
                f"单位“{unit.name}”已合并至“{current.name}”，该单位已于{_day(current.revoked_at)}撤销"
            )
        if current.status != MERGED or not _before(current.merged_at, moment):
            break
        successor = session.get(Unit, current.successor_id) if current.successor_id else None
        if successor is None:
            return None, f"单位“{current.name}”已合并，但没有合并后的单位"
        current = successor
    else:  # a loop of merges is a data error: count to nothing rather than spin
        return None, f"单位“{unit.name}”的合并关系有误"
    if current is unit:
        return unit, None
    return current, f"单位“{unit.name}”已于{_day(unit.merged_at)}合并，计入“{current.name}”"


def _before(change: datetime | None, moment: datetime) -> bool:
    """Whether a merge or revocation at `change` came before `moment` (unknown: it did)."""
    return change is None or change <= moment


def _day(moment: datetime | None) -> str:
    if moment is None:
        return "此前"
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _ensure_changeable(session: Session, unit: Unit) -> None:
    if not unit.is_active:
        raise Conflict(
            "unit_inactive",
            "该单位已撤销或合并",
            details={"unit": _ref(unit), "status": unit.status},
        )
    active_children = session.scalar(
        select(func.count()).where(Unit.parent_id == unit.id, Unit.status == ACTIVE)
    )
    if active_children:
        raise Conflict(
            "unit_has_children",
            "该单位还有未撤销的下级单位，请先调整或撤销下级单位",
            details={"active_children": active_children},
        )


def move_subtree(session: Session, unit: Unit, new_parent: Unit | None) -> None:
    """Put `unit` under `new_parent`, rewriting the paths of everything below it and moving
    its subtree's figures from the old ancestors' totals to the new ones' (rule 8).

    Under the tree lock, the subtree's unit rows are locked FOR UPDATE in id order first: a
    booking in flight into any of them holds its unit FOR SHARE (services/ledger.py), so the
    move waits for it to commit and then reads totals that include it; a booking that starts
    later waits for the move and books under the new ancestors."""
    lock_tree(session)
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise DomainError("unit_cycle", "上级单位不能是本单位或其下级单位", status=422)
    from miniapp_api.services.ledger import move_subtree_totals

    old_path, old_depth, old_ancestors = unit.path, unit.depth, unit.ancestor_ids()
    session.execute(
        select(Unit.id).where(subtree_condition(old_path)).order_by(Unit.id).with_for_update()
    ).all()
    unit.place_under(new_parent)
    shift = unit.depth - old_depth
    session.flush()
    session.execute(
        update(Unit)
        .where(subtree_condition(old_path), Unit.id != unit.id)
        .values(
            path=unit.path + func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + shift,
        )
        .execution_options(synchronize_session=False)
    )
    move_subtree_totals(session, unit, old_ancestors, unit.ancestor_ids())
    session.expire_all()


def _ref(unit: Unit) -> dict:
    return {"id": unit.id, "name": unit.name, "credit_code": unit.credit_code}
