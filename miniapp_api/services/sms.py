"""The SMS outbox: messages are queued in the transaction of the change that calls for them and
delivered afterwards through the configured sender, retried by the jobs runner until they go
through (seed 001: "系统将以短信方式通知被退回的预算单位")."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.sms import SmsSender, SmsSendError
from miniapp_api.transaction import commit_early
from models.base import utcnow
from models.sms import FAILED, PENDING, SENT, SmsMessage

log = logging.getLogger("miniapp.sms")
MAX_ATTEMPTS = 10
# a queued message waits this long for the request that queued it to deliver it, so that the
# jobs runner does not pick it up at the same time
FIRST_RETRY_AFTER = timedelta(minutes=2)
DELIVERIES_PER_RUN = 100


def queue_sms(session: Session, phone: str, text: str) -> SmsMessage:
    """Add a message to the outbox, in the caller's transaction (flush only)."""
    message = SmsMessage(phone=phone, text=text, next_attempt_at=utcnow() + FIRST_RETRY_AFTER)
    session.add(message)
    session.flush()
    return message


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2**attempts, 60))


def deliver_sms(session: Session, sender: SmsSender, message: SmsMessage, now: datetime) -> bool:
    """Hand one pending message to the sender and record how it went (flush only): sent, or
    tried again later, or failed for good after MAX_ATTEMPTS tries."""
    if message.status != PENDING:
        return False
    message.attempts += 1
    try:
        reference = sender.send(message.phone, message.text)
    except Exception as problem:  # whatever the provider raises, the message is tried again
        message.last_error = str(problem)[:200] or type(problem).__name__
        if message.attempts >= MAX_ATTEMPTS:
            message.status = FAILED
        else:
            message.next_attempt_at = now + _retry_delay(message.attempts)
        if not isinstance(problem, SmsSendError):
            log.exception("sms %s: the sender failed unexpectedly", message.id)
        log.warning("sms %s not sent (attempt %s): %s", message.id, message.attempts, problem)
        session.flush()
        return False
    message.status = SENT
    message.sent_at = now
    message.provider_reference = (reference or "")[:100] or None
    message.last_error = None
    session.flush()
    return True


def deliver_due_sms(session: Session, sender: SmsSender, now: datetime) -> int:
    """The jobs runner's step: deliver every pending message whose next try is due, each
    committed on its own (a job commits each row it claims); returns how many went out."""
    due = list(
        session.scalars(
            select(SmsMessage)
            .where(SmsMessage.status == PENDING, SmsMessage.next_attempt_at <= now)
            .order_by(SmsMessage.id)
            .limit(DELIVERIES_PER_RUN)
            .with_for_update(skip_locked=True)
        )
    )
    sent = 0
    for message in due:
        sent += deliver_sms(session, sender, message, now)
        commit_early(session, "a job commits each row it claims")
    return sent


def outbox_page(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[list[SmsMessage], str | None]:
    """The outbox, newest first, paged by id."""
    query = select(SmsMessage)
    if cursor:
        (before_id,) = decode_cursor(cursor, (ID,))
        query = query.where(SmsMessage.id < before_id)
    rows = list(session.scalars(query.order_by(SmsMessage.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda message: [message.id])
