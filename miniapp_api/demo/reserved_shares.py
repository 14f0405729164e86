"""Demo reserved-share filings: the Guangdong and Zhengzhou policies, filings in every state
across the demo tree, and a returned one with its SMS in the outbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.services.reserved_share import save_filing
from miniapp_api.services.reserved_share_workflow import (
    confirm_filing,
    return_filing,
    submit_filing,
)
from miniapp_api.services.share_policy import set_share_policy
from miniapp_api.services.sms import deliver_sms
from miniapp_api.sms import OutboxSender
from models.admin import Admin
from models.base import utcnow
from models.calendar import current_year
from models.unit import Unit

RETURN_REASON = "年度食堂食材采购总额填报不准确，请核实后重新提交"


def _filing(total_yuan: int | None, ratio: int | None, remark: str | None = None) -> dict[str, Any]:
    return {
        "has_canteen": total_yuan is not None,
        "canteen_total": total_yuan * 100 if total_yuan is not None else None,
        "reserved_ratio": ratio * 100 if ratio is not None else None,
        "has_union_need": False,
        "union_total": None,
        "union_ratio": None,
        "remark": remark,
        "contact_name": "李科长",
        "contact_mobile": "13800138000",
        "contact_phone": "0371-67180000",
    }


def load_demo_reserved_shares(session: Session) -> list[str]:
    """Policies and filings for this year (and a confirmed one last year, which Zhengzhou's
    "not below last year" rule then holds the police bureau to); returns walkthrough lines.
    Does nothing without the demo tree."""
    units = {unit.name: unit for unit in session.scalars(select(Unit))}
    admins = {admin.username: admin for admin in session.scalars(select(Admin))}
    needed = ("广东省财政厅", "郑州市财政局", "郑州市公安局", "广州市教育局", "梅州市人民医院")
    if not all(name in units for name in needed) or "platform" not in admins:
        return []
    year = current_year()
    platform, zz_finance = admins["platform"], admins["zz-finance"]
    police_admin = admins["zz-police"]
    guangdong, zhengzhou = units["广东省财政厅"], units["郑州市财政局"]
    set_share_policy(session, platform, guangdong, year=year - 1, min_ratio=3000,
                     not_below_last_year=False)  # fmt: skip
    set_share_policy(session, zz_finance, zhengzhou, year=year - 1, min_ratio=1000,
                     not_below_last_year=True)  # fmt: skip

    police = units["郑州市公安局"]
    save_filing(session, police_admin, police, year - 1, _filing(1_800_000, 10))
    submit_filing(session, police_admin, police, year - 1)
    confirm_filing(session, zz_finance, police, year - 1)
    save_filing(session, police_admin, police, year, _filing(2_000_000, 10))
    submit_filing(session, police_admin, police, year)
    confirm_filing(session, zz_finance, police, year)

    health = units["郑州市卫生健康委员会"]
    save_filing(session, platform, health, year, _filing(3_000_000, 20))
    submit_filing(session, platform, health, year)

    hospital = units["郑州市第一人民医院"]
    save_filing(
        session, platform, hospital, year, _filing(None, None, "共用 郑州市卫生健康委员会 单位食堂")
    )
    submit_filing(session, platform, hospital, year)
    confirm_filing(session, zz_finance, hospital, year)

    school = units["郑州幼儿师范高等专科学校"]
    save_filing(session, platform, school, year, _filing(1_200_000, 10))
    submit_filing(session, platform, school, year)
    _, message = return_filing(session, zz_finance, school, year, RETURN_REASON)
    deliver_sms(session, OutboxSender(), message, utcnow())

    save_filing(session, platform, units["郑州市林业局"], year, _filing(None, None, "无食堂"))

    guangzhou_education = units["广州市教育局"]
    save_filing(session, platform, guangzhou_education, year, _filing(5_000_000, 30))
    submit_filing(session, platform, guangzhou_education, year)
    confirm_filing(session, platform, guangzhou_education, year)
    save_filing(session, platform, units["梅州市人民医院"], year, _filing(2_500_000, 35))
    submit_filing(session, platform, units["梅州市人民医院"], year)

    filing = f"$API/api/v1/admin/units/{{}}/reserved-shares/{year}"
    return [
        "",
        f"  # 9. reserved shares ({year}): Guangdong's minimum is 30%, Zhengzhou's 10% and not below",
        "  #    last year's amount. Log in as Zhengzhou's finance bureau: its summary reads 未全部完成",
        "  #    (one filing waits, one was returned, others are drafts or unfiled)",
        "  ZZ=$(curl -s -X POST $API/api/v1/admin/auth/login -H 'Content-Type: application/json' \\",
        '      -d \'{"username": "zz-finance", "password": "finance-demo-2"}\' \\',
        "      | python3 -c 'import sys, json; print(json.load(sys.stdin)[\"token\"])')",
        f'  curl -s "{filing.format(zhengzhou.id)}/summary" -H "Authorization: Bearer $ZZ"',
        "  # the health commission's filing waits for confirmation (待上级确认): confirm it",
        f'  curl -s -X POST "{filing.format(health.id)}/confirm" -H "Authorization: Bearer $ZZ"',
        "  # the police bureau's filing is confirmed: its totals show the share and the completion rate",
        f'  curl -s "$API/api/v1/admin/units/{police.id}/totals?year={year}" -H "Authorization: Bearer $ZZ"',
        "  # the kindergarten college's filing was returned: the SMS to its contact is in the outbox",
        "  PLATFORM=$(curl -s -X POST $API/api/v1/admin/auth/login -H 'Content-Type: application/json' \\",
        '      -d \'{"username": "platform", "password": "platform-demo-1"}\' \\',
        "      | python3 -c 'import sys, json; print(json.load(sys.stdin)[\"token\"])')",
        '  curl -s "$API/api/v1/admin/sms-outbox" -H "Authorization: Bearer $PLATFORM"',
    ]
