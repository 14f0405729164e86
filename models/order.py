"""Orders: what an employee bought from one supplier, and where it stands (DOMAIN.md rules 1-5).

An order copies everything that may change later: the prices and titles of its items, the
address it ships to, and the unit it counts to (rule 2, settled when it is placed). Its status
only changes through `miniapp_api.services.order_states`, the one place that knows the
transitions. Money is integer fen; the cash part is what WeChat Pay collects and what counts
as personal when the order completes (rule 3: the voucher part never does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.supplier import Supplier
from models.unit import Unit

PENDING_PAYMENT = "pending_payment"
PAID = "paid"
SHIPPED = "shipped"
COMPLETED = "completed"
REFUND_REQUESTED = "refund_requested"
CANCELLED = "cancelled"
REFUNDING = "refunding"
REFUNDED = "refunded"
ORDER_STATUSES = (
    PENDING_PAYMENT,
    PAID,
    SHIPPED,
    COMPLETED,
    REFUND_REQUESTED,
    CANCELLED,
    REFUNDING,
    REFUNDED,
)
# why a refund is under way: the buyer cancelled a paid order, an after-sales request was
# approved, or a payment arrived for an order already cancelled
REFUND_CANCEL, REFUND_AFTER_SALES, REFUND_LATE_PAYMENT = "cancel", "after_sales", "late_payment"
# which unit the order counts to, and why (rules 2 and 8)
UNIT_BOUND, UNIT_SUCCESSOR, UNIT_REVOKED, UNIT_NONE = "bound", "successor", "revoked", "unbound"
# WeChat's total_fee is a signed 32-bit integer
MAX_CASH_AMOUNT = 2**31 - 1


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_employee_id_id", "employee_id", "id"),
        Index("ix_orders_supplier_status_id", "supplier_id", "status", "id"),
        Index("ix_orders_status_id", "status", "id"),
        Index("ix_orders_status_placed_at", "status", "placed_at"),
        Index("ix_orders_status_shipped_at", "status", "shipped_at"),
        CheckConstraint("cash_amount >= 0 AND voucher_amount >= 0", name="amounts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(32), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    # the unit it counts to, settled when placed (rules 2, 8); None: counts to no unit
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    unit_reason: Mapped[str] = mapped_column(String(16), default=UNIT_NONE)
    status: Mapped[str] = mapped_column(String(20), default=PENDING_PAYMENT)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    voucher_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    cash_amount: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[dict[str, Any]] = mapped_column(JSON)
    # WeChat Pay: the prepaid order and the payment that settled it
    prepay_id: Mapped[str | None] = mapped_column(String(64))
    payment_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pay_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    transaction_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    carrier: Mapped[str | None] = mapped_column(String(50))
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    # refunds: why, WeChat's refund number, how much, and where it stands
    refund_kind: Mapped[str | None] = mapped_column(String(16))
    refund_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)
    refund_reason: Mapped[str | None] = mapped_column(String(200))
    refund_reject_reason: Mapped[str | None] = mapped_column(String(200))
    refund_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refund_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a job runner that took this order to WeChat holds it until then (see services/order_jobs)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="save-update, merge"
    )
    unit: Mapped[Unit | None] = relationship()
    supplier: Mapped[Supplier] = relationship()

    def __repr__(self) -> str:
        return f"<Order {self.order_no} {self.status}>"


class OrderItem(db.Model):
    """One SKU of an order, with its title, spec and price as they were when it was placed."""

    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    title: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str] = mapped_column(String(100))
    price: Mapped[int] = mapped_column(BigInteger)  # fen
    quantity: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")


class Address(db.Model):
    """An entry of an employee's address book. Orders copy it; editing it changes no order."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50))
    district: Mapped[str] = mapped_column(String(50))
    detail: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def as_copy(self) -> dict[str, str]:
        """What an order keeps of it."""
        return {
            "name": self.name,
            "phone": self.phone,
            "province": self.province,
            "city": self.city,
            "district": self.district,
            "detail": self.detail,
        }
