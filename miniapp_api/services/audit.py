"""The audit log: every admin change is recorded with who, when, what and the target, in the
same transaction as the change itself (so a change that rolls back leaves no row, and a change
that lands always has its row)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.admin import Admin
from models.audit import AUDIT_ACTIONS, AuditEntry
from models.unit import Unit

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
