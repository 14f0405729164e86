"""What keeping the search postings in step costs a write: `index_titles` over products of a
catalogue (their postings deleted and written again, their grams recounted), inside a
transaction that is rolled back, so the catalogue is left as it was.

    python bench/index_cost.py --database-url URL [--products 5000] [--rounds 3]
    python bench/index_cost.py --database-url URL --compare OTHER_CHECKOUT

`--compare` runs another checkout's `index_titles` (its catalog_search.py, loaded beside this
one) and this one's alternately over the same products, so that both see the same load. Prints
the postings written per product and the median wall and CPU time (this process's; the
database's own work is only in the wall time) of the rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))


def other_version(checkout: str) -> ModuleType:
    path = Path(checkout) / "miniapp_api" / "services" / "catalog_search.py"
    spec = importlib.util.spec_from_file_location("compared_catalog_search", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", help="another checkout, run alternately with this one")
    args = parser.parse_args()
    from generate_catalog import build_app
    from sqlalchemy import select

    from miniapp_api.extensions import db
    from miniapp_api.services import catalog_search
    from models import Product

    versions = {"this": catalog_search}
    if args.compare:
        versions = {"compared": other_version(args.compare), **versions}
    app = build_app(args.database_url)
    with app.app_context():
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
        postings: dict[str, int] = {}
        for round_ in range(args.rounds):
            names = list(versions) if round_ % 2 == 0 else list(reversed(versions))
            for name in names:
                products = db.session.scalars(
                    select(Product).order_by(Product.id).limit(args.products)
                ).all()
                for product in products:
                    product.created_at  # loaded before the clock starts  # noqa: B018
                started, cpu = time.perf_counter(), time.process_time()
                versions[name].index_titles(db.session, products)
                db.session.flush()
                timings[name].append((time.perf_counter() - started, time.process_time() - cpu))
                postings[name] = sum(len(versions[name].title_grams(p.title)) for p in products)
                db.session.rollback()
        for name in versions:
            walls = [wall for wall, _ in timings[name]]
            print(
                f"{name}: {args.products} products, {postings[name] / args.products:.1f} postings "
                f"each: {statistics.median(walls):.1f} s wall, "
                f"{statistics.median(cpu for _, cpu in timings[name]):.1f} s CPU "
                f"(rounds: {', '.join(f'{wall:.1f}' for wall in walls)} s)"
            )


if __name__ == "__main__":
    main()
