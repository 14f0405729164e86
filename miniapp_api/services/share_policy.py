"""Minimum-ratio policies as data (DOMAIN.md, reserved-share filing): a unit's policy holds for
its whole subtree, from its year until a policy of a later year on the same unit replaces it.
Along a unit's path the strictest applies, so a city cannot loosen its province's minimum, and
nothing goes below the national 10% (财办库〔2023〕45号)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniapp_api.errors import Forbidden, InvalidRequest
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.totals import check_year
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, Admin
from models.ratio import hundredths_to_percent
from models.reserved_share import SharePolicy
from models.unit import Unit

NATIONAL_MIN_RATIO = 1000  # 10.00%, in hundredths of a percent
NATIONAL_SOURCE = "全国（财办库〔2023〕45号）"


@dataclass(frozen=True)
class EffectivePolicy:
    """What a filing of `year` must meet, and whose policy each part comes from (None: the
    national floor)."""

    min_ratio: int
    min_ratio_from: Unit | None
    not_below_last_year: bool
    not_below_last_year_from: Unit | None

    def source_name(self, unit: Unit | None) -> str:
        return unit.name if unit is not None else NATIONAL_SOURCE


def effective_policy(session: Session, unit: Unit, year: int) -> EffectivePolicy:
    """The strictest of the policies in force for `year` on the unit and every unit above it,
    and never below the national floor."""
    path_ids = [int(part) for part in unit.path.split("/")[:-1]]
    rows = session.scalars(
        select(SharePolicy)
        .where(SharePolicy.unit_id.in_(path_ids), SharePolicy.year <= year)
        .order_by(SharePolicy.unit_id, SharePolicy.year)
    )
    in_force: dict[int, SharePolicy] = {}
    for policy in rows:  # the latest year wins per unit
        in_force[policy.unit_id] = policy
    min_ratio, min_from = NATIONAL_MIN_RATIO, None
    last_year_from = None
    for unit_id in path_ids:  # from the root down: the highest unit names the rule
        policy = in_force.get(unit_id)
        if policy is None:
            continue
        if policy.min_ratio > min_ratio:
            min_ratio, min_from = policy.min_ratio, policy.unit
        if policy.not_below_last_year and last_year_from is None:
            last_year_from = policy.unit
    return EffectivePolicy(min_ratio, min_from, last_year_from is not None, last_year_from)


def may_set_policy(admin: Admin, unit: Unit) -> None:
    """Only platform admins and the unit's own finance admin set its policy (403 otherwise)."""
    if admin.role == PLATFORM_ADMIN:
        return
    if admin.role == FINANCE_ADMIN and admin.unit_id == unit.id:
        return
    raise Forbidden(details={"reason": "only_platform_or_own_finance_sets_policy"})


def set_share_policy(
    session: Session,
    admin: Admin,
    unit: Unit,
    *,
    year: int,
    min_ratio: int,
    not_below_last_year: bool,
) -> SharePolicy:
    """Set the unit's policy from `year` on (platform admins, or the unit's own finance admin).
    A looser policy than one above it changes nothing for the subtree: the strictest applies."""
    may_set_policy(admin, unit)
    check_year(year)
    if min_ratio < NATIONAL_MIN_RATIO:
        # it would change nothing (the national minimum applies anyway) while reading as if it did
        raise InvalidRequest(
            details={
                "min_ratio": [
                    f"最低预留比例不得低于全国的{hundredths_to_percent(NATIONAL_MIN_RATIO)}%"
                ]
            }
        )
    policy = _policy_row(session, unit, year)
    policy.min_ratio = min_ratio
    policy.not_below_last_year = not_below_last_year
    policy.set_by_id = admin.id
    session.flush()
    record_admin_action(
        session,
        admin,
        "share_policy.set",
        target_type="unit",
        target_id=unit.id,
        target_name=unit.name,
        unit=unit,
        details={
            "year": year,
            "min_ratio": hundredths_to_percent(min_ratio),
            "not_below_last_year": not_below_last_year,
        },
    )
    return policy


def _policy_row(session: Session, unit: Unit, year: int) -> SharePolicy:
    """The unit's policy row for `year`, created when missing (a concurrent creation of the same
    row is caught by the unique key and the row read again)."""
    query = (
        select(SharePolicy)
        .where(SharePolicy.unit_id == unit.id, SharePolicy.year == year)
        .with_for_update(of=SharePolicy)
    )
    policy = session.scalars(query).one_or_none()
    if policy is not None:
        return policy
    try:
        with session.begin_nested():
            policy = SharePolicy(unit_id=unit.id, year=year, min_ratio=NATIONAL_MIN_RATIO)
            session.add(policy)
    except IntegrityError:
        policy = session.scalars(query).one()
    return policy


def own_policy(session: Session, unit: Unit, year: int) -> SharePolicy | None:
    """The unit's own policy in force for `year` (its latest from `year` or before)."""
    return session.scalars(
        select(SharePolicy)
        .where(SharePolicy.unit_id == unit.id, SharePolicy.year <= year)
        .order_by(SharePolicy.year.desc())
        .limit(1)
    ).one_or_none()
