"""Reserved-share filing (预留份额填报, DOMAIN.md; seeds 001, 003 附件2, 004): one filing per unit
and year, saved whole or not at all. The reserved share is canteen total × ratio, rounded half
up to the fen; the union plan is computed beside it and never added to it (rule 6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, Forbidden, InvalidRequest
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.completion import confirmed_share
from miniapp_api.services.share_policy import EffectivePolicy, effective_policy
from miniapp_api.services.totals import check_year
from models.admin import PLATFORM_ADMIN, UNIT_SCOPED_ROLES, Admin
from models.money import fen_to_yuan
from models.ratio import hundredths_to_percent, share_of
from models.reserved_share import (
    CONFIRMED,
    DRAFT,
    SAVE,
    UNFILED,
    ReservedShare,
    ReservedShareEvent,
    remark_problem,
)
from models.unit import Unit

FILING_FIELDS = (
    "has_canteen",
    "canteen_total",
    "reserved_ratio",
    "has_union_need",
    "union_total",
    "union_ratio",
    "remark",
    "contact_name",
    "contact_mobile",
    "contact_phone",
)
_CANTEEN_LABELS = (("canteen_total", "年度食堂食材采购总额"), ("reserved_ratio", "预留比例"))
_UNION_LABELS = (("union_total", "年度工会采购总额"), ("union_ratio", "工会采购预留比例"))


@dataclass
class FilingView:
    """A unit's filing for a year as the API shows it: the stored filing (None: unfiled) and
    the policy it must meet."""

    unit: Unit
    year: int
    filing: ReservedShare | None
    policy: EffectivePolicy
    last_year_share: int | None

    @property
    def status(self) -> str:
        return self.filing.status if self.filing is not None else UNFILED


def invalid_state(filing: ReservedShare | None, message: str) -> Conflict:
    """409 invalid_state naming the filing's current state (API.md)."""
    state = filing.status if filing is not None else UNFILED
    return Conflict("invalid_state", message, details={"state": state})


def filing_of(
    session: Session, unit: Unit, year: int, *, for_update: bool = False
) -> ReservedShare | None:
    query = select(ReservedShare).where(
        ReservedShare.unit_id == unit.id, ReservedShare.year == year
    )
    if for_update:
        query = query.with_for_update(of=ReservedShare)
    return session.scalars(query).one_or_none()


def filing_view(session: Session, unit: Unit, year: int) -> FilingView:
    """The unit's filing for `year` (or its absence) with the policy in force."""
    check_year(year)
    return FilingView(
        unit,
        year,
        filing_of(session, unit, year),
        effective_policy(session, unit, year),
        confirmed_share(session, unit.id, year - 1),
    )


def may_file(admin: Admin, unit: Unit) -> None:
    """A unit files for itself: its own finance or unit admins, or the platform; a revoked or
    merged unit files no more (rule 8)."""
    if not unit.is_active:
        raise Conflict(
            "unit_inactive", "单位已撤销或合并，不能填报", details={"status": unit.status}
        )
    if admin.role == PLATFORM_ADMIN:
        return
    if admin.role in UNIT_SCOPED_ROLES and admin.unit_id == unit.id:
        return
    raise Forbidden(details={"reason": "only_the_unit_itself_files"})


def computed_shares(data: dict[str, Any]) -> tuple[int | None, int | None]:
    """(reserved share, union plan) in fen, each total × ratio rounded half up to the fen,
    kept apart (rule 6)."""
    reserved = union = None
    if data["has_canteen"]:
        reserved = share_of(data["canteen_total"], data["reserved_ratio"])
    if data["has_union_need"]:
        union = share_of(data["union_total"], data["union_ratio"])
    return reserved, union


def filing_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """The fields that do not fit together, each with what is wrong (seed 003 附件2): with a
    canteen, its total and ratio are required; without one, neither is given and the remark
    says why (remark_problem); the same for the union's total and ratio."""
    problems: dict[str, list[str]] = {}

    def problem(name: str, text: str) -> None:
        problems.setdefault(name, []).append(text)

    if data["has_canteen"]:
        if data.get("canteen_total") is None:
            problem("canteen_total", "请填写年度食堂食材采购总额")
        elif data["canteen_total"] <= 0:
            problem("canteen_total", "年度食堂食材采购总额须大于0")
        if data.get("reserved_ratio") is None:
            problem("reserved_ratio", "请填写预留比例")
    else:
        for name, label in _CANTEEN_LABELS:
            if data.get(name) is not None:
                problem(name, f"无食堂时不填写{label}")
    remark = remark_problem(data["has_canteen"], data.get("remark"))
    if remark:
        problem("remark", remark)
    if data["has_union_need"]:
        if data.get("union_total") is None:
            problem("union_total", "请填写年度工会采购总额")
        elif data["union_total"] <= 0:
            problem("union_total", "年度工会采购总额须大于0")
        if data.get("union_ratio") is None:
            problem("union_ratio", "请填写工会采购预留比例")
    else:
        for name, label in _UNION_LABELS:
            if data.get(name) is not None:
                problem(name, f"无工会采购需求时不填写{label}")
    return problems


