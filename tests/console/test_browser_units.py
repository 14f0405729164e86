"""In a real browser: a finance admin drills down from its bureau to a school's entries, and
sees nothing outside its reach."""

from __future__ import annotations

from models.admin import FINANCE_ADMIN, UNIT_ADMIN
from models.calendar import current_year
from tests.console.browser import follow, log_in, screenshot
from tests.factories import make_admin, make_entry, make_unit


def test_a_finance_admin_drills_down_to_the_entries(page):
    year = current_year()
    bureau = make_unit("某市财政局")
    school = make_unit("某某中学", bureau)
    make_entry(school, 300_000, f"{year}-01-02T10:00:00+08:00", reference="CANTEEN-1")
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")

    log_in(page, "finance")
    page.wait_for_selector("#subtree-total")
    assert page.inner_text("#subtree-total") == "3000.00"
    page.wait_for_selector(".chart canvas")
    screenshot(page, "finance-unit")

    page.click("#children >> text=某某中学")
    assert page.inner_text("h1") == "某某中学"
    page.click("#figures >> text=3000.00")
    page.wait_for_selector("#entries")
    assert "CANTEEN-1" in page.inner_text("#entries")
    screenshot(page, "finance-entries")


def test_a_unit_admin_cannot_open_another_unit(page):
    mine = make_unit("本单位")
    other = make_unit("别的单位")
    make_admin(UNIT_ADMIN, unit=mine, username="unit1")

    log_in(page, "unit1")
    page.wait_for_selector("#own-total")
    response = page.goto(f"/console/units/{other.id}")

    assert response.status == 404
    assert "单位不存在" in page.inner_text("main")
    assert "别的单位" not in page.content()


def test_the_phone_sized_page_keeps_the_tables_readable(new_page):
    unit = make_unit("手机上的单位")
    make_admin(UNIT_ADMIN, unit=unit, username="phone")
    page = new_page(390, 844)

    log_in(page, "phone")
    page.wait_for_selector("#own-total")
    screenshot(page, "unit-phone")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_finance_admin_sets_its_policy_and_merges_a_school(page):
    bureau = make_unit("某市财政局")
    make_unit("某某中学（老校区）", bureau)
    new = make_unit("某某中学", bureau)
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")

    log_in(page, "finance")
    page.wait_for_selector("#policy-form")
    page.fill("#min_ratio", "15")
    page.check("input[name=not_below_last_year]")
    page.click("#save-policy")
    page.wait_for_selector(".notice")
    assert page.inner_text("#policy-min-ratio") == "15.00%"
    assert page.inner_text("#policy-last-year") == "是"
    screenshot(page, "finance-share-policy")

    follow(page, "#children >> text=某某中学（老校区）")
    page.fill("#successor-q", "某某中学")  # htmx asks for the choices as the user types
    page.wait_for_selector(f"#successor-choices input[value='{new.id}']")
    screenshot(page, "finance-merge-search")
    page.check(f"#successor-choices input[value='{new.id}']")
    page.click("#merge-next")
    page.wait_for_selector("#confirm-merge")
    assert page.inner_text("#merge-into") == "某某中学"
    screenshot(page, "finance-merge-confirm")
    page.click("#confirm-merge")

    page.wait_for_selector("#unit-status")
    assert "已合并" in page.inner_text("#unit-status")
    assert "某某中学" in page.inner_text("#unit-status")
    assert page.locator("#unit-changes").count() == 0
    screenshot(page, "finance-unit-merged")
