"""Voucher batches (API.md "voucher batches"; DOMAIN.md rule 3): a union orders vouchers, the
platform records the union's payment, and only then do the codes exist and the money count.

The life of a batch: `unpaid` (created by a union admin) → `active` (mark-paid: codes generated,
one `union` entry of face value × quantity booked to the union's unit in the China year of
`paid_at`) → `expired` (the expiry job, once `valid_until` has passed). Redemption and spending
never count anything again (services.voucher_redemption, services.voucher_spending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, Forbidden, InvalidRequest, NotFound
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.ledger import book_entry
from miniapp_api.services.units import ensure_active
from miniapp_api.services.voucher_codes import CodeKeys, lookup_hash, new_codes, seal
from models.admin import PLATFORM_ADMIN, UNION_ADMIN, Admin
from models.ledger import UNION
from models.money import fen_to_yuan
from models.voucher import (
    BATCH_ACTIVE,
    BATCH_UNPAID,
    EXPIRED,
    REDEEMED,
    UNREDEEMED,
    VOIDED,
    Voucher,
    VoucherBatch,
)

MIN_FACE_VALUE, MAX_FACE_VALUE = 100, 1_000_000  # 1.00 .. 10,000.00 yuan
MAX_QUANTITY = 100_000
_INSERT_CHUNK = 5_000


@dataclass
class BatchFigures:
    """How a batch's vouchers stand (API.md): `outstanding` is the unspent balance of redeemed
    vouchers that can still be spent."""

    issued: int = 0
    redeemed: int = 0
    spent: int = 0
    outstanding: int = 0
    expired: int = 0
    voided: int = 0


def batch_reference(batch: VoucherBatch) -> str:
    """The ledger reference of a batch's `union` entry (what `GET .../entries` shows)."""
    return f"VB{batch.id:08d}"


def create_batch(
    session: Session,
    admin: Admin,
    *,
    title: str,
    face_value: int,
    quantity: int,
    valid_from: datetime,
    valid_until: datetime,
) -> VoucherBatch:
    """A union admin orders a batch for their unit's union; it stays `unpaid`, with no codes and
    nothing counted, until the platform records the payment (rule 3). The unit must still be
    active (rule 8): a merged unit's union orders as its successor, a revoked one no longer;
    a batch ordered before the change stays its unit's whenever it is paid, like an order."""
    if admin.role != UNION_ADMIN or admin.unit_id is None:
        raise Forbidden(details={"required_roles": [UNION_ADMIN]})
    ensure_active(
        admin.unit,
        merged="本单位已合并，请由合并后单位的工会订购提货券",
        revoked="本单位已撤销，不能订购提货券",
    )
    problems: dict[str, list[str]] = {}
    if not MIN_FACE_VALUE <= face_value <= MAX_FACE_VALUE:
        problems["face_value"] = ["面值须在 1.00 至 10000.00 元之间"]
    if not 1 <= quantity <= MAX_QUANTITY:
        problems["quantity"] = ["数量须在 1 至 100000 之间"]
    if valid_until <= valid_from:
        problems["valid_until"] = ["有效期截止时间须晚于开始时间"]
    if problems:
        raise InvalidRequest(details=problems)
    batch = VoucherBatch(
        unit_id=admin.unit_id,
        title=title,
        face_value=face_value,
        quantity=quantity,
        valid_from=valid_from,
        valid_until=valid_until,
        status=BATCH_UNPAID,
        created_by_id=admin.id,
    )
    session.add(batch)
    session.flush()
    record_admin_action(
        session,
        admin,
        "voucher_batch.create",
        target_type="voucher_batch",
        target_id=batch.id,
        target_name=title,
        unit=batch.unit,
        details={"face_value": fen_to_yuan(face_value), "quantity": quantity},
    )
    return batch


def batch_within_reach(
    session: Session, admin: Admin, batch_id: int, *, for_update: bool = False
) -> VoucherBatch:
    """The batch, if `admin` may see it: the platform every batch, a union admin its own
    union's. Anyone else's batch is 404 (saying it exists would leak it)."""
    if admin.role not in (PLATFORM_ADMIN, UNION_ADMIN):
        raise Forbidden(details={"required_roles": [PLATFORM_ADMIN, UNION_ADMIN]})
    statement = select(VoucherBatch).where(VoucherBatch.id == batch_id)
    if for_update:
        statement = statement.with_for_update(of=VoucherBatch).execution_options(
            populate_existing=True
        )
    batch = session.scalars(statement).unique().one_or_none()
    if batch is None or (admin.role == UNION_ADMIN and batch.unit_id != admin.unit_id):
        raise NotFound("voucher_batch_not_found", "提货券批次不存在")
    return batch


