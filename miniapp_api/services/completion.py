"""A unit's confirmed reserved share and how far its annual total has come towards it
(DOMAIN.md: reserved share; rule 6: every source adds to the annual total)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ratio import rate_of
from models.reserved_share import CONFIRMED, ReservedShare


def confirmed_shares(session: Session, unit_ids: list[int], year: int) -> dict[int, int | None]:
    """unit id -> the reserved share of its confirmed filing for `year` (None for a confirmed
    filing without a canteen); units without a confirmed filing are absent."""
    if not unit_ids:
        return {}
    rows = session.execute(
        select(ReservedShare.unit_id, ReservedShare.reserved_share).where(
            ReservedShare.unit_id.in_(unit_ids),
            ReservedShare.year == year,
            ReservedShare.status == CONFIRMED,
        )
    )
    return {unit_id: share for unit_id, share in rows}


def confirmed_share(session: Session, unit_id: int, year: int) -> int | None:
    """The unit's confirmed reserved share for `year`, or None."""
    return confirmed_shares(session, [unit_id], year).get(unit_id)


def completion_rate(annual_total: int, reserved_share: int | None) -> str | None:
    """Annual total ÷ confirmed reserved share, as a percent with two decimals ("104.17");
    None without a confirmed share or when it is zero."""
    if reserved_share is None:
        return None
    return rate_of(annual_total, reserved_share)
