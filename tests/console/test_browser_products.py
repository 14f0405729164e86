"""In a real browser: a supplier finds one of its products and takes it off shelf (the row
updates in place through htmx), and never sees another supplier's products."""

from __future__ import annotations

from models.admin import SUPPLIER
from models.base import db
from models.catalog import Product
from tests.console.browser import log_in, screenshot
from tests.factories import make_admin, make_product, make_supplier


def test_a_supplier_takes_a_product_off_shelf(page):
    supplier = make_supplier("某某农产品公司")
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    rice = make_product("环江香粳米", supplier=supplier, prices=(39_90, 59_90))
    make_product("红心猕猴桃", supplier=supplier, on_shelf=False)
    theirs = make_product("别家香菇", supplier=make_supplier("别家"))

    log_in(page, "supplier")
    page.click("text=商品上下架")
    page.locator(f"#product-{rice.id}").wait_for()
    assert page.locator(f"#product-{theirs.id}").count() == 0
    page.fill("#q", "香粳")
    page.click("#search-products")
    assert page.locator("#products tbody tr").count() == 1
    screenshot(page, "supplier-products")

    page.locator(f"#product-{rice.id} button.off-shelf").click()
    page.wait_for_selector(f"#product-{rice.id} >> text=重新上架须经平台审核")

    assert "已下架" in page.inner_text(f"#product-{rice.id}")
    db.session.rollback()
    assert db.session.get(Product, rice.id).on_shelf is False
    page.click("a:text('已下架')")
    assert page.locator("#products tbody tr").count() == 1  # the search stays: 香粳, off shelf
    screenshot(page, "supplier-products-off-shelf")
