"""Employees: the people who log in to the mini-program with WeChat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column, object_session

from models.base import UTCDateTime, db, new_token_key, utcnow


class Employee(db.Model):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    # Kept for decrypting WeChat payloads later; it never leaves the server (API.md).
    session_key: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    nickname: Mapped[str | None] = mapped_column(String(64))
    # in every token, checked against the row: an id reused after a restore is not this account
    token_key: Mapped[str] = mapped_column(String(32), default=new_token_key)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def current_binding(self):
        """The binding in force now, or None (rule 2: orders copy its unit)."""
        from models.unit import UnitBinding

        session = object_session(self)
        if session is None or self.id is None:
            return None
        return session.scalars(
            select(UnitBinding).where(
                UnitBinding.employee_id == self.id, UnitBinding.bound_to.is_(None)
            )
        ).one_or_none()

    @property
    def bound_unit(self):
        binding = self.current_binding
        return binding.unit if binding else None

    def __repr__(self) -> str:
        return f"<Employee {self.id}>"
