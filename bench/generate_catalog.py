"""Fill a database with a large catalogue for benchmarks: 100,000 products and 300,000 SKUs.

    python bench/generate_catalog.py --database-url sqlite:///bench/out/catalog.sqlite3
    python bench/generate_catalog.py --database-url postgresql+psycopg://postgres@127.0.0.1/DB

The database is created when missing (bench/databases.py), then emptied and migrated. Titles
are built from the demo vocabulary (county, adjective, product, pack), so the search index
holds realistic Chinese n-grams.
A handful of products carry the rare term `RARE_TERM`, for the "matches almost nothing" case.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import insert, text  # noqa: E402

from miniapp_api.demo.catalog_data import COUNTIES, PRODUCTS  # noqa: E402
from miniapp_api.services.catalog_search import recount_grams, title_grams  # noqa: E402

RARE_TERM = "酵素"
ADJECTIVES = ["", "高山", "生态", "有机", "农家", "特级", "精选", "散养", "古法", "新鲜", "头茬"]
PACKS = ["", "礼盒装", "家庭装", "新货", "产地直发", "整箱", "量贩装", "尝鲜装"]


def build_app(database_url: str):
    from databases import ensure_database

    from miniapp_api import create_app

    ensure_database(database_url)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "MINIAPP_ENV": "test",
            "TESTING": True,
        }
    )


def reset_schema(app) -> None:
    from flask_migrate import upgrade

    from miniapp_api.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.engine.dispose()
    upgrade()


def generate(app, products: int, skus_per_product: int, seed: int = 832) -> dict[str, float]:
    from miniapp_api.extensions import db
    from miniapp_api.services.catalog import ensure_root_categories
    from models import Category, Product, ProductGram, Sku, Supplier

    rng = random.Random(seed)
    started = time.perf_counter()
    session = db.session
    categories = {c.name: c.id for c in ensure_root_categories(session)}
    session.commit()
    suppliers = [f"{c.city}{c.short}农特产品有限公司" for c in COUNTIES]
    session.execute(insert(Supplier), [{"name": name} for name in suppliers])
    session.commit()
    supplier_ids = list(session.scalars(db.select(Supplier.id).order_by(Supplier.id)))
    assert session.get(Category, categories["米面粮油"]) is not None
    now = datetime.now(UTC)
    product_rows, sku_rows, gram_rows = [], [], []
    flat = [(category, name, specs) for category, items in PRODUCTS.items()
            for name, specs in items]  # fmt: skip
    for n in range(1, products + 1):
        county_index = rng.randrange(len(COUNTIES))
        county = COUNTIES[county_index]
        category, name, specs = rng.choice(flat)
        title = f"{county.short}{rng.choice(ADJECTIVES)}{name}{rng.choice(PACKS)}"
        if n % 20_000 == 7:
            title = f"{county.short}{name}{RARE_TERM}"
        prices = []
        for k in range(skus_per_product):
            spec, price = specs[k % len(specs)]
            price = max(100, price + rng.randrange(-500, 2000) + k * 1000)
            prices.append(price)
            sku_rows.append(
                {"product_id": n, "spec": f"{spec}-{k + 1}", "price": price,
                 "stock": rng.randrange(0, 1000), "code": None}
            )  # fmt: skip
        product_rows.append(
            {
                "id": n,
                "code": f"B{n:07d}",
                "title": title,
                "description": f"产自{county.province}{county.city}{county.name}的{name}。",
                "category_id": categories[category],
                "supplier_id": supplier_ids[county_index],
                "province": county.province,
                "city": county.city,
                "county": county.name,
                "priority_county": county.priority,
                "selected": rng.random() < 0.1,
                "image_url": f"https://img.example.com/bench/{n}.jpg",
                "images": [f"https://img.example.com/bench/{n}.jpg"],
                "on_shelf": rng.random() < 0.97,
                "sales": int(rng.paretovariate(1.2)) % 5000,
                "min_price": min(prices),
                "created_at": now - timedelta(seconds=rng.randrange(365 * 86400)),
                "updated_at": now,
            }
        )
        row = product_rows[-1]
        rank = {key: row[key] for key in ("selected", "sales", "min_price", "created_at")}
        gram_rows.extend({"gram": g, "product_id": n, **rank} for g in title_grams(title))
    built = time.perf_counter()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        _copy_postgres(session, product_rows, sku_rows, gram_rows)
    else:
        # (no PRAGMA synchronous=OFF: SQLite refuses it inside the transaction that every
        # session now begins itself; WAL with synchronous=NORMAL loads fast enough)
        for table, rows in ((Product, product_rows), (Sku, sku_rows), (ProductGram, gram_rows)):
            for start in range(0, len(rows), 20_000):
                session.execute(insert(table), rows[start : start + 20_000])
        session.commit()
    recount_grams(session)
    session.commit()
    loaded = time.perf_counter()
    if engine.dialect.name == "postgresql":
        # what autovacuum does soon after a load: statistics and the visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    return {
        "products": len(product_rows),
        "skus": len(sku_rows),
        "grams": len(gram_rows),
        "build_s": round(built - started, 1),
        "load_s": round(loaded - built, 1),
        "analyze_s": round(time.perf_counter() - loaded, 1),
    }


def _copy_postgres(session, product_rows, sku_rows, gram_rows) -> None:
    import json

    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        columns = list(product_rows[0])
        with cursor.copy(f"COPY products ({', '.join(columns)}) FROM STDIN") as copy:
            for row in product_rows:
                copy.write_row([json.dumps(row[c]) if c == "images" else row[c] for c in columns])
        with cursor.copy("COPY skus (product_id, spec, price, stock, code) FROM STDIN") as copy:
            for row in sku_rows:
                copy.write_row([row["product_id"], row["spec"], row["price"], row["stock"], None])
        columns = ("gram", "product_id", "selected", "sales", "min_price", "created_at")
        statement = f"COPY product_grams ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in gram_rows:
                copy.write_row([row[column] for column in columns])
        cursor.execute("SELECT setval('products_id_seq', (SELECT max(id) FROM products))")
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--skus-per-product", type=int, default=3)
    args = parser.parse_args()
    app = build_app(args.database_url)
    with app.app_context():
        reset_schema(app)
        figures = generate(app, args.products, args.skus_per_product)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
