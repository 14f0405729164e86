"""Union pickup vouchers (工会提货券, seed 001 section 五, 方案二): batches a union buys, the codes
in them, what each voucher paid towards orders, and the union's profile for the union standard.

A code is never stored as itself: `code_hash` (HMAC with VOUCHER_CODE_KEY) finds it, and
`code_cipher` (AES-GCM under a key derived from VOUCHER_CODE_KEY) is only opened for the union's
`codes.xlsx`. A copy of the database alone gives no usable code. `code_tail` (the last four
characters, for the wallet's masked code) is written only when an employee redeems the code.

Money is int fen. A voucher's `balance` only changes through miniapp_api.services.voucher_spending,
which records every change as a `VoucherSpend` (taken when an order holds it, released when the
order does not go through).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.unit import Unit

# batch statuses (API.md)
BATCH_UNPAID, BATCH_ACTIVE, BATCH_EXPIRED = "unpaid", "active", "expired"
# voucher states as stored; the wallet shows active / used_up / expired / voided
UNREDEEMED, REDEEMED, VOIDED, EXPIRED = "unredeemed", "redeemed", "voided", "expired"


class VoucherBatch(db.Model):
    """Vouchers a union ordered: unpaid until the platform records the union's payment; then
    active, with its codes, and counted once as `union` in the year of `paid_at` (rule 3)."""

    __tablename__ = "voucher_batches"
    __table_args__ = (
        CheckConstraint("face_value > 0", name="face_value_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_voucher_batches_unit_id_id", "unit_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # the unit whose union bought the batch; the `union` entry counts to it
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(100))
    face_value: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=BATCH_UNPAID)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def amount(self) -> int:
        """What the union pays for the batch: face value × quantity."""
        return self.face_value * self.quantity

    def __repr__(self) -> str:
        return f"<VoucherBatch {self.id} {self.status} {self.face_value}x{self.quantity}>"


class Voucher(db.Model):
    """One code of an active batch; in an employee's wallet once redeemed."""

    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        Index("ix_vouchers_batch_id_status", "batch_id", "status"),
        Index("ix_vouchers_employee_id_id", "employee_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("voucher_batches.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    code_tail: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default=UNREDEEMED)
    balance: Mapped[int] = mapped_column(BigInteger)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    batch: Mapped[VoucherBatch] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Voucher {self.id} batch={self.batch_id} {self.status} {self.balance}>"


class VoucherSpend(db.Model):
    """Fen a voucher paid towards an order. `order_id` names the order without a foreign key
    (the orders table lives in its own module); `released_at` is set when the order did not go
    through and the amount went back to the voucher."""

    __tablename__ = "voucher_spends"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_voucher_spends_order_id", "order_id"),
        Index("ix_voucher_spends_voucher_id", "voucher_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"))
    order_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    spent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UnionProfile(db.Model):
    """A union's size and welfare budget, for the union standard (seed 004: 300 yuan per member
    or 15% of the welfare total a year)."""

    __tablename__ = "union_profiles"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    welfare_total: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
