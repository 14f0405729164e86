"""Measure title search plans at the SQL level on the benchmark catalogue (bench/out/...).

    python bench/search_alternatives.py

Each query returns the first page (21 rows) of on-shelf products whose title contains the
term, in the default order (832优选 first, then sales). Compared, per database:

* ngram: our postings table (miniapp_api/services/catalog_search.py), through list_products
  (so it includes building the query and its rows in Python, printed alone as "no search");
* SQLite FTS5 with the trigram tokenizer (an external-content table over products.title);
* PostgreSQL pg_trgm with a GIN index on the title (checked first: under lc_ctype C.UTF-8,
  show_trgm('红心猕猴桃') does give trigrams, so the index does work for Chinese);
* a plain LIKE '%term%' walking the default-order index, the naive plan.

The FTS5 table and the pg_trgm index are created here for the measurement and dropped after.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import POSTGRES_URL, SQLITE_URL  # noqa: E402
from generate_catalog import build_app  # noqa: E402
from sqlalchemy import text  # noqa: E402

TERMS = ["米", "香菇", "红心猕猴", "酵素", "咖啡豆", "高山香粳米"]
COLUMNS = "p.id, p.title, p.min_price, p.sales"
LIKE_WHERE = "p.on_shelf = :on AND p.title LIKE :like"
ORDER = "ORDER BY p.selected DESC, p.sales DESC, p.id DESC LIMIT 21"


def timed(run, repeat: int = 30) -> tuple[float, int]:
    run()
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), rows


def measure(name: str, url: str) -> list[str]:
    from miniapp_api.extensions import db
    from miniapp_api.services.catalog import list_products

    app = build_app(url)
    lines = [f"{name}: median ms for the first page (rows found)"]
    with app.app_context():
        session = db.session
        connection = session.connection()
        if name == "sqlite":
            start = time.perf_counter()
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE bench_fts USING fts5(title, content='products', "
                "content_rowid='id', tokenize='trigram')"
            )
            connection.exec_driver_sql("INSERT INTO bench_fts(bench_fts) VALUES ('rebuild')")
            built = time.perf_counter() - start
            alternative = (
                "fts5 trigram",
                f"SELECT {COLUMNS} FROM products p WHERE p.on_shelf = :on AND p.id IN "
                f"(SELECT rowid FROM bench_fts WHERE bench_fts MATCH :match) {ORDER}",
            )
        else:
            start = time.perf_counter()
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            connection.exec_driver_sql(
                "CREATE INDEX bench_trgm ON products USING gin (title gin_trgm_ops)"
            )
            connection.exec_driver_sql("ANALYZE products")
            built = time.perf_counter() - start
            alternative = (
                "pg_trgm gin",
                f"SELECT {COLUMNS} FROM products p WHERE {LIKE_WHERE} {ORDER}",
            )
        lines.append(f"  ({alternative[0]} index built in {built:.1f} s)")
        baseline = timed(lambda: len(list_products(session)[0]))
        lines.append(f"  (no search, through list_products: {baseline[0]:.2f})")
        naive = f"SELECT {COLUMNS} FROM products p WHERE {LIKE_WHERE} {ORDER}"
        for term in TERMS:
            params = {"like": f"%{term}%", "match": f'"{term}"', "on": True}
            ours = timed(lambda term=term: len(list_products(session, q=term)[0]))
            if name == "sqlite" and len(term) < 3:
                other = "n/a (trigram needs 3+ characters)"
            else:
                ms, rows = timed(
                    lambda p=params: len(connection.execute(text(alternative[1]), p).all())
                )
                other = f"{ms:.2f} ({rows})"
            plain = timed(lambda p=params: len(connection.execute(text(naive), p).all()))
            lines.append(
                f"  {term}: ngram {ours[0]:.2f} ({ours[1]}) | {alternative[0]} {other} "
                f"| plain LIKE {plain[0]:.2f} ({plain[1]})"
            )
        if name == "sqlite":
            connection.exec_driver_sql("DROP TABLE bench_fts")
        else:
            connection.exec_driver_sql("DROP INDEX bench_trgm")
        session.commit()
    return lines


def main() -> None:
    lines = measure("sqlite", SQLITE_URL) + measure("postgres", POSTGRES_URL)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
