"""The filing's moves (DOMAIN.md; seed 000 FAQ 16-17, seed 001 三): draft → submitted (待上级确认)
→ confirmed, or returned with a reason and an SMS to the filing's contact. Submit from draft or
returned; confirm from submitted; return from submitted or confirmed (逐级申请退回). Any other
move is 409 invalid_state."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniapp_api.errors import Forbidden, InvalidRequest
from miniapp_api.services.reserved_share import (
    FilingView,
    check_against_policy,
    filing_of,
    filing_view,
    invalid_state,
    may_file,
    record_filing_event,
)
from miniapp_api.services.sms import queue_sms
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN, Admin
from models.reserved_share import (
    CONFIRM,
    CONFIRMED,
    DRAFT,
    RETURN,
    RETURNED,
    SUBMIT,
    SUBMITTED,
    ReservedShare,
)
from models.sms import SmsMessage
from models.unit import Unit

RETURN_REASON_MAX = 200


def may_decide(admin: Admin, unit: Unit) -> None:
    """Who confirms or returns a unit's filing: the admins of its direct superior, a finance
    admin anywhere above it, or the platform; a unit with no superior, the platform only."""
    if admin.role == PLATFORM_ADMIN:
        return
    if unit.parent_id is not None and admin.unit is not None:
        if admin.role == UNIT_ADMIN and admin.unit_id == unit.parent_id:
            return
        above = unit.path.startswith(admin.unit.path) and admin.unit_id != unit.id
        if admin.role == FINANCE_ADMIN and above:
            return
    raise Forbidden(details={"reason": "only_a_superior_confirms_or_returns"})


def _locked(session: Session, unit: Unit, year: int) -> ReservedShare | None:
    return filing_of(session, unit, year, for_update=True)


def submit_filing(session: Session, admin: Admin, unit: Unit, year: int) -> FilingView:
    """Hand the filing to the superior (draft or returned → submitted), checked once more
    against the policy in force now."""
    may_file(admin, unit)
    filing = _locked(session, unit, year)
    if filing is None or filing.status not in (DRAFT, RETURNED):
        raise invalid_state(filing, "只有未提交或已退回的预留份额可以提交")
    check_against_policy(session, unit, year, filing)
    filing.status = SUBMITTED
    record_filing_event(session, admin, filing, SUBMIT)
    return filing_view(session, unit, year)


def confirm_filing(session: Session, admin: Admin, unit: Unit, year: int) -> FilingView:
    """The superior confirms a submitted filing (submitted → confirmed)."""
    may_decide(admin, unit)
    filing = _locked(session, unit, year)
    if filing is None or filing.status != SUBMITTED:
        raise invalid_state(filing, "只有待上级确认的预留份额可以确认")
    filing.status = CONFIRMED
    filing.return_reason = None
    record_filing_event(session, admin, filing, CONFIRM)
    return filing_view(session, unit, year)


def return_filing(
    session: Session, admin: Admin, unit: Unit, year: int, reason: str
) -> tuple[FilingView, SmsMessage]:
    """The superior returns a submitted or confirmed filing with a reason; the unit may edit it
    and submit again. The contact gets an SMS (seed 001: "系统将以短信方式通知被退回的预算单位"),
    queued in this same transaction, so the return never lands without it."""
    may_decide(admin, unit)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest(details={"reason": ["请填写退回原因"]})
    if len(reason) > RETURN_REASON_MAX:
        raise InvalidRequest(details={"reason": [f"退回原因最多{RETURN_REASON_MAX}个字"]})
    filing = _locked(session, unit, year)
    if filing is None or filing.status not in (SUBMITTED, CONFIRMED):
        raise invalid_state(filing, "只有待上级确认或已确认的预留份额可以退回")
    filing.status = RETURNED
    filing.return_reason = reason
    record_filing_event(session, admin, filing, RETURN, reason)
    message = queue_sms(session, filing.contact_mobile, return_sms_text(unit, year, reason))
    return filing_view(session, unit, year), message


def return_sms_text(unit: Unit, year: int, reason: str) -> str:
    return (
        f"【832平台】{unit.name}{year}年度预留份额填报已被上级单位退回，原因：{reason}。"
        "请登录采购人管理系统修改后重新提交。"
    )
