"""One voucher's life after its batch is paid: redeemed into an employee's wallet, voided by its
union while nobody holds it, expired once `valid_until` has passed (API.md "Voucher codes",
"Timers"). Nothing here counts money: a voucher's value counted once, when the union paid for
its batch (DOMAIN.md rule 3).

A typed code is found only through its keyed hash; an unknown code, a code of the wrong shape
and a code of another union all get the same answer, so that guessing learns nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, Forbidden, InvalidRequest, NotFound
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.voucher_codes import CodeKeys, lookup_hash, normalized
from miniapp_api.transaction import commit_early
from models.admin import UNION_ADMIN, Admin
from models.employee import Employee
from models.voucher import (
    BATCH_ACTIVE,
    BATCH_EXPIRED,
    EXPIRED,
    REDEEMED,
    UNREDEEMED,
    VOIDED,
    Voucher,
    VoucherBatch,
)

# what the wallet shows (API.md)
WALLET_ACTIVE, WALLET_USED_UP, WALLET_EXPIRED, WALLET_VOIDED = (
    "active",
    "used_up",
    "expired",
    "voided",
)


class VoucherNotFound(NotFound):
    code = "voucher_not_found"
    message = "提货券不存在"


def find_voucher(
    session: Session, keys: CodeKeys, typed: str, *, for_update: bool = False
) -> Voucher | None:
    """The voucher a typed code names (case, spaces and dashes ignored), or None."""
    code = normalized(typed)
    if code is None:
        return None
    statement = select(Voucher).where(Voucher.code_hash == lookup_hash(keys, code))
    if for_update:
        statement = statement.with_for_update(of=Voucher).execution_options(populate_existing=True)
    return session.scalars(statement).unique().one_or_none()


def redeem_voucher(
    session: Session, employee: Employee, typed: str, keys: CodeKeys, *, now: datetime
) -> Voucher:
    """Move the voucher a code names into `employee`'s wallet, once: of twenty employees racing
    for one code exactly one gets it (the row is locked, SQLite serialises the transactions).
    Redemption counts nothing (rule 3: the batch counted when the union paid for it)."""
    voucher = find_voucher(session, keys, typed, for_update=True)
    if voucher is None:
        raise VoucherNotFound()
    batch = voucher.batch
    if voucher.status == VOIDED:
        raise Conflict("voucher_voided", "该提货券已作废")
    if voucher.status == REDEEMED:
        raise Conflict("voucher_already_redeemed", "该提货券已被领取")
    if voucher.status == EXPIRED or now >= batch.valid_until:
        raise Conflict("voucher_expired", "该提货券已过期")
    if now < batch.valid_from:
        raise InvalidRequest(
            "voucher_not_yet_valid",
            "该提货券尚未到使用时间",
            details={"valid_from": batch.valid_from.isoformat()},
        )
    voucher.status = REDEEMED
    voucher.employee_id = employee.id
    voucher.redeemed_at = now
    # the wallet shows the last four characters; only now is the code known to the service
    voucher.code_tail = normalized(typed)[-4:]  # type: ignore[index]
    session.flush()
    return voucher


def void_voucher(
    session: Session, admin: Admin, typed: str, keys: CodeKeys, *, now: datetime
) -> Voucher:
    """A union voids a code of its own that nobody has redeemed (a lost or leaked code). Another
    union's code is `voucher_not_found`, as an unknown one; a redeemed, voided or expired one is
    409 `invalid_state`."""
    if admin.role != UNION_ADMIN:
        raise Forbidden(details={"required_roles": [UNION_ADMIN]})
    voucher = find_voucher(session, keys, typed, for_update=True)
    if voucher is None or voucher.batch.unit_id != admin.unit_id:
        raise VoucherNotFound()
    if voucher.status != UNREDEEMED:
        raise Conflict("invalid_state", "只能作废未领取的提货券", details={"state": voucher.status})
    voucher.status = VOIDED
    voucher.voided_at = now
    session.flush()
    record_admin_action(
        session,
        admin,
        "voucher.void",
        target_type="voucher",
        target_id=voucher.id,
        target_name=voucher.batch.title,
        unit=voucher.batch.unit,
        details={"batch_id": voucher.batch_id},
    )
    return voucher


def wallet_status(voucher: Voucher, now: datetime) -> str:
    """What the wallet shows for a voucher as of `now`: `voided`, `used_up` (no balance left),
    `expired` (past `valid_until`, whether or not the expiry job has run yet) or `active`."""
    if voucher.status == VOIDED:
        return WALLET_VOIDED
    if voucher.balance == 0:
        return WALLET_USED_UP
    if voucher.status == EXPIRED or now >= voucher.batch.valid_until:
        return WALLET_EXPIRED
    return WALLET_ACTIVE


def wallet(
    session: Session, employee_id: int, *, limit: int, cursor: str | None
) -> tuple[list[Voucher], str | None]:
    """The vouchers an employee redeemed, newest first."""
    statement = (
        select(Voucher)
        .where(Voucher.employee_id == employee_id)
        .order_by(Voucher.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        (before_id,) = decode_cursor(cursor, (ID,))
        statement = statement.where(Voucher.id < before_id)
    rows = list(session.scalars(statement).unique())
    return page_of(rows, limit, lambda voucher: [voucher.id])


def expire_vouchers(session: Session, now: datetime) -> int:
    """The expiry job (API.md "Timers"): every active batch past `valid_until` becomes
    `expired`, with its unredeemed and redeemed vouchers; each batch is committed as it is
    done. Returns how many vouchers expired. Expiry counts nothing back (rule 3)."""
    due = session.scalars(
        select(VoucherBatch.id)
        .where(VoucherBatch.status == BATCH_ACTIVE, VoucherBatch.valid_until <= now)
        .order_by(VoucherBatch.id)
    ).all()
    expired = 0
    for batch_id in due:
        claimed = session.execute(
            update(VoucherBatch)
            .where(VoucherBatch.id == batch_id, VoucherBatch.status == BATCH_ACTIVE)
            .values(status=BATCH_EXPIRED)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            result = session.execute(
                update(Voucher)
                .where(Voucher.batch_id == batch_id, Voucher.status.in_((UNREDEEMED, REDEEMED)))
                .values(status=EXPIRED)
            )
            expired += result.rowcount  # type: ignore[attr-defined]
        commit_early(session, "a job commits each row it claims")
    return expired
