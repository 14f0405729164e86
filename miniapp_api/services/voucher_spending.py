"""Spending vouchers on orders, for the orders service (API.md `voucher_ids` on `POST /orders`).

`hold_vouchers` takes what the caller's vouchers cover of an order, in the order's transaction;
`release_vouchers` gives it back when the order does not go through (cancelled, timed out,
refunded). Every change of a balance is a `VoucherSpend` row naming the voucher, the order and
the amount, so that a voucher's balance is always its face value minus its unreleased spends.

Rule 3 (DOMAIN.md): voucher money counted once, when the union paid for the batch. The part of an
order these functions cover must never be counted again: the orders side counts only the cash
part of an order as `personal`, and a refund reverses only the cash it refunds. Nothing here
books a ledger entry.

Concurrency: vouchers are locked `FOR UPDATE` in id order (so two orders naming the same
vouchers in different orders never wait for each other in a circle); SQLite serialises write
transactions. The `balance >= 0` check constraint is the last guard: two orders racing for one
voucher never take it below zero.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.errors import DomainError, InvalidRequest, NotFound
from models.voucher import REDEEMED, Voucher, VoucherSpend


class VoucherUnusable(DomainError):
    """One or more vouchers cannot pay now; `details.voucher_ids` names them and
    `details.reasons` says why for each (`used_up`, `expired`, `not_yet_valid`, `voided`)."""

    status = 422
    code = "voucher_unusable"
    message = "所选提货券不可用"


def hold_vouchers(
    session: Session,
    *,
    employee_id: int,
    voucher_ids: list[int],
    due: int,
    order_id: int,
    now: datetime,
) -> int:
    """Take up to `due` fen from the employee's own vouchers, in the order given, for `order_id`;
    returns the fen applied (at most `due`; what is left is due in cash).

    Each voucher must be in the employee's wallet (another employee's, or an unknown id, is 404
    `voucher_not_found` naming the ids) and usable at `now`: redeemed, not voided or expired,
    within its validity window, with a balance left (else 422 `voucher_unusable` naming the
    ids). A voucher listed after `due` is covered is left untouched. Rule 3: the fen this
    returns are never counted again; the orders side counts only the cash part as `personal`.
    """
    if not voucher_ids:
        return 0
    if len(set(voucher_ids)) != len(voucher_ids):
        raise InvalidRequest(details={"voucher_ids": ["同一张提货券不能重复使用"]})
    if due < 0:
        raise ValueError("due must not be negative")
    locked = {
        voucher.id: voucher
        for voucher in session.scalars(
            select(Voucher)
            .where(Voucher.id.in_(voucher_ids))
            .order_by(Voucher.id)
            .with_for_update(of=Voucher)
            .execution_options(populate_existing=True)
        ).unique()
    }
    strangers = [
        voucher_id
        for voucher_id in voucher_ids
        if voucher_id not in locked or locked[voucher_id].employee_id != employee_id
    ]
    if strangers:
        raise NotFound("voucher_not_found", "提货券不存在", details={"voucher_ids": strangers})
    reasons = {
        voucher_id: reason
        for voucher_id in voucher_ids
        if (reason := _unusable_reason(locked[voucher_id], now)) is not None
    }
    if reasons:
        raise VoucherUnusable(
            details={
                "voucher_ids": list(reasons),
                "reasons": {str(voucher_id): reason for voucher_id, reason in reasons.items()},
            }
        )
    applied = 0
    for voucher_id in voucher_ids:
        take = min(locked[voucher_id].balance, due - applied)
        if take <= 0:
            break
        locked[voucher_id].balance -= take
        session.add(
            VoucherSpend(voucher_id=voucher_id, order_id=order_id, amount=take, spent_at=now)
        )
        applied += take
    session.flush()
    return applied


def release_vouchers(session: Session, *, order_id: int, now: datetime) -> int:
    """The order did not go through (cancelled, timed out, refunded): each of its spends goes
    back to its voucher's balance; returns the fen released. A voucher past `valid_until` gets
    its balance back but stays expired (the wallet shows it so). Idempotent: a spend released
    once is not released again, so a second call returns 0. Rule 3: nothing here was counted,
    so nothing is reversed; only the cash part of a refund reverses a `personal` entry."""
    spends = list(
        session.scalars(
            select(VoucherSpend)
            .where(VoucherSpend.order_id == order_id, VoucherSpend.released_at.is_(None))
            .order_by(VoucherSpend.voucher_id, VoucherSpend.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not spends:
        return 0
    vouchers = {
        voucher.id: voucher
        for voucher in session.scalars(
            select(Voucher)
            .where(Voucher.id.in_({spend.voucher_id for spend in spends}))
            .order_by(Voucher.id)
            .with_for_update(of=Voucher)
            .execution_options(populate_existing=True)
        ).unique()
    }
    released = 0
    for spend in spends:
        vouchers[spend.voucher_id].balance += spend.amount
        spend.released_at = now
        released += spend.amount
    session.flush()
    return released


def order_voucher_amount(session: Session, order_id: int) -> int:
    """What vouchers currently pay towards an order (its unreleased spends), in fen."""
    return sum(
        session.scalars(
            select(VoucherSpend.amount).where(
                VoucherSpend.order_id == order_id, VoucherSpend.released_at.is_(None)
            )
        )
    )


def _unusable_reason(voucher: Voucher, now: datetime) -> str | None:
    if voucher.status != REDEEMED:
        return voucher.status  # voided or expired
    if now >= voucher.batch.valid_until:
        return "expired"
    if now < voucher.batch.valid_from:
        return "not_yet_valid"
    if voucher.balance <= 0:
        return "used_up"
    return None
