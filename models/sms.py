"""Text messages to send (a transactional outbox): a message is written in the same transaction
as the change that calls for it, so the change never lands without its message, and a sender
delivers it afterwards, retried until it goes through (miniapp_api/sms.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

PENDING, SENT, FAILED = "pending", "sent", "failed"
SMS_STATUSES = (PENDING, SENT, FAILED)


class SmsMessage(db.Model):
    __tablename__ = "sms_messages"
    __table_args__ = (Index("ix_sms_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
