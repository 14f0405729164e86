"""Importing the platform's unit sheet (API.md "Unit import columns").

Every row is checked and gets every problem it has; nothing is written unless all rows are
fine. A superior may be stored already or defined earlier in the file. A row whose credit code
(or, for a unit without one, full name) is already stored updates that unit. A finance admin's
file is resolved within their reach only (rule 7): a superior or a unit outside it is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import IO

from sqlalchemy.orm import Session

from miniapp_api.services.sheets import (
    UPLOAD_LIMITS,
    ImportReport,
    RowResult,
    SheetImport,
    SheetLimits,
    SheetRow,
    run_import,
    shown,
)
from miniapp_api.services.units import (
    hold_units_for_moves,
    lock_tree,
    move_subtree,
    units_where_in,
)
from models.credit_code import credit_code_problems, normalise
from models.unit import ACTIVE, BUDGET_LEVELS, Unit

COLUMNS = {
    "name": "name",
    "预算单位名称": "name",
    "parent_name": "parent_name",
    "上级预算单位名称": "parent_name",
    "parent_credit_code": "parent_credit_code",
    "上级预算单位统一信用代码": "parent_credit_code",
    "上级预算单位统一社会信用代码": "parent_credit_code",
    "credit_code": "credit_code",
    "预算单位统一信用代码": "credit_code",
    "预算单位统一社会信用代码": "credit_code",
    "统一社会信用代码": "credit_code",
    "budget_level": "budget_level",
    "预算级次": "budget_level",
    "contact_name": "contact_name",
    "联系人": "contact_name",
    "contact_mobile": "contact_mobile",
    "联系人手机号": "contact_mobile",
    "联系人手机": "contact_mobile",
}
LEVEL_NAMES = {
    **{level: level for level in BUDGET_LEVELS},
    "中央": "central",
    "中央级": "central",
    "省级": "provincial",
    "省": "provincial",
    "市级": "municipal",
    "市": "municipal",
    "县级": "county",
    "县": "county",
    "乡镇级": "township",
    "乡镇": "township",
    "乡级": "township",
}
MOBILE = re.compile(r"^1[3-9]\d{9}$")
NAME_MAX, CONTACT_MAX = 200, 50
REQUIRED = ("name", "budget_level")


@dataclass
class PlannedUnit:
    """One good row: what to write, and the stored unit it updates (None: a new unit)."""

    row: SheetRow
    name: str
    credit_code: str | None
    budget_level: str
    contact_name: str | None
    contact_mobile: str | None
    parent_key: tuple[str, str] | None  # ("code", X) or ("name", X)
    existing: Unit | None = None
    unit: Unit | None = field(default=None, repr=False)


def import_units(
    session: Session,
    filename: str,
    stream: IO[bytes],
    *,
    scope: Unit | None = None,
    limits: SheetLimits = UPLOAD_LIMITS,
) -> ImportReport:
    """Check every row, then write all of them or none. `scope` limits a finance admin's import
    to units strictly below their own unit (rule 7)."""
    kind = SheetImport(COLUMNS, REQUIRED, partial(_check_rows, scope=scope), _write_plans)
    return run_import(session, kind, filename, stream, limits)


def _check_rows(
    session: Session, rows: list[SheetRow], report: ImportReport, *, scope: Unit | None
) -> tuple[list[PlannedUnit], _StoredUnits]:
    # every check below reads the tree as the last tree change left it (two imports that would
    # make A the parent of B and B the parent of A: the second one sees the first's move)
    lock_tree(session)
    stored = _StoredUnits(session, rows, scope)
    plans: list[PlannedUnit] = []
    by_code: dict[str, PlannedUnit] = {}
    by_name: dict[str, list[PlannedUnit]] = {}
    for row in rows:
        result = RowResult(row.number)
        report.rows.append(result)
        plan = _check_row(row, result, stored, by_code, by_name, scope)
        if plan is not None and result.status != "error":
            plans.append(plan)
            if plan.credit_code:
                by_code[plan.credit_code] = plan
            by_name.setdefault(plan.name, []).append(plan)
    return plans, stored


def _write_plans(
    session: Session, planned: tuple[list[PlannedUnit], _StoredUnits], report: ImportReport
) -> None:
    _write(session, *planned, report)


class _StoredUnits:
    """The stored units a file names (by code or name), fetched in a few queries, only those
    within `scope` when it is given (rule 7): a unit outside the importer's reach is as unknown
    as one that does not exist."""

    def __init__(self, session: Session, rows: list[SheetRow], scope: Unit | None) -> None:
        codes = {
            normalise(r.values.get(column, ""))
            for r in rows
            for column in ("credit_code", "parent_credit_code")
        }
        names = {
            r.values.get(column, "").strip() for r in rows for column in ("name", "parent_name")
        }
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in units_where_in(session, Unit.credit_code, codes, within=scope):
            self.by_code[unit.credit_code] = unit  # type: ignore[index]
        for unit in units_where_in(session, Unit.name, names, within=scope):
            self.by_name.setdefault(unit.name, []).append(unit)
        # codes held by units outside the reach: such a row can neither update nor create
        self.codes_elsewhere: set[str] = set()
        if scope is not None:
            held = units_where_in(session, Unit.credit_code, codes - set(self.by_code))
            self.codes_elsewhere = {unit.credit_code for unit in held}  # type: ignore[misc]

    def parent(self, kind: str, value: str, result: RowResult | None = None) -> Unit | None:
        """The stored unit a row names as its superior: by code, or the one active unit of
        that name (an inactive one if none is active, for the report to say so). Several
        active units of one name are refused, naming them."""
        if kind == "code":
            return self.by_code.get(value)
        candidates = self.by_name.get(value, [])
        active = [unit for unit in candidates if unit.is_active]
        if len(active) > 1:
            if result is not None:
                named = "、".join(unit.credit_code or f"编号{unit.id}" for unit in active)
                result.fail(
                    f"上级单位“{shown(value)}”有多个同名单位（{named}），请改填上级单位统一信用代码"
                )
            return None
        return active[0] if active else (candidates[0] if candidates else None)


def _check_row(
    row: SheetRow,
    result: RowResult,
    stored: _StoredUnits,
    by_code: dict[str, PlannedUnit],
    by_name: dict[str, list[PlannedUnit]],
    scope: Unit | None,
) -> PlannedUnit | None:
    values = row.values
    name = values.get("name", "").strip()
    if not name:
        result.fail("预算单位名称不能为空")
    elif len(name) > NAME_MAX:
        result.fail(f"预算单位名称不能超过{NAME_MAX}个字符")

    code = normalise(values.get("credit_code", "")) or None
    if code:
        for problem in credit_code_problems(code):
            result.fail(problem)
        if code in by_code:
            result.fail(f"统一社会信用代码{code}与第{by_code[code].row.number}行重复")
    elif name and name in by_name:
        result.fail(f"单位名称与第{by_name[name][0].row.number}行重复")

    level_text = values.get("budget_level", "").strip()
    level = LEVEL_NAMES.get(level_text.lower()) or LEVEL_NAMES.get(level_text)
    if not level_text:
        result.fail("预算级次不能为空")
    elif level is None:
        result.fail(f"预算级次“{shown(level_text)}”无效，应为中央、省级、市级、县级或乡镇级")

    contact_name = values.get("contact_name", "").strip() or None
    if contact_name and len(contact_name) > CONTACT_MAX:
        result.fail(f"联系人不能超过{CONTACT_MAX}个字符")
    mobile = values.get("contact_mobile", "").replace(" ", "").replace("-", "") or None
    if mobile and not MOBILE.match(mobile):
        result.fail(
            f"联系人手机号“{shown(values.get('contact_mobile', ''))}”格式不正确，应为11位手机号"
        )

    existing = _existing_unit(name, code, stored, result) if name else None
    parent_key = _parent_key(values, result)
    if parent_key is not None:
        _check_parent(parent_key, stored, by_code, by_name, result, existing)
    if scope is not None:
        _check_scope(existing, code, parent_key, stored, scope, result)
    if result.status == "error":
        return None
    return PlannedUnit(
        row, name, code, level or "", contact_name, mobile, parent_key, existing=existing
    )


def _existing_unit(
    name: str, code: str | None, stored: _StoredUnits, result: RowResult
) -> Unit | None:
    """The stored unit this row updates: same credit code, or same name where it has none."""
    if code and code in stored.by_code:
        return stored.by_code[code]
    same_name = stored.by_name.get(name, [])
    if code:
        without_code = [unit for unit in same_name if unit.credit_code is None]
        if len(without_code) == 1:
            return without_code[0]
        active_with_code = [unit for unit in same_name if unit.is_active and unit.credit_code]
        if active_with_code and not without_code:
            other = active_with_code[0].credit_code
            result.fail(f"已有同名单位，其统一社会信用代码为{other}，与本行不一致")
        return None
    if len(same_name) > 1:
        result.fail("已有多个同名单位，请填写统一社会信用代码以区分")
        return None
    return same_name[0] if same_name else None


def _parent_key(values: Mapping[str, str], result: RowResult) -> tuple[str, str] | None:
    parent_code = normalise(values.get("parent_credit_code", ""))
    if parent_code:
        problems = credit_code_problems(parent_code)
        if problems:
            result.fail("上级单位" + problems[0])
            return None
        return ("code", parent_code)
    parent_name = values.get("parent_name", "").strip()
    return ("name", parent_name) if parent_name else None


def _check_parent(
    key: tuple[str, str],
    stored: _StoredUnits,
    by_code: dict[str, PlannedUnit],
    by_name: dict[str, list[PlannedUnit]],
    result: RowResult,
    existing: Unit | None,
) -> None:
    kind, value = key
    in_file = by_code.get(value) if kind == "code" else None
    if kind == "name" and value in by_name:
        if len(by_name[value]) > 1:
            result.fail(
                f"上级单位“{shown(value)}”在本文件中有多个同名单位，请改填上级单位统一信用代码"
            )
            return
        in_file = by_name[value][0]
    if in_file is not None:
        if in_file.existing is not None and not in_file.existing.is_active:
            result.fail(f"上级单位“{shown(value)}”已撤销或合并")
        return
    known_problems = len(result.errors)
    parent = stored.parent(kind, value, result)
    if len(result.errors) > known_problems:
        return
    if parent is None:
        result.fail(f"上级单位“{shown(value)}”不存在（须已导入，或在本文件中位于本行之前）")
    elif parent.status != ACTIVE:
        result.fail(f"上级单位“{shown(value)}”已撤销或合并")
    elif existing is not None and parent.path.startswith(existing.path):
        result.fail("上级单位不能是本单位或其下级单位")


def _check_scope(
    existing: Unit | None,
    code: str | None,
    parent_key: tuple[str, str] | None,
    stored: _StoredUnits,
    scope: Unit,
    result: RowResult,
) -> None:
    """A finance admin imports only strictly below their own unit (rule 7); units outside
    their reach were never looked up (_StoredUnits), so a row cannot name one."""
    if (existing is not None and existing.id == scope.id) or code in stored.codes_elsewhere:
        result.fail("无权修改该单位：只能导入本单位的下级单位")
    elif parent_key is None:
        result.fail("须填写上级单位：只能导入本单位的下级单位")


def _write(
    session: Session, plans: list[PlannedUnit], stored: _StoredUnits, report: ImportReport
) -> None:
    if _moves_a_stored_unit(plans, stored):
        hold_units_for_moves(session)
    for plan in plans:
        unit = plan.existing or Unit(name=plan.name, budget_level=plan.budget_level)
        unit.name = plan.name
        unit.budget_level = plan.budget_level
        if plan.credit_code:
            unit.credit_code = plan.credit_code
        if plan.contact_name is not None:
            unit.contact_name = plan.contact_name
        if plan.contact_mobile is not None:
            unit.contact_mobile = plan.contact_mobile
        plan.unit = unit
        if plan.existing is None:
            session.add(unit)
            report.created += 1
        else:
            report.updated += 1
    session.flush()  # every new unit gets its id in one round of inserts

    placed: dict[str, Unit] = {}
    for plan in plans:
        unit = plan.unit
        assert unit is not None
        parent = _resolve_parent(plan.parent_key, stored, placed)
        if plan.existing is None:
            unit.place_under(parent)
        elif (parent.id if parent else None) != unit.parent_id:
            move_subtree(session, unit, parent)
        if plan.credit_code:
            placed["code:" + plan.credit_code] = unit
        placed.setdefault("name:" + plan.name, unit)
    session.flush()


def _moves_a_stored_unit(plans: list[PlannedUnit], stored: _StoredUnits) -> bool:
    """Whether some stored unit gets another superior in this import."""
    in_file: dict[str, PlannedUnit] = {}
    for plan in plans:
        if plan.existing is not None:
            key = plan.parent_key
            parent = in_file.get(f"{key[0]}:{key[1]}") if key else None
            if parent is not None:
                if parent.existing is None or parent.existing.id != plan.existing.parent_id:
                    return True
            else:
                stored_parent = _resolve_parent(key, stored, {})
                if (stored_parent.id if stored_parent else None) != plan.existing.parent_id:
                    return True
        if plan.credit_code:
            in_file["code:" + plan.credit_code] = plan
        in_file.setdefault("name:" + plan.name, plan)
    return False


def _resolve_parent(
    key: tuple[str, str] | None, stored: _StoredUnits, placed: dict[str, Unit]
) -> Unit | None:
    if key is None:
        return None
    kind, value = key
    if f"{kind}:{value}" in placed:
        return placed[f"{kind}:{value}"]
    return stored.parent(kind, value)