def list_batches(
    session: Session, admin: Admin, *, limit: int, cursor: str | None
) -> tuple[list[VoucherBatch], str | None]:
    """A union admin's own batches, or every union's for the platform; newest first."""
    if admin.role not in (PLATFORM_ADMIN, UNION_ADMIN):
        raise Forbidden(details={"required_roles": [PLATFORM_ADMIN, UNION_ADMIN]})
    statement = select(VoucherBatch).order_by(VoucherBatch.id.desc()).limit(limit + 1)
    if admin.role == UNION_ADMIN:
        statement = statement.where(VoucherBatch.unit_id == admin.unit_id)
    if cursor:
        (before_id,) = decode_cursor(cursor, (ID,))
        statement = statement.where(VoucherBatch.id < before_id)
    rows = list(session.scalars(statement).unique())
    return page_of(rows, limit, lambda batch: [batch.id])


def batch_figures(session: Session, batches: list[VoucherBatch]) -> dict[int, BatchFigures]:
    """Issued, redeemed, spent, outstanding, expired and voided, for each batch, in one query."""
    figures = {batch.id: BatchFigures() for batch in batches}
    if not batches:
        return figures
    redeemed = Voucher.employee_id.is_not(None)
    spendable = Voucher.status == REDEEMED
    rows = session.execute(
        select(
            Voucher.batch_id,
            func.count(),
            func.count(case((redeemed, 1))),
            func.coalesce(func.sum(case((redeemed, Voucher.balance), else_=0)), 0),
            func.coalesce(func.sum(case((spendable, Voucher.balance), else_=0)), 0),
            func.count(case((Voucher.status == EXPIRED, 1))),
            func.count(case((Voucher.status == VOIDED, 1))),
        )
        .where(Voucher.batch_id.in_(list(figures)))
        .group_by(Voucher.batch_id)
    )
    faces = {batch.id: batch.face_value for batch in batches}
    for batch_id, issued, redeemed_count, redeemed_balance, outstanding, expired, voided in rows:
        figures[batch_id] = BatchFigures(
            issued=issued,
            redeemed=redeemed_count,
            spent=redeemed_count * faces[batch_id] - int(redeemed_balance),
            outstanding=int(outstanding),
            expired=expired,
            voided=voided,
        )
    return figures


def mark_batch_paid(
    session: Session,
    admin: Admin,
    batch_id: int,
    *,
    paid_at: datetime,
    reference: str,
    amount: int,
    keys: CodeKeys,
    now: datetime,
) -> VoucherBatch:
    """The platform records the union's payment (rule 3: voucher money counts once, when the
    union pays for the batch). The batch becomes active, its codes are generated, and one
    `union` entry of face value × quantity counts to the union's unit in the China-time year of
    `paid_at` (rule 5). A batch paid already is 409 `invalid_state` and counts nothing."""
    if admin.role != PLATFORM_ADMIN:
        raise Forbidden(details={"required_roles": [PLATFORM_ADMIN]})
    batch = batch_within_reach(session, admin, batch_id, for_update=True)
    if batch.status != BATCH_UNPAID:
        raise Conflict("invalid_state", "该批次已确认付款", details={"state": batch.status})
    problems: dict[str, list[str]] = {}
    if amount != batch.amount:
        problems["amount"] = [f"付款金额须等于面值 × 数量：{fen_to_yuan(batch.amount)}"]
    if paid_at > now:
        problems["paid_at"] = ["付款时间不能晚于当前时间"]
    if problems:
        raise InvalidRequest(details=problems)
    batch.status = BATCH_ACTIVE
    batch.paid_at = paid_at
    batch.payment_reference = reference
    batch.paid_amount = amount
    session.flush()
    generate_codes(session, batch, keys)
    book_entry(
        session,
        unit_id=batch.unit_id,
        source=UNION,
        amount=batch.amount,
        occurred_at=paid_at,
        reference=batch_reference(batch),
    )
    record_admin_action(
        session,
        admin,
        "voucher_batch.mark_paid",
        target_type="voucher_batch",
        target_id=batch.id,
        target_name=batch.title,
        unit=batch.unit,
        details={
            "amount": fen_to_yuan(amount),
            "paid_at": paid_at.isoformat(),
            "reference": reference,
        },
    )
    return batch


def generate_codes(session: Session, batch: VoucherBatch, keys: CodeKeys) -> None:
    """The batch's `quantity` vouchers, in bulk: each code only as its keyed hash and sealed.
    PostgreSQL takes them through COPY (100,000 rows in about a second); SQLite through
    multi-row inserts."""
    codes, batch_id, face_value = new_codes(batch.quantity), batch.id, batch.face_value
    rows = (
        (batch_id, lookup_hash(keys, code), sealed, UNREDEEMED, face_value)
        for code, sealed in zip(codes, seal(keys, codes, batch_id), strict=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        driver = session.connection().connection.driver_connection
        with (
            driver.cursor() as cursor,
            cursor.copy(  # type: ignore[union-attr]
                "COPY vouchers (batch_id, code_hash, code_cipher, status, balance) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    columns = ("batch_id", "code_hash", "code_cipher", "status", "balance")
    values = [dict(zip(columns, row, strict=True)) for row in rows]
    for start in range(0, len(values), _INSERT_CHUNK):
        session.execute(insert(Voucher.__table__), values[start : start + _INSERT_CHUNK])
