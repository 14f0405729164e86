"""The demo's web console: where to open it and who can log in (every demo admin)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniapp_api.demo.orders import DEMO_SUPPLIER_LOGIN
from miniapp_api.demo.units import DEMO_ADMINS

_START_PAGES = {
    "platform_admin": "批次确认付款、导入、管理员、操作记录、短信发件箱",
    "finance_admin": "本级及下级采购额、下钻明细、填报汇总与确认/退回",
    "unit_admin": "本单位采购额、预留份额填报",
    "union_admin": "工会进度、提货券批次、券码导出、作废",
    "supplier": "待发货订单、发货",
}


def load_demo_console(_session: Session) -> list[str]:
    """Walkthrough lines: the console's address (printed by the shell from $API) and the
    logins, one per role, as shell comments."""
    logins = [(username, password, role) for username, password, role, _unit in DEMO_ADMINS]
    logins.append((*DEMO_SUPPLIER_LOGIN, "supplier"))
    lines = "\n".join(
        f"  #   {username:<16} {password:<16} {_START_PAGES[role]}"
        for username, password, role in logins
    )
    return [
        f"""
  # The web console, in a browser (works without the internet): log in with any demo admin
  echo "web console: $API/console/"
{lines}"""
    ]
