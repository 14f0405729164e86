"""WeChat Pay around the order's life (DOMAIN.md, "Payment by WeChat Pay"; rules 1 and 4).

Every function here calls the payment gateway, so each commits the order's state first
(`commit_early`) and holds no row lock across the call; after the call it locks the order
again, reads it afresh and moves it through services/order_states.py. Values needed for the
call are read into locals before committing: touching an expired ORM attribute afterwards
would begin a new transaction (on SQLite, a write lock) across the call.

An order becomes paid only from a notification or an order query whose signature, app id,
merchant id and amount were checked. A payment WeChat reports for an order already cancelled
is refunded and never counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict
from miniapp_api.services import order_states
from miniapp_api.services.order_states import InvalidState, lock_order
from miniapp_api.transaction import commit_early
from models.employee import Employee
from models.order import PAID, PENDING_PAYMENT, REFUNDING, Order
from wx_client import WxError
from wx_client.pay import NoticeRejected, PaymentGateway, PaymentState

log = logging.getLogger("miniapp.payments")

BEFORE_WECHAT = "the order's state is committed before WeChat Pay is called"


class PaymentExpired(Conflict):
    code = "payment_expired"
    message = "订单已超过支付时限，请重新下单"


@dataclass(frozen=True)
class NoticeOutcome:
    ok: bool
    message: str = "OK"
    # for the metrics: verified (a payment, duplicate or late copy), result_fail, rejected
    kind: str = "verified"


@dataclass(frozen=True)
class PaymentRequest:
    """What WeChat's prepaid order is opened with, read from the order before committing."""

    order_no: str
    amount: int
    description: str
    openid: str
    expires_at: datetime


def payment_request(session: Session, order: Order) -> PaymentRequest:
    openid = session.get(Employee, order.employee_id).openid  # type: ignore[union-attr]
    return PaymentRequest(
        order_no=order.order_no,
        amount=order.cash_amount,
        description=(order.items[0].title if order.items else "832平台商品")[:40],
        openid=openid,
        expires_at=order.pay_expires_at,
    )


def payment_params(
    session: Session, gateway: PaymentGateway, order_no: str, *, client_ip: str, now: datetime
) -> dict[str, str]:
    """The signed `wx.requestPayment` parameters of an unpaid order. The prepaid WeChat order
    is opened once; later calls sign its stored prepay_id again."""
    order = session.scalars(select(Order).where(Order.order_no == order_no)).one()
    if order.status != PENDING_PAYMENT:
        raise InvalidState(order.status)
    if now >= order.pay_expires_at:
        raise PaymentExpired(details={"pay_expires_at": order.pay_expires_at.isoformat()})
    if order.prepay_id:
        return gateway.payment_params(order.prepay_id, order_no)
    return open_payment(
        session, gateway, payment_request(session, order), client_ip=client_ip, now=now
    )


def open_payment(
    session: Session,
    gateway: PaymentGateway,
    wanted: PaymentRequest,
    *,
    client_ip: str,
    now: datetime,
) -> dict[str, str]:
    """Commit what the session holds, open WeChat's prepaid order (holding no lock), keep its
    prepay id (the first one kept wins: WeChat answers the same order number with the same
    prepay id) and answer the signed `wx.requestPayment` parameters."""
    commit_early(session, BEFORE_WECHAT)
    prepay_id = gateway.open_payment(
        order_no=wanted.order_no,
        amount=wanted.amount,
        description=wanted.description,
        openid=wanted.openid,
        client_ip=client_ip,
        expires_at=wanted.expires_at,
    )
    kept = session.execute(
        _keep_prepay_id(), {"number": wanted.order_no, "prepay": prepay_id, "now": now}
    )
    if kept.rowcount == 0:
        prepay_id = session.scalar(select(Order.prepay_id).where(Order.order_no == wanted.order_no))
    return gateway.payment_params(prepay_id, wanted.order_no)  # type: ignore[arg-type]


@cache
def _keep_prepay_id() -> Update:
    # built once (every order runs it): building a statement costs more CPU than running it
    return (
        update(Order)
        .where(Order.order_no == bindparam("number"), Order.prepay_id.is_(None))
        .values(
            prepay_id=bindparam("prepay", type_=Order.prepay_id.type),
            payment_opened_at=bindparam("now", type_=Order.payment_opened_at.type),
        )
        .execution_options(synchronize_session=False)
    )


def receive_notice(
    session: Session, gateway: PaymentGateway, body: bytes, *, now: datetime
) -> NoticeOutcome:
    """WeChat's payment notification: counted once when verified and matching; anything
    unverifiable or not matching changes nothing and is answered FAIL (WeChat then sends it
    again); a payment that failed, a duplicate or a late copy is answered SUCCESS."""
    try:
        notice = gateway.parse_notice(body)
    except NoticeRejected as exc:
        log.warning("payment notification rejected: %s", exc)
        return NoticeOutcome(False, "签名或商户信息不符", "rejected")
    if not notice.success:
        log.info("payment notification for %s: payment failed", notice.out_trade_no)
        return NoticeOutcome(True, kind="result_fail")
    if (
        notice.transaction_id
        and notice.total_fee is not None
        and order_states.pay_if_pending(
            session,
            notice.out_trade_no,
            transaction_id=notice.transaction_id,
            amount=notice.total_fee,
            paid_at=notice.paid_at or now,
        )
    ):
        return NoticeOutcome(True)
    try:
        order = lock_order(session, notice.out_trade_no)
    except order_states.OrderNotFound:
        log.warning("payment notification for unknown order %s", notice.out_trade_no)
        return NoticeOutcome(False, "订单不存在", "rejected")
    if notice.total_fee != order.cash_amount or not notice.transaction_id:
        log.warning("payment notification for %s: amount does not match", order.order_no)
        return NoticeOutcome(False, "金额不符", "rejected")
    order_states.record_verified_payment(
        order,
        transaction_id=notice.transaction_id,
        paid_at=notice.paid_at or now,
        now=now,
    )
    session.flush()
    _send_refund_if_due(session, gateway, order, now)
    return NoticeOutcome(True)


