"""Idempotency-Key records (API.md, Conventions): the first answer to a key, kept for a day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

IN_PROGRESS, DONE = "in_progress", "done"


class IdempotencyKey(db.Model):
    """A caller's key: claimed (committed before the work it guards), then done with the answer
    the work gave, committed with the work itself."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "key", name="uq_idempotency_keys_caller_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "employee:12:<16 characters of its token key>" or "admin:3:...": keys are per caller
    caller: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(128))
    # sha256 of the method, path and body: the same key with another request is refused
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
