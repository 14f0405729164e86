"""How much work the database does for one search page, counted rather than timed.

    python bench/search_plans.py --database-url URL [--sort sales] [TERM ...]

On a machine shared with other work, timings of a few milliseconds swing by a factor of two
between runs; what a plan reads does not. For each case this calls `list_products` (first page,
cache and HTTP left out) and counts, on PostgreSQL, the buffers (8 kB pages, hit or read) of
every statement it sent, by running each again under EXPLAIN (ANALYZE, BUFFERS); on SQLite,
the virtual machine steps, through the driver's progress handler (one tick per 10 steps,
printed in hundreds).
The median time of five runs is printed beside them. Run it from another checkout
(PYTHONPATH=that checkout) to compare two versions of the search on the same catalogue.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CASES = [
    ("米", "default"),
    ("香菇", "default"),
    ("红心猕猴", "default"),
    ("红心猕猴", "sales"),
    ("香粳米", "sales"),
    ("香粳米", "newest"),
    ("高山香粳米", "sales"),
    ("高山香粳米", "newest"),
    ("精选红", "newest"),
    ("有机米", "sales"),
    ("古法红糖", "sales"),
    ("农家香菇", "newest"),
    ("酵素", "sales"),
    # rare strings (two or three titles) whose bigrams are all common, then whose trigrams are
    ("仁米花", "sales"),
    ("马山香猪", "newest"),
    ("平高山洋", "sales"),
]


def work(db, list_products, q: str, sort: str) -> tuple[float, int]:
    """(units of work, statements) of one first page."""
    from sqlalchemy import event

    engine = db.engine
    statements: list[tuple[str, object]] = []
    if engine.dialect.name == "sqlite":
        ticks = [0]
        raw = db.session.connection().connection.driver_connection

        def tick() -> int:
            ticks[0] += 1
            return 0

        raw.set_progress_handler(tick, 10)
        try:
            list_products(db.session, q=q, sort=sort)
        finally:
            raw.set_progress_handler(None, 10)
        db.session.rollback()
        return ticks[0] / 10, 0

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        list_products(db.session, q=q, sort=sort)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    db.session.rollback()
    blocks = 0
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0][0]["Plan"]
            blocks += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return blocks, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sort", default=None, help="sort for the terms given")
    parser.add_argument("terms", nargs="*")
    args = parser.parse_args()
    from generate_catalog import build_app

    from miniapp_api.extensions import db
    from miniapp_api.services.catalog import list_products

    cases = [(t, args.sort or "default") for t in args.terms] or CASES
    app = build_app(args.database_url)
    with app.app_context():
        unit = "buffers" if db.engine.dialect.name == "postgresql" else "VM steps / 100"
        print(f"| search | sort | {unit} | statements | rows | median ms |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for q, sort in cases:
            times = []
            for _ in range(5):
                start = time.perf_counter()
                rows, _cursor = list_products(db.session, q=q, sort=sort)
                times.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            units, statements = work(db, list_products, q, sort)
            shown = statements or ""
            print(
                f"| {q} | {sort} | {units} | {shown} | {len(rows)} "
                f"| {statistics.median(times):.1f} |"
            )


if __name__ == "__main__":
    main()
