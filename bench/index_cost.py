"""What keeping the search postings in step costs a write: `index_titles` over products of a
bench catalogue (their postings deleted and written again, their grams recounted), inside a
transaction that is rolled back, so the catalogue is left as it was.

    python bench/index_cost.py --database-url URL [--products 5000] [--rounds 3]

Run it from another checkout (PYTHONPATH=that checkout) on a catalogue built by that checkout
to compare two versions of the index. Prints the postings written per product and the wall
and CPU time (this process's; the database's own work is in the wall time) per 1,000 products,
the median of the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from generate_catalog import build_app
    from sqlalchemy import func, select

    from miniapp_api.extensions import db
    from miniapp_api.services.catalog_search import index_titles, title_grams
    from models import Product

    app = build_app(args.database_url)
    with app.app_context():
        walls, cpus = [], []
        for round_ in range(args.rounds):
            start_id = 1 + round_ * args.products  # other products each round: cold as a write
            products = db.session.scalars(
                select(Product)
                .where(Product.id >= start_id)
                .order_by(Product.id)
                .limit(args.products)
            ).all()
            started, cpu = time.perf_counter(), time.process_time()
            index_titles(db.session, products)
            db.session.flush()
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            postings = sum(len(title_grams(p.title)) for p in products)
            db.session.rollback()
        count = db.session.scalar(select(func.count()).select_from(Product))
        per = 1000 / args.products
        print(
            f"{args.products} of {count} products, {postings / args.products:.1f} postings each: "
            f"{statistics.median(walls) * per:.2f} s wall, "
            f"{statistics.median(cpus) * per:.2f} s CPU per 1,000 products "
            f"(rounds: {', '.join(f'{w:.2f}' for w in walls)} s)"
        )


if __name__ == "__main__":
    main()
