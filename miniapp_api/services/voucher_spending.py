"""Placeholder for wallet vouchers spent on orders (built on another branch; replaced at merge).

Orders call these two functions with these signatures; until the real module lands, an order
with vouchers is refused and releasing holds nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from miniapp_api.errors import InvalidRequest


def hold_vouchers(
    session: Session,
    *,
    employee_id: int,
    voucher_ids: list[int],
    due: int,
    order_id: int,
    now: datetime,
) -> int:
    """Apply the employee's vouchers to an order; returns the fen applied (at most `due`)."""
    if voucher_ids:
        raise InvalidRequest(details={"voucher_ids": ["提货券暂不可用"]})
    return 0


def release_vouchers(session: Session, *, order_id: int, now: datetime) -> int:
    """Give back what an order held (cancel, timeout, refund); returns the fen released."""
    return 0
