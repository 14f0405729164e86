"""Reserved-share filing (预留份额填报): one filing per unit and year, the moves it went through,
and the minimum-ratio policies that units set for their subtree (DOMAIN.md, seeds 001, 003, 004).

Ratios are integer hundredths of a percent (models/ratio.py), amounts integer fen.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, utcnow
from models.unit import Unit

UNFILED, DRAFT, SUBMITTED, CONFIRMED, RETURNED = (
    "unfiled",
    "draft",
    "submitted",
    "confirmed",
    "returned",
)
# `unfiled` is no row at all: a unit that has not saved its filing for the year
FILING_STATUSES = (UNFILED, DRAFT, SUBMITTED, CONFIRMED, RETURNED)
STATUS_LABELS = {
    UNFILED: "未填报",
    DRAFT: "未提交",
    SUBMITTED: "待上级确认",
    CONFIRMED: "已确认",
    RETURNED: "已退回",
}
SAVE, SUBMIT, CONFIRM, RETURN = "save", "submit", "confirm", "return"
FILING_ACTIONS = (SAVE, SUBMIT, CONFIRM, RETURN)

REMARK_MAX = 50
NO_CANTEEN = "无食堂"
# 共用XX单位食堂 / 共用XX食堂, spaces around XX tolerated (seed 003 writes "共用 XX 单位食堂")
_SHARED_CANTEEN = re.compile(r"^共用\s*(?P<unit>.*?)\s*(?:单位)?食堂$")
REMARK_FORMS = "“无食堂”、“共用XX单位食堂”或“共用XX食堂”"


def remark_problem(has_canteen: bool, remark: str | None) -> str | None:
    """What is wrong with the remark, or None. Without a canteen the remark must be exactly
    `无食堂` or name the shared canteen's unit (seed 003: "不可注明为'无饭堂'或其他文字")."""
    remark = (remark or "").strip()
    if len(remark) > REMARK_MAX:
        return f"备注最多{REMARK_MAX}个字"
    if has_canteen:
        if remark == NO_CANTEEN:
            return "有食堂时备注不能为“无食堂”"
        return None
    if not remark:
        return f"无食堂时须填写备注：{REMARK_FORMS}"
    if remark == NO_CANTEEN:
        return None
    match = _SHARED_CANTEEN.match(remark)
    if match is None:
        return f"无食堂时备注只能为{REMARK_FORMS}"
    if not match.group("unit").strip():
        return "共用食堂须写明共用哪个单位的食堂（XX不能为空）"
    return None


class ReservedShare(db.Model):
    """One unit's filing for one year. `reserved_share` and `union_planned` are computed when it
    is saved and kept apart: the union plan is never added to the canteen share (rule 6)."""

    __tablename__ = "reserved_shares"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_reserved_shares_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    has_canteen: Mapped[bool] = mapped_column()
    canteen_total: Mapped[int | None] = mapped_column(BigInteger)
    reserved_ratio: Mapped[int | None] = mapped_column()  # hundredths of a percent
    reserved_share: Mapped[int | None] = mapped_column(BigInteger)
    has_union_need: Mapped[bool] = mapped_column(default=False)
    union_total: Mapped[int | None] = mapped_column(BigInteger)
    union_ratio: Mapped[int | None] = mapped_column()
    union_planned: Mapped[int | None] = mapped_column(BigInteger)
    remark: Mapped[str | None] = mapped_column(String(REMARK_MAX))
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_mobile: Mapped[str] = mapped_column(String(20))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    return_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    events: Mapped[list[ReservedShareEvent]] = relationship(
        order_by="ReservedShareEvent.id", lazy="selectin"
    )


class ReservedShareEvent(db.Model):
    """One move of a filing: who, when, what, and the reason of a return. Append-only."""

    __tablename__ = "reserved_share_events"
    __table_args__ = (Index("ix_reserved_share_events_filing_id", "filing_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("reserved_shares.id"))
    action: Mapped[str] = mapped_column(String(16))
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id"))
    admin_username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(200))


class SharePolicy(db.Model):
    """A unit's minimum for its subtree from `year` on (until a policy of a later year on the
    same unit replaces it): the reserved ratio's floor, and whether the share may not fall
    below the unit's confirmed share of the year before (seed 004)."""

    __tablename__ = "share_policies"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_share_policies_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column()
    min_ratio: Mapped[int] = mapped_column()  # hundredths of a percent
    not_below_last_year: Mapped[bool] = mapped_column(default=False)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("admins.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
