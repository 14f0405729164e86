"""Admin accounts: username and password, a role, and the unit or supplier it is scoped to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, new_token_key, utcnow
from models.supplier import Supplier
from models.unit import Unit

PLATFORM_ADMIN = "platform_admin"
FINANCE_ADMIN = "finance_admin"
UNIT_ADMIN = "unit_admin"
UNION_ADMIN = "union_admin"
SUPPLIER = "supplier"
ADMIN_ROLES = (PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN, UNION_ADMIN, SUPPLIER)
# roles that reach a unit and everything below it (rule 7)
UNIT_SCOPED_ROLES = (FINANCE_ADMIN, UNIT_ADMIN)


class Admin(db.Model):
    __tablename__ = "admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    # finance, unit and union admins: their unit; suppliers: their supplier
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # bumped to revoke every token issued before (password change, deactivation)
    token_version: Mapped[int] = mapped_column(default=0)
    # in every token, checked against the row: an id reused after a restore is not this account
    token_key: Mapped[str] = mapped_column(String(32), default=new_token_key)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    supplier: Mapped[Supplier | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Admin {self.id} {self.username} {self.role}>"
