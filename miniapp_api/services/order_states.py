"""The order's life (DOMAIN.md rules 1-5): every transition, and what each one changes, here.

    pending_payment --pay--> paid --ship--> shipped --complete--> completed
    pending_payment --cancel--> cancelled --late_payment--> refunding
    paid --cancel_paid--> refunding --refund_done--> refunded
    completed --request_refund--> refund_requested --approve_refund--> refunding
                                  refund_requested --reject_refund--> completed

A transition not in `TRANSITIONS` is 409 `invalid_state`. Callers hold the order's row lock
(`lock_order`) while they move it, so two transitions of one order never interleave. Nothing
here calls WeChat (services/payments.py does, around these).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, NotFound
from miniapp_api.services.catalog import record_sales, return_stock
from miniapp_api.services.ledger import book_entry, book_reversal, find_entry
from miniapp_api.services.voucher_spending import release_vouchers
from models.ledger import PERSONAL
from models.order import (
    CANCELLED,
    COMPLETED,
    PAID,
    PENDING_PAYMENT,
    REFUND_AFTER_SALES,
    REFUND_CANCEL,
    REFUND_LATE_PAYMENT,
    REFUND_REQUESTED,
    REFUNDED,
    REFUNDING,
    SHIPPED,
    Order,
)

log = logging.getLogger("miniapp.orders")

TRANSITIONS: dict[str, dict[str, str]] = {
    "pay": {PENDING_PAYMENT: PAID},
    "cancel": {PENDING_PAYMENT: CANCELLED},
    "cancel_paid": {PAID: REFUNDING},
    "late_payment": {CANCELLED: REFUNDING},
    "ship": {PAID: SHIPPED},
    "complete": {SHIPPED: COMPLETED},
    "request_refund": {COMPLETED: REFUND_REQUESTED},
    "approve_refund": {REFUND_REQUESTED: REFUNDING},
    "reject_refund": {REFUND_REQUESTED: COMPLETED},
    "refund_done": {REFUNDING: REFUNDED},
}


class InvalidState(Conflict):
    code = "invalid_state"
    message = "订单当前状态不允许该操作"

    def __init__(self, state: str) -> None:
        super().__init__(details={"state": state})


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "订单不存在"


def move(order: Order, event: str) -> None:
    """Apply one transition of the table above, or raise 409 invalid_state."""
    target = TRANSITIONS[event].get(order.status)
    if target is None:
        raise InvalidState(order.status)
    order.status = target


def lock_order(session: Session, order_no: str) -> Order:
    """The order, its row locked until the transaction ends, read afresh."""
    order = session.scalars(
        select(Order)
        .where(Order.order_no == order_no)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if order is None:
        raise OrderNotFound(details={"order_no": order_no})
    return order


# what a payment writes on the order besides its status
_PAYMENT_COLUMNS = ("transaction_id", "paid_at")


def _payment(transaction_id: str | None, paid_at: datetime) -> dict[str, Any]:
    return dict(zip(_PAYMENT_COLUMNS, (transaction_id, paid_at), strict=True))


def mark_paid(order: Order, *, transaction_id: str | None, paid_at: datetime) -> None:
    """A verified payment (or a voucher-only order) makes a pending order paid."""
    move(order, "pay")
    for name, value in _payment(transaction_id, paid_at).items():
        setattr(order, name, value)


def pay_if_pending(
    session: Session, order_no: str, *, transaction_id: str, amount: int, paid_at: datetime
) -> bool:
    """`record_verified_payment`'s usual case in one conditional UPDATE, without reading the
    order first: an order still pending, with no payment yet and `amount` as its cash part,
    becomes paid ("pay" in `TRANSITIONS`, with what `mark_paid` writes). False, changing
    nothing, in every other case (an unknown order, another amount, a duplicate, a cancelled
    order): the caller then locks the order and goes the whole way. A concurrent transition
    holds the row; the UPDATE waits for it and then sees the order as that one left it."""
    paid = session.execute(
        _pay_if_pending(),
        {"number": order_no, "amount": amount}
        | {f"new_{name}": value for name, value in _payment(transaction_id, paid_at).items()},
    )
    if paid.rowcount != 1:
        return False
    log.info("order %s paid", order_no)
    return True


@cache
def _pay_if_pending() -> Update:
    # built once (every notification runs it): building costs more CPU than running it
    ((source, target),) = TRANSITIONS["pay"].items()
    column = Order.__table__.c
    written = {name: bindparam(f"new_{name}", type_=column[name].type) for name in _PAYMENT_COLUMNS}
    return (
        update(Order)
        .where(
            Order.order_no == bindparam("number"),
            Order.status == source,
            Order.transaction_id.is_(None),
            Order.cash_amount == bindparam("amount"),
        )
        .values(status=target, **written)
        .execution_options(synchronize_session=False)
    )


def record_verified_payment(
    order: Order, *, transaction_id: str, paid_at: datetime, now: datetime
) -> bool:
    """A payment WeChat confirmed (the amount already checked) counts once: a pending order
    becomes paid; a cancelled one is refunded and never counted; anything else (a duplicate,
    a late copy) changes nothing. True when this changed the order."""
    if order.transaction_id is not None:
        if order.transaction_id != transaction_id:
            log.warning("order %s: a second WeChat transaction, left alone", order.order_no)
        return False
    if order.status == PENDING_PAYMENT:
        mark_paid(order, transaction_id=transaction_id, paid_at=paid_at)
        log.info("order %s paid", order.order_no)
        return True
    if order.status == CANCELLED:
        order.transaction_id = transaction_id
        order.paid_at = paid_at
        _begin_refund(order, "late_payment", REFUND_LATE_PAYMENT, now)
        log.info("order %s: paid after it was cancelled, refunding", order.order_no)
        return True
    return False


def cancel_unpaid(session: Session, order: Order, now: datetime) -> None:
    """An unpaid order is cancelled: its stock and vouchers are released."""
    move(order, "cancel")
    order.cancelled_at = now
    _release_goods(session, order, now)


def cancel_paid(session: Session, order: Order, now: datetime) -> None:
    """A paid order not shipped yet is cancelled and refunded in full; stock goes back."""
    _begin_refund(order, "cancel_paid", REFUND_CANCEL, now)
    order.cancelled_at = now
    _release_goods(session, order, now)
    _finish_if_nothing_to_pay_back(session, order, now)


def ship(order: Order, *, carrier: str, tracking_no: str, now: datetime) -> None:
    move(order, "ship")
    order.carrier = carrier
    order.tracking_no = tracking_no
    order.shipped_at = now


def complete(session: Session, order: Order, now: datetime) -> None:
    """Rules 1, 2, 3, 5: a received order counts now, its cash part only, as personal, to the
    unit copied onto it when it was placed, in the China-time year of `now`."""
    move(order, "complete")
    order.completed_at = now
    if order.unit_id is not None and order.cash_amount > 0:
        book_entry(
            session,
            unit_id=order.unit_id,
            source=PERSONAL,
            amount=order.cash_amount,
            occurred_at=now,
            reference=order.order_no,
            employee_id=order.employee_id,
        )
    for item in order.items:
        record_sales(session, item.product_id, item.quantity)


def request_refund(order: Order, *, reason: str, now: datetime) -> None:
    move(order, "request_refund")
    order.refund_reason = reason
    order.refund_reject_reason = None
    order.refund_requested_at = now


def reject_refund(order: Order, *, reason: str) -> None:
    move(order, "reject_refund")
    order.refund_reject_reason = reason


def approve_refund(session: Session, order: Order, now: datetime) -> None:
    _begin_refund(order, "approve_refund", REFUND_AFTER_SALES, now)
    release_vouchers(session, order_id=order.id, now=now)
    _finish_if_nothing_to_pay_back(session, order, now)


def finish_refund(session: Session, order: Order, now: datetime) -> None:
    """WeChat confirmed the refund. Rule 4: a refund of a counted order books its reversal,
    to the same unit and year as the entry it reverses."""
    move(order, "refund_done")
    order.refunded_at = now
    if order.refund_kind != REFUND_AFTER_SALES:
        return
    counted = find_entry(session, PERSONAL, order.order_no)
    if counted is not None and order.refund_amount:
        book_reversal(
            session,
            counted,
            amount=min(order.refund_amount, counted.amount),
            occurred_at=now,
            reference=f"{order.order_no}-refund",
        )


def _begin_refund(order: Order, event: str, kind: str, now: datetime) -> None:
    move(order, event)
    order.refund_kind = kind
    order.refund_no = f"{order.order_no}R"
    order.refund_amount = order.cash_amount if order.transaction_id else 0


def _finish_if_nothing_to_pay_back(session: Session, order: Order, now: datetime) -> None:
    """An order paid with vouchers only has no WeChat payment to refund."""
    if not order.refund_amount:
        finish_refund(session, order, now)


def _release_goods(session: Session, order: Order, now: datetime) -> None:
    for item in sorted(order.items, key=lambda item: item.sku_id):
        return_stock(session, item.sku_id, item.quantity)
    release_vouchers(session, order_id=order.id, now=now)
    session.flush()
