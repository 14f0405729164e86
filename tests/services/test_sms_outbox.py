"""The SMS outbox delivers through the configured sender and keeps trying until it gives up."""

from __future__ import annotations

from datetime import timedelta

from miniapp_api.services.sms import MAX_ATTEMPTS, deliver_due_sms, queue_sms
from miniapp_api.sms import OutboxSender, SmsSendError
from miniapp_api.transaction import unit_of_work
from models import SmsMessage, db
from models.base import utcnow


class DownProvider:
    def send(self, phone: str, text: str) -> str:
        raise SmsSendError("provider unavailable")


def queued() -> SmsMessage:
    with unit_of_work(db.session):
        message = queue_sms(db.session, "13800138000", "测试短信")
    return message


def test_a_queued_message_waits_for_the_request_that_queued_it_before_the_job_sends_it():
    message = queued()

    with unit_of_work(db.session):
        assert deliver_due_sms(db.session, OutboxSender(), utcnow()) == 0
    with unit_of_work(db.session):
        assert deliver_due_sms(db.session, OutboxSender(), utcnow() + timedelta(minutes=3)) == 1

    db.session.refresh(message)
    assert message.status == "sent" and message.sent_at is not None


def test_a_message_the_provider_keeps_refusing_is_given_up_after_the_last_attempt():
    message = queued()
    moment = utcnow()

    for _ in range(MAX_ATTEMPTS + 2):
        moment += timedelta(hours=2)
        with unit_of_work(db.session):
            deliver_due_sms(db.session, DownProvider(), moment)

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", MAX_ATTEMPTS)
    assert message.last_error == "provider unavailable"


def test_a_sender_that_crashes_is_tried_again_like_one_that_refuses():
    class Crashing:
        def send(self, phone: str, text: str) -> str:
            raise ConnectionError("connection reset")

    message = queued()

    with unit_of_work(db.session):
        deliver_due_sms(db.session, Crashing(), utcnow() + timedelta(minutes=3))

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "connection reset"
