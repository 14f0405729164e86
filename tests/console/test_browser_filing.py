"""In a real browser: a school files its reserved share (the form checks as it is typed), the
bureau returns it with a reason, the school submits again and the bureau confirms. What the
form's script writes as the user types is read with `expect`, which waits for it, rather
than read once, perhaps before the script ran."""

from __future__ import annotations

from playwright.sync_api import expect

from models.admin import UNIT_ADMIN
from models.calendar import current_year
from tests.console.browser import follow, log_in, screenshot
from tests.factories import make_admin, make_unit


def _fill_filing(page) -> None:
    page.fill("#canteen_total", "3000000")
    page.fill("#reserved_ratio", "5")
    expect(page.locator("[data-error-for=reserved_ratio]")).to_contain_text("不能低于10")
    page.fill("#reserved_ratio", "20")
    expect(page.locator("[data-error-for=reserved_ratio]")).to_have_text("")
    expect(page.locator("#share-preview")).to_contain_text("600000.00")
    page.fill("#contact_name", "张三")
    page.fill("#contact_mobile", "1380000")
    expect(page.locator("[data-error-for=contact_mobile]")).to_contain_text("11位")
    page.fill("#contact_mobile", "13800000000")


def test_filing_returned_then_confirmed(new_page):
    year = current_year()
    bureau = make_unit("某市教育局")
    school = make_unit("某某中学", bureau)
    make_admin(UNIT_ADMIN, unit=school, username="school")
    make_admin(UNIT_ADMIN, unit=bureau, username="bureau")
    school_side, bureau_side = new_page(), new_page()
    filing = f"/console/units/{school.id}/filing/{year}"

    log_in(school_side, "school")
    follow(school_side, "#filing-link")
    _fill_filing(school_side)
    screenshot(school_side, "filing-form")
    school_side.click("#save-filing")
    assert school_side.inner_text("#reserved-share") == "600000.00"
    school_side.click("#submit-filing")
    assert school_side.inner_text("#filing-status") == "待上级确认"

    log_in(bureau_side, "bureau")
    bureau_side.click("#summary-link")
    assert bureau_side.inner_text("#summary-label") == "未全部完成"
    screenshot(bureau_side, "filing-summary")
    bureau_side.click("#summary >> text=某某中学")
    bureau_side.click("#return-filing")
    assert "请填写退回原因" in bureau_side.inner_text("[data-error-for=reason]")
    bureau_side.fill("#reason", "食堂总额有误")
    bureau_side.click("#return-filing")
    assert bureau_side.inner_text("#filing-status") == "已退回"

    school_side.goto(filing)
    assert "食堂总额有误" in school_side.inner_text("#return-reason")
    school_side.fill("#canteen_total", "3100000")
    school_side.click("#save-filing")
    school_side.click("#submit-filing")

    bureau_side.goto(filing)
    bureau_side.click("#confirm-filing")
    assert bureau_side.inner_text("#filing-status") == "已确认"
    screenshot(bureau_side, "filing-confirmed")
    school_side.goto(filing)
    assert school_side.locator("#filing-form").count() == 0  # confirmed: read-only


def test_no_canteen_shows_the_remark_rule_as_typed(page):
    school = make_unit("无食堂的单位", make_unit("上级"))
    make_admin(UNIT_ADMIN, unit=school, username="school")

    log_in(page, "school")
    follow(page, "#filing-link")
    page.check("input[name=has_canteen][value=false]")
    assert page.is_hidden("#canteen_total")
    page.fill("#remark", "无饭堂")
    expect(page.locator("[data-error-for=remark]")).to_contain_text("无食堂")
    page.fill("#remark", "共用 某某中学 食堂")
    expect(page.locator("[data-error-for=remark]")).to_have_text("")
