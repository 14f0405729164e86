"""The demo catalogue: about 220 products from the 99 counties of seed 003's appendix."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.demo.catalog_data import demo_products
from miniapp_api.services.catalog import record_sales
from miniapp_api.services.catalog_import import import_catalog
from models.catalog import Product


def demo_catalogue_csv() -> bytes:
    rows = demo_products()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def load_demo_catalog(session: Session) -> list[str]:
    """Import the demo catalogue through the real import, then give products some sales."""
    report = import_catalog(session, "demo-catalogue.csv", io.BytesIO(demo_catalogue_csv()))
    for product_id in session.scalars(select(Product.id)):
        record_sales(session, product_id, (product_id * 7919) % 500)
    return [
        "",
        f"  # 7. browse the {report.created} demo products (six categories, the 99 counties of "
        "seed 003): the category tree, then rice from priority counties, cheapest first",
        '  curl -s "$API/api/v1/categories" -H "Authorization: Bearer $TOKEN"',
        '  curl -s -G "$API/api/v1/products" --data-urlencode "q=米" -d priority_county=true \\',
        '      -d sort=price_asc -d limit=3 -H "Authorization: Bearer $TOKEN"',
    ]
