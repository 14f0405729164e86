"""In a real browser: the platform uploads a canteen sheet with a bad row and sees it in a
table, then reads the audit log and the SMS outbox."""

from __future__ import annotations

from models.admin import PLATFORM_ADMIN
from tests.console.browser import log_in, screenshot
from tests.factories import make_admin, make_unit, sheet

SCHOOL = "91350100M000100Y43"


def test_the_platform_sees_the_bad_rows_of_an_import(page, tmp_path):
    make_unit("某学校", credit_code=SCHOOL)
    make_admin(PLATFORM_ADMIN, username="root")
    _name, stream = sheet(
        [
            ["credit_code", "order_no", "amount", "completed_at"],
            [SCHOOL, "T1", "10.00", "2026-01-01 10:00:00"],
            [SCHOOL, "T2", "十元", "2026-01-01 10:00:00"],
        ],
        "canteen.csv",
    )
    path = tmp_path / "canteen.csv"
    path.write_bytes(stream.read())

    log_in(page, "root")
    page.click("text=数据导入")
    page.set_input_files("#file-entries", str(path))
    page.click("#import-entries button")
    page.wait_for_selector("#bad-rows")
    assert page.inner_text("#bad-rows tbody td >> nth=0") == "3"
    screenshot(page, "platform-import-rejected")

    page.goto("/console/")
    page.click("text=操作记录")
    page.wait_for_selector("#audit-log")
    page.goto("/console/")
    page.click("text=短信发件箱")
    page.wait_for_selector("#sms-outbox")
    screenshot(page, "platform-sms-outbox")