def policy_problems(
    policy: EffectivePolicy,
    last_year_share: int | None,
    reserved_ratio: int | None,
    reserved_share: int | None,
) -> dict[str, Any]:
    """What the minimum-ratio policy says about a filing with a canteen (a unit without one is
    not held to a share: seed 003 "对其预留份额不作要求"): the ratio's floor, and, where a policy
    says so, not below last year's confirmed share (seed 004 "且不低于上年度数额")."""
    if reserved_ratio is None or reserved_share is None:
        return {}
    problems: dict[str, Any] = {}
    rules = []
    if reserved_ratio < policy.min_ratio:
        minimum = hundredths_to_percent(policy.min_ratio)
        source = policy.source_name(policy.min_ratio_from)
        problems["reserved_ratio"] = [f"预留比例不得低于{minimum}%（{source}的规定）"]
        rules.append(_rule("min_ratio", minimum, policy.min_ratio_from, source))
    if (
        policy.not_below_last_year
        and last_year_share is not None
        and reserved_share < last_year_share
    ):
        minimum = fen_to_yuan(last_year_share)
        source = policy.source_name(policy.not_below_last_year_from)
        problems["reserved_share"] = [
            f"预留份额不得低于上年度已确认的预留份额{minimum}元（{source}的规定）"
        ]
        rules.append(_rule("not_below_last_year", minimum, policy.not_below_last_year_from, source))
    if rules:
        problems["rules"] = rules
    return problems


def _rule(name: str, minimum: str, unit: Unit | None, source: str) -> dict[str, Any]:
    return {
        "rule": name,
        "minimum": minimum,
        "set_by": {"id": unit.id, "name": unit.name} if unit is not None else None,
        "source": source,
    }


def check_against_policy(session: Session, unit: Unit, year: int, filing: ReservedShare) -> None:
    """422 when the stored filing falls below the policy in force now (submit re-checks it:
    a policy may have been tightened since the filing was saved)."""
    problems = policy_problems(
        effective_policy(session, unit, year),
        confirmed_share(session, unit.id, year - 1),
        filing.reserved_ratio,
        filing.reserved_share,
    )
    if problems:
        raise InvalidRequest(message="预留比例或预留份额低于规定", details=problems)


def save_filing(
    session: Session, admin: Admin, unit: Unit, year: int, data: dict[str, Any]
) -> FilingView:
    """Create or replace the unit's filing for `year`, whole (every field is checked first and
    nothing is written when one is wrong). A draft stays a draft, a submitted filing stays
    submitted, a returned one stays returned until it is resubmitted; a confirmed one is
    read-only (409 invalid_state) until its superior returns it (seed 000 FAQ 17)."""
    may_file(admin, unit)
    check_year(year)
    filing = filing_of(session, unit, year, for_update=True)
    if filing is not None and filing.status == CONFIRMED:
        raise invalid_state(filing, "预留份额已确认，不能修改；如须修改请联系上级退回")
    problems: dict[str, Any] = filing_problems(data)
    reserved, union = (None, None) if problems else computed_shares(data)
    policy = effective_policy(session, unit, year)
    last_year = confirmed_share(session, unit.id, year - 1)
    problems.update(policy_problems(policy, last_year, data.get("reserved_ratio"), reserved))
    if problems:
        raise InvalidRequest(details=problems)
    if filing is None:
        filing = _new_filing(session, unit, year)
    if filing.status == CONFIRMED:  # confirmed by a concurrent request meanwhile
        raise invalid_state(filing, "预留份额已确认，不能修改；如须修改请联系上级退回")
    for name in FILING_FIELDS:
        setattr(filing, name, data.get(name))
    filing.has_union_need = bool(data["has_union_need"])
    filing.remark = (data.get("remark") or "").strip() or None
    filing.reserved_share, filing.union_planned = reserved, union
    record_filing_event(session, admin, filing, SAVE)
    return FilingView(unit, year, filing, policy, last_year)


def _new_filing(session: Session, unit: Unit, year: int) -> ReservedShare:
    """A new draft row; when a concurrent first save created it meanwhile (the unique key
    says so), that row, locked."""
    try:
        with session.begin_nested():
            filing = ReservedShare(
                unit=unit,
                year=year,
                status=DRAFT,
                has_canteen=False,
                has_union_need=False,
                contact_name="",
                contact_mobile="",
            )
            session.add(filing)
    except IntegrityError:
        filing = filing_of(session, unit, year, for_update=True)
        assert filing is not None
    return filing


def record_filing_event(
    session: Session, admin: Admin, filing: ReservedShare, action: str, reason: str | None = None
) -> None:
    """Keep the move on the filing (who, when, reason) and in the audit log."""
    filing.events.append(
        ReservedShareEvent(
            action=action, admin_id=admin.id, admin_username=admin.username, reason=reason
        )
    )
    session.flush()
    details: dict[str, Any] = {"year": filing.year, "status": filing.status}
    if reason:
        details["reason"] = reason
    if filing.reserved_share is not None:
        details["reserved_share"] = fen_to_yuan(filing.reserved_share)
    record_admin_action(
        session,
        admin,
        f"reserved_share.{action}",
        target_type="reserved_share",
        target_id=filing.id,
        target_name=f"{filing.unit.name} {filing.year}年度",
        unit=filing.unit,
        details=details,
    )
