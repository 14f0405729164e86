"""The audit log: every admin change is recorded with who, when, what and the target, in the
same transaction as the change itself (so a change that rolls back leaves no row, and a change
that lands always has its row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.errors import Forbidden
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.services.sheets import ImportReport
from models.admin import PLATFORM_ADMIN, UNIT_SCOPED_ROLES, Admin
from models.audit import AUDIT_ACTIONS, AuditEntry
from models.unit import Unit, subtree_condition

OPERATOR = "operator"  # who, when a change comes from the `miniapp` CLI rather than an admin


def record_admin_action(
    session: Session,
    admin: Admin | None,
    action: str,
    *,
    target_type: str,
    target_id: int | None = None,
    target_name: str | None = None,
    unit: Unit | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit row for `action` by `admin` (None: an operator at the CLI). `unit` is the
    unit the change concerns, so that finance and unit admins see the changes within their
    reach (rule 7)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to models.audit.AUDIT_ACTIONS")
    entry = AuditEntry(
        admin_id=admin.id if admin else None,
        admin_username=admin.username if admin else OPERATOR,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_name=(target_name or "")[:200] or None,
        unit_path=unit.path if unit is not None else None,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry


def record_import(
    session: Session,
    admin: Admin | None,
    action: str,
    filename: str,
    report: ImportReport,
    *,
    unit: Unit | None = None,
) -> AuditEntry:
    """One audit row for a written import (unit sheet, catalogue, canteen purchases): the file
    and its counts. A rejected import writes nothing, so it leaves no row either."""
    return record_admin_action(
        session,
        admin,
        action,
        target_type="file",
        target_name=filename,
        unit=unit,
        details={
            "rows": len(report.rows),
            "created": report.created,
            "updated": report.updated,
            "skipped": report.skipped,
        },
    )


def audit_entries(
    session: Session,
    viewer: Admin,
    *,
    action: str | None = None,
    admin_id: int | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[AuditEntry], str | None]:
    """The audit log as `viewer` may read it, newest first, paged by id: platform admins read
    every change; finance and unit admins the changes to units within their reach (rule 7:
    本级及下级); other roles none (403)."""
    query = select(AuditEntry)
    if viewer.role != PLATFORM_ADMIN:
        if viewer.role not in UNIT_SCOPED_ROLES or viewer.unit is None:
            raise Forbidden(details={"reason": "role_has_no_audit_access"})
        query = query.where(subtree_condition(viewer.unit.path, AuditEntry.unit_path))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if admin_id is not None:
        query = query.where(AuditEntry.admin_id == admin_id)
    if cursor:
        (before_id,) = decode_cursor(cursor, (ID,))
        query = query.where(AuditEntry.id < before_id)
    rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda entry: [entry.id])
