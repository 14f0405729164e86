"""In a real browser: a supplier ships an order from its list and decides refund requests (the
card updates in place through htmx), and never sees another supplier's order."""

from __future__ import annotations

from models.admin import SUPPLIER
from tests.console.browser import log_in, screenshot
from tests.factories import admin_headers, make_admin, make_supplier
from tests.order_factories import make_buyer, make_sku, order_row, paid, refund_requested


def test_a_supplier_ships_an_order(client, fake, page):
    supplier = make_supplier("某某农产品公司")
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    mine = paid(client, fake.state, make_buyer(), make_sku(supplier=supplier).id)["order_no"]
    theirs = paid(client, fake.state, make_buyer(), make_sku().id)["order_no"]

    log_in(page, "supplier")
    card = page.locator(f"#order-{mine}")
    card.wait_for()
    assert page.locator(f"#order-{theirs}").count() == 0
    screenshot(page, "supplier-orders")
    card.locator("[name=carrier]").fill("顺丰速运")
    card.locator("button.ship").click()
    page.wait_for_selector(f"#order-{mine} [data-error-for=tracking_no]:not(:empty)")
    page.locator(f"#order-{mine} [name=tracking_no]").fill("SF1234567890")
    page.locator(f"#order-{mine} button.ship").click()
    page.wait_for_selector(f"#order-{mine} .notice")

    assert "SF1234567890" in page.inner_text(f"#order-{mine}")
    assert order_row(mine).status == "shipped"
    screenshot(page, "supplier-shipped")


def test_a_supplier_approves_one_refund_and_rejects_another_with_a_reason(client, fake, page):
    supplier = make_supplier("某某农产品公司")
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    sku = make_sku(price=30_00, supplier=supplier)
    approved = refund_requested(client, fake.state, make_buyer(), sku, shipper)
    rejected = refund_requested(client, fake.state, make_buyer(), sku, shipper)
    theirs_sku = make_sku(supplier=make_supplier("别家"))
    theirs = refund_requested(
        client,
        fake.state,
        make_buyer(),
        theirs_sku,
        admin_headers(make_admin(SUPPLIER, supplier=theirs_sku.product.supplier)),
    )

    log_in(page, "supplier")
    page.click("a:text('申请退款')")
    page.locator(f"#order-{approved}").wait_for()
    assert page.locator(f"#order-{theirs}").count() == 0
    assert "收到的苹果坏了" in page.inner_text(f"#order-{approved}")
    screenshot(page, "supplier-refund-requests")

    page.once("dialog", lambda dialog: dialog.accept())  # 确定同意？
    page.locator(f"#order-{approved} button.approve-refund").click()
    page.wait_for_selector(f"#order-{approved} .refund-state")
    page.locator(f"#order-{rejected} button.reject-refund").click()
    page.wait_for_selector(f"#order-{rejected} [data-error-for=reason]:not(:empty)")
    page.locator(f"#order-{rejected} [name=reason]").fill("已超过售后期")
    page.locator(f"#order-{rejected} button.reject-refund").click()
    page.wait_for_selector(f"#order-{rejected} .refund-state")

    assert "30.00 元已提交微信支付" in page.inner_text(f"#order-{approved}")
    assert "已拒绝退款：已超过售后期" in page.inner_text(f"#order-{rejected}")
    assert order_row(approved).status == "refunding"
    assert order_row(rejected).status == "completed"
    assert order_row(theirs).status == "refund_requested"
    screenshot(page, "supplier-refunds-decided")
