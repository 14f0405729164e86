"""The ledger: every counted amount once (entries), and the running totals kept in step with it.

Entries are append-only. A refund is a new, negative entry that names the entry it reverses and
lands in that entry's unit and year (rule 4). The year is stored with the entry, computed once
from the moment that counts in Asia/Shanghai (rule 5), so that every figure groups on it.

Totals are kept per unit, year, source and *slot*. Each row carries the unit's own amount and
the amount of the unit's whole subtree (itself and everything below it, rule 7). A booking
adds to one row of the booked unit and to one row of each of its ancestors, all in the same
slot, picked at random among `TOTAL_SLOTS`: concurrent bookings anywhere below a province
then rarely touch the same province row, so they do not queue behind one hot row. A figure is
the sum over the slots (at most `TOTAL_SLOTS` rows per source), which stays a few index reads
however many units or entries lie below. Only miniapp_api.services.ledger writes either table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

CANTEEN, UNION, PERSONAL = "canteen", "union", "personal"
SOURCES = (CANTEEN, UNION, PERSONAL)
# Enough that 16 concurrent bookings under one ancestor seldom meet on a row; few enough that
# reading a figure stays a handful of rows.
TOTAL_SLOTS = 32


class Entry(db.Model):
    """One counted amount, in fen: positive when booked, negative when it reverses another."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # the same order, batch or import row can never count twice (retries, duplicate messages)
        UniqueConstraint("source", "reference", name="uq_ledger_entries_source_reference"),
        Index("ix_ledger_entries_unit_year", "unit_id", "year", "id"),
        Index("ix_ledger_entries_employee_year", "employee_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    # what it comes from: an order number, a voucher batch, an import's order number, a refund
    reference: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    # personal entries: the employee whose purchase it is (GET /me/contribution)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Entry {self.id} {self.source} {self.amount} unit={self.unit_id} {self.year}>"


class UnitTotal(db.Model):
    """One slot of a unit's running totals for a year and a source (see the module docstring)."""

    __tablename__ = "unit_totals"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    own_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    subtree_amount: Mapped[int] = mapped_column(BigInteger, default=0)
