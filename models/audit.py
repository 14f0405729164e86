"""Who changed what (STYLE.md: every admin change leaves an audit row in the same transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, path_string, utcnow

# Every action the log knows, as dotted names (`GET /admin/audit-log?action=` takes one of them).
# A feature that adds an admin change adds its action here.
AUDIT_ACTIONS = (
    "unit.import",
    "unit.merge",
    "unit.revoke",
    "binding.end",
    "catalog.import",
    "product.off_shelf",
    "product.on_shelf",
    "entries.import",
    "admin.create",
    "admin.disable",
    "admin.set_password",
    "voucher_batch.create",
    "voucher_batch.mark_paid",
    "voucher.void",
    "union_profile.update",
    "reserved_share.save",
    "reserved_share.submit",
    "reserved_share.confirm",
    "reserved_share.return",
    "share_policy.set",
    "order.ship",
    "order.refund_approve",
    "order.refund_reject",
)


class AuditEntry(db.Model):
    """One admin change: who (the admin, or an operator at the CLI when admin is None), when,
    what (`action`), the target, and the particulars. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_admin_id_id", "admin_id", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_unit_path_id", "unit_path", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id"))
    # a copy, so that the log still says who after an account is renamed
    admin_username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column()
    target_name: Mapped[str | None] = mapped_column(String(200))
    # the path of the unit the change concerns (rule 7: finance and unit admins see the changes
    # within their reach); None for changes outside the unit tree (catalogue, accounts)
    unit_path: Mapped[str | None] = mapped_column(path_string(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
