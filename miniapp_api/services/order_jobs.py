"""The order timers (API.md "Timers"; rules 1 and 5), as jobs for miniapp_api.jobs.

Each job claims its orders one at a time, so any number of runners share the work without
doing anything twice: on PostgreSQL the claim is `FOR UPDATE SKIP LOCKED` (a row another
runner holds is passed over), on SQLite the write transaction serialises runners. A job that
needs no WeChat call (auto-completion) changes the claimed order and commits it. A job that
calls WeChat cannot hold the row lock across the call: its claim sets a short lease
(`lease_until`) and commits; other runners pass over leased orders; the lease is dropped when
the order is done, whatever the outcome, so a failure is retried on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from miniapp_api.services import order_states, payments
from miniapp_api.transaction import commit_early, roll_back_early
from models.base import utcnow
from models.order import PENDING_PAYMENT, REFUNDING, SHIPPED, Order
from wx_client import WxError
from wx_client.pay import PaymentGateway

log = logging.getLogger("miniapp.jobs.orders")

LEASE = timedelta(minutes=2)
# how long after handing out payment parameters an unpaid order is asked about
QUERY_AFTER = timedelta(minutes=5)
# how many orders one job run takes at most (the next run goes on)
BATCH = 500


def _claim_next(session: Session, condition, after_id: int, *, lease: bool) -> Order | None:
    """The next order matching `condition` that no other runner holds, locked."""
    statement = select(Order).where(condition, Order.id > after_id)
    if lease:
        statement = statement.where(or_(Order.lease_until.is_(None), Order.lease_until <= utcnow()))
    return session.scalars(
        statement.order_by(Order.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).one_or_none()


def complete_shipped_orders(session: Session, now: datetime, *, days: int) -> int:
    """Rules 1 and 5: a shipped order completes `days` after shipping, counting as of `now`."""
    cutoff = now - timedelta(days=days)
    done, last_id = 0, 0
    while done < BATCH:
        order = _claim_next(
            session, (Order.status == SHIPPED) & (Order.shipped_at <= cutoff), last_id, lease=False
        )
        if order is None:
            break
        last_id = order.id
        order_states.complete(session, order, now)
        session.flush()
        log.info("complete_shipped_orders: %s completed", order.order_no)
        commit_early(session, "a job commits each order it claims")
        done += 1
    return done


def _each_leased(session: Session, condition, work: Callable[[str], bool], job: str) -> int:
    """Claim matching orders one by one under a lease, run `work(order_no)` (which may call
    WeChat), drop the lease. Returns how many `work` changed."""
    changed, last_id, seen = 0, 0, 0
    while seen < BATCH:
        order = _claim_next(session, condition, last_id, lease=True)
        if order is None:
            break
        seen += 1
        last_id, order_no = order.id, order.order_no
        order.lease_until = utcnow() + LEASE
        commit_early(session, "a job commits each order it claims")
        try:
            if work(order_no):
                changed += 1
                log.info("%s: %s done", job, order_no)
        except WxError as exc:
            roll_back_early(session, "a job drops the failed work on the order it claimed")
            log.warning("%s: %s left for the next run (%s)", job, order_no, exc)
        session.execute(update(Order).where(Order.order_no == order_no).values(lease_until=None))
        commit_early(session, "a job commits each order it claims")
    return changed


def cancel_unpaid_orders(session: Session, gateway: PaymentGateway, now: datetime) -> int:
    """Unpaid orders past their payment time are cancelled (after asking WeChat)."""

    def cancel(order_no: str) -> bool:
        order = payments.cancel_unpaid_order(session, gateway, order_no, now=now)
        return order.status != PENDING_PAYMENT

    condition = (Order.status == PENDING_PAYMENT) & (Order.pay_expires_at <= now)
    return _each_leased(session, condition, cancel, "cancel_unpaid_orders")


def query_pending_payments(session: Session, gateway: PaymentGateway, now: datetime) -> int:
    """Orders still unpaid a while after their payment parameters were handed out: WeChat is
    asked, in case its notification never arrived."""

    def query(order_no: str) -> bool:
        commit_early(session, payments.BEFORE_WECHAT)
        state = gateway.query_payment(order_no)
        if not state.paid:
            return False
        order = payments.settle_from_query(session, gateway, order_no, state, now)
        return order.status != PENDING_PAYMENT

    condition = (
        (Order.status == PENDING_PAYMENT)
        & Order.prepay_id.is_not(None)
        & (Order.payment_opened_at <= now - QUERY_AFTER)
        & (Order.pay_expires_at > now)
    )
    return _each_leased(session, condition, query, "query_pending_payments")


def follow_refunds(session: Session, gateway: PaymentGateway, now: datetime) -> int:
    """Refunding orders: a refund WeChat has not accepted yet is asked for again; an accepted
    one is confirmed by a refund query (then the order is refunded, and reversed, rule 4)."""

    def follow(order_no: str) -> bool:
        order = session.scalars(select(Order).where(Order.order_no == order_no)).one()
        submitted = order.refund_submitted_at is not None
        if not submitted and not payments.submit_refund(session, gateway, order_no, now):
            return False
        return payments.confirm_refund(session, gateway, order_no, now)

    return _each_leased(session, Order.status == REFUNDING, follow, "follow_refunds")
