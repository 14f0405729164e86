"""WeChat Pay's payment notification (XML in, XML out; no token: the signature is checked)."""

import logging

from flask import Response, request
from flask_smorest import Blueprint
from sqlalchemy.exc import OperationalError

from miniapp_api.extensions import db
from miniapp_api.failures import log_failure
from miniapp_api.metrics import PAYMENT_NOTIFICATIONS
from miniapp_api.services.payments import NoticeOutcome, receive_notice
from miniapp_api.transaction import commit_early
from miniapp_api.wechat import wx_pay
from models.base import utcnow

log = logging.getLogger("miniapp.payments")

blp = Blueprint(
    "pay_notify", __name__, url_prefix="/api/v1/pay", description="WeChat Pay notifications"
)


@blp.route("/wechat/notify", methods=["POST"])
@blp.doc(
    requestBody={"content": {"application/xml": {"schema": {"type": "string"}}}},
    responses={
        "200": {
            "description": "`<xml><return_code>SUCCESS or FAIL</return_code>…</xml>`",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    },
)
def wechat_notify():
    """WeChat Pay v2 notification. SUCCESS when it was handled (or needs nothing: a failed
    payment, a duplicate); FAIL, changing nothing, when its signature, app id, merchant id,
    order number or amount does not match (WeChat then sends it again); FAIL too when the
    database cannot be reached, so that WeChat sends it again later."""
    gateway = wx_pay()
    try:
        outcome = receive_notice(db.session, gateway, request.get_data(), now=utcnow())
        commit_early(db.session, "WeChat's answer says whether the payment was counted")
    except OperationalError as error:
        db.session.rollback()
        log_failure(log, "payment notification not handled, answered FAIL", error=error)
        outcome = NoticeOutcome(False, "系统繁忙", "unavailable")
    PAYMENT_NOTIFICATIONS.labels(outcome.kind).inc()
    body, content_type = gateway.notice_answer(outcome.ok, outcome.message)
    return Response(body, status=200, content_type=content_type)
