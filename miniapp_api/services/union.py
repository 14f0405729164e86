"""A union's page: its size and welfare budget, and this year's progress against the union
standard (DOMAIN.md "Union standard", seed 004: at least 300 yuan per member a year, or 15% of
the annual welfare total, bought on the platform)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from miniapp_api.errors import Forbidden
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.totals import check_year, unit_figures
from models.admin import UNION_ADMIN, Admin
from models.money import fen_to_yuan
from models.unit import Unit
from models.voucher import UnionProfile

PER_MEMBER_TARGET = 30_000  # 300.00 yuan per member a year
WELFARE_SHARE_PERCENT = 15


@dataclass(frozen=True)
class UnionProgress:
    year: int
    spent: int
    per_member_target: int
    welfare_share_target: int
    met: bool


def union_unit(session: Session, admin: Admin) -> Unit:
    """The unit whose union `admin` speaks for (union admins only)."""
    if admin.role != UNION_ADMIN or admin.unit_id is None:
        raise Forbidden(details={"required_roles": [UNION_ADMIN]})
    return session.get(Unit, admin.unit_id)  # type: ignore[return-value]


def union_profile(session: Session, admin: Admin) -> UnionProfile:
    """The union's profile; zeros until it is first filled in."""
    unit = union_unit(session, admin)
    return session.get(UnionProfile, unit.id) or UnionProfile(
        unit_id=unit.id, member_count=0, welfare_total=0
    )


def update_union_profile(
    session: Session, admin: Admin, *, member_count: int, welfare_total: int
) -> UnionProfile:
    """Set the union's member count and annual welfare total (the bases of both targets)."""
    unit = union_unit(session, admin)
    profile = session.get(UnionProfile, unit.id, with_for_update=True)
    if profile is None:
        profile = UnionProfile(unit_id=unit.id)
        session.add(profile)
    profile.member_count = member_count
    profile.welfare_total = welfare_total
    session.flush()
    record_admin_action(
        session,
        admin,
        "union_profile.update",
        target_type="unit",
        target_id=unit.id,
        target_name=unit.name,
        unit=unit,
        details={"member_count": member_count, "welfare_total": fen_to_yuan(welfare_total)},
    )
    return profile


def union_progress(session: Session, admin: Admin, year: int) -> UnionProgress:
    """What the union bought on the platform in `year` (its unit's own `union` figure: the
    batches paid that year, rules 3 and 5) against the union standard: 300.00 × members, or
    15% of the welfare total (rounded half up to the fen). `met` once `spent` reaches either
    target; a target of zero (no members or no welfare total given) is not a target."""
    check_year(year)
    unit = union_unit(session, admin)
    profile = union_profile(session, admin)
    spent = unit_figures(session, unit, year).own.union
    per_member = PER_MEMBER_TARGET * profile.member_count
    welfare_share = (profile.welfare_total * WELFARE_SHARE_PERCENT + 50) // 100
    met = any(target > 0 and spent >= target for target in (per_member, welfare_share))
    return UnionProgress(year, spent, per_member, welfare_share, met)
