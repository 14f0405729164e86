"""In a real browser: a union orders a batch, the platform marks it paid, the union exports the
codes and voids one; neither sees another union's batch."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.admin import PLATFORM_ADMIN, UNION_ADMIN
from models.calendar import CHINA
from tests.console.browser import log_in, screenshot
from tests.factories import make_admin, make_batch, make_unit


def test_a_batch_from_order_to_codes(new_page):
    unit = make_unit("某某区总工会")
    make_batch(make_unit("别的工会"), title="别人的批次")
    make_admin(UNION_ADMIN, unit=unit, username="union")
    make_admin(PLATFORM_ADMIN, username="root")
    union, platform = new_page(), new_page()
    today = datetime.now(CHINA).date()

    log_in(union, "union")
    union.fill("#member_count", "100")
    union.fill("#welfare_total", "200000")
    union.click("#save-profile")
    union.click("#new-batch")
    union.fill("#title", "中秋福利")
    union.fill("#face_value", "100")
    union.fill("#quantity", "3")
    union.fill("#valid_from", today.isoformat())
    union.fill("#valid_last_day", (today + timedelta(days=90)).isoformat())
    union.click("#create-batch")
    assert union.inner_text("#batch-status") == "待付款"
    batch_url = union.url

    log_in(platform, "root")
    platform.click("text=提货券批次（确认付款）")
    assert "别人的批次" in platform.inner_text("#batches")
    platform.click("#batches >> text=中秋福利")
    platform.fill("#paid_at", datetime.now(CHINA).strftime("%Y-%m-%dT%H:%M"))
    platform.fill("#reference", "BANK-2026-001")
    platform.fill("#amount", "299")
    platform.click("#mark-paid")
    assert "300.00" in platform.inner_text("[data-error-for=amount]")
    platform.fill("#amount", "300")
    platform.click("#mark-paid")
    assert platform.inner_text("#batch-status") == "已生效"
    screenshot(platform, "platform-batch-paid")

    union.goto(batch_url)
    with union.expect_download() as download:
        union.click("#codes-sheet")
    assert download.value.suggested_filename.endswith(".xlsx")
    union.goto("/console/union")
    assert union.inner_text("#union-spent") == "300.00"  # counted when paid (rule 3)
    assert union.inner_text("#union-met") == "未达标"  # targets: 30000.00 each
    assert "别人的批次" not in union.inner_text("main")
    union.fill("#code", "WRONG-CODE")
    union.click("#void-code")
    assert "提货券不存在" in union.inner_text("[data-error-for=code]")
    screenshot(union, "union-page")