def settle_from_query(
    session: Session, gateway: PaymentGateway, order_no: str, state: PaymentState, now: datetime
) -> Order:
    """Apply what an order query (already verified by the gateway) said, under the row lock."""
    order = lock_order(session, order_no)
    if state.paid and state.transaction_id and state.total_fee == order.cash_amount:
        order_states.record_verified_payment(
            order, transaction_id=state.transaction_id, paid_at=state.paid_at or now, now=now
        )
        session.flush()
    elif state.paid:
        log.warning("order %s: WeChat reports another amount, not counted", order_no)
    return order


def cancel_unpaid_order(
    session: Session, gateway: PaymentGateway, order_no: str, *, now: datetime
) -> Order:
    """Cancel an unpaid order (the buyer, or the payment timeout): WeChat is asked first, and
    an order it reports paid becomes paid instead; otherwise the WeChat order is closed (so it
    can no longer be paid) and stock and vouchers are released. Raises WxError, changing
    nothing, when WeChat cannot be asked."""
    # asked even without a stored prepay id: checkout may have timed out after WeChat opened it
    commit_early(session, BEFORE_WECHAT)
    state = gateway.query_payment(order_no)
    if not state.paid and state.trade_state != "NOTEXIST":
        state = gateway.close_payment(order_no) or state
    if state.paid:
        order = settle_from_query(session, gateway, order_no, state, now)
        if order.status != PENDING_PAYMENT:
            return order
    order = lock_order(session, order_no)
    if order.status == PENDING_PAYMENT:
        order_states.cancel_unpaid(session, order, now)
    return order


def cancel_order(
    session: Session, gateway: PaymentGateway, order_no: str, *, now: datetime
) -> Order:
    """The buyer cancels: an unpaid order as above; a paid one not yet shipped is refunded."""
    order = session.scalars(select(Order).where(Order.order_no == order_no)).one()
    if order.status == PENDING_PAYMENT:
        return cancel_unpaid_order(session, gateway, order_no, now=now)
    order = lock_order(session, order_no)
    if order.status != PAID:
        raise InvalidState(order.status)
    order_states.cancel_paid(session, order, now)
    _send_refund_if_due(session, gateway, order, now)
    return order


def approve_refund(
    session: Session, gateway: PaymentGateway, order: Order, *, now: datetime
) -> Order:
    """An after-sales refund approved: refunding now, reversed when WeChat confirms (rule 4).
    The caller has locked the order and recorded the approval in this transaction."""
    order_states.approve_refund(session, order, now)
    _send_refund_if_due(session, gateway, order, now)
    return order


def submit_refund(session: Session, gateway: PaymentGateway, order_no: str, now: datetime) -> bool:
    """Ask WeChat for the refund of a refunding order (idempotent per refund number). On a
    failure the order stays refunding and the refunds job tries again. True when accepted."""
    order = session.scalars(select(Order).where(Order.order_no == order_no)).one()
    if order.status != REFUNDING or order.refund_submitted_at is not None:
        return False
    refund_no, total, amount = order.refund_no, order.cash_amount, order.refund_amount
    commit_early(session, BEFORE_WECHAT)
    try:
        gateway.refund(order_no=order_no, refund_no=refund_no, total=total, amount=amount)  # type: ignore[arg-type]
    except WxError as exc:
        log.warning("refund of %s not accepted (%s); the refunds job retries", order_no, exc)
        return False
    order = lock_order(session, order_no)
    if order.status == REFUNDING and order.refund_submitted_at is None:
        order.refund_submitted_at = now
        session.flush()
    return True


def confirm_refund(session: Session, gateway: PaymentGateway, order_no: str, now: datetime) -> bool:
    """Ask WeChat whether a submitted refund was paid back; if so the order is refunded."""
    order = session.scalars(select(Order).where(Order.order_no == order_no)).one()
    refund_no = order.refund_no
    commit_early(session, BEFORE_WECHAT)
    if not gateway.refund_succeeded(refund_no):  # type: ignore[arg-type]
        return False
    order = lock_order(session, order_no)
    if order.status != REFUNDING:
        return False
    order_states.finish_refund(session, order, now)
    session.flush()
    return True


def _send_refund_if_due(
    session: Session, gateway: PaymentGateway, order: Order, now: datetime
) -> None:
    if order.status == REFUNDING and order.refund_amount and order.refund_submitted_at is None:
        submit_refund(session, gateway, order.order_no, now)
