"""In a real browser: a supplier ships an order from its list (the card updates in place
through htmx), and never sees another supplier's order."""

from __future__ import annotations

from models.admin import SUPPLIER
from tests.console.browser import log_in, screenshot
from tests.factories import make_admin, make_supplier
from tests.order_factories import make_buyer, make_sku, order_row, paid


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
    card.locator("#carrier").fill("顺丰速运")
    card.locator("button.ship").click()
    page.wait_for_selector(f"#order-{mine} [data-error-for=tracking_no]:not(:empty)")
    page.locator(f"#order-{mine} #tracking_no").fill("SF1234567890")
    page.locator(f"#order-{mine} button.ship").click()
    page.wait_for_selector(f"#order-{mine} .notice")

    assert "SF1234567890" in page.inner_text(f"#order-{mine}")
    assert order_row(mine).status == "shipped"
    screenshot(page, "supplier-shipped")
