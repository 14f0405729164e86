"""CPU time the app spends per request, case by case, through Flask's test client.

    python bench/cpu_per_request.py [--db sqlite|postgres|both] [--cache-seconds 5]

bench/browse.py measures throughput under load, which on a machine shared with other work swings
from run to run. This measures what each case costs the app's own process (time.process_time,
so waiting on the database and other processes' work are not counted), interleaving the cases,
on the same 100,000-product catalogue: a steadier view of the same ratios. For PostgreSQL the
database server's own work is not in these figures. The cases marked "request metrics off" run
the same app without the per-request Prometheus observation (miniapp_api.metrics), to show
what it costs. The answer cache is off unless
`--cache-seconds` says otherwise: these are the costs of requests the cache has not seen.
To compare two versions of the code in one sitting, run this script from each checkout in
turn (PYTHONPATH=<checkout>), twice, alternating.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import POSTGRES_URL, SEARCHES, SQLITE_URL, prepare  # noqa: E402
from databases import PRODUCTION_SETTINGS  # noqa: E402

ROUNDS, PER_ROUND = 10, 50


def _app_without_request_metrics(create_app):
    """The same app with the per-request Prometheus observation replaced by nothing, so that
    the cases "..., request metrics off" show what the metrics cost each request."""
    from miniapp_api import metrics

    observe = metrics.observe_request
    metrics.observe_request = lambda *args: None
    try:
        return create_app()
    finally:
        metrics.observe_request = observe


def measure(db_name: str, url: str, cache_seconds: float = 0) -> list[str]:
    token, category = prepare(url, 100_000, regenerate=False)
    os.environ.update(
        {
            "DATABASE_URL": url,
            **PRODUCTION_SETTINGS,
            "CATALOG_CACHE_SECONDS": str(cache_seconds),
        }
    )
    import bare_app

    from miniapp_api import create_app

    client = create_app().test_client()
    without_metrics = _app_without_request_metrics(create_app).test_client()
    bare = bare_app.create_app().test_client()
    headers = {"Authorization": f"Bearer {token}"}
    cases = {
        "bare Flask, fixed 20 items": (bare, "/items"),
        "GET /me (auth and framework alone)": (client, "/api/v1/me"),
        "GET /me, request metrics off": (without_metrics, "/api/v1/me"),
        "default listing": (client, "/api/v1/products"),
        "default listing, request metrics off": (without_metrics, "/api/v1/products"),
        "category filter": (client, f"/api/v1/products?category={category}"),
    }
    for name, q in SEARCHES.items():
        cases[name] = (client, f"/api/v1/products?q={quote(q)}")
    cases["search 3 chars by sales (香粳米)"] = (
        client,
        f"/api/v1/products?q={quote('香粳米')}&sort=sales",
    )
    cases["product page"] = (client, "/api/v1/products/1001")
    spent = dict.fromkeys(cases, 0.0)
    for test_client, path in cases.values():
        for _ in range(20):
            assert test_client.get(path, headers=headers).status_code == 200
    for _ in range(ROUNDS):
        for name, (test_client, path) in cases.items():
            start = time.process_time()
            for _ in range(PER_ROUND):
                test_client.get(path, headers=headers)
            spent[name] += time.process_time() - start
    per_request = {name: total / (ROUNDS * PER_ROUND) * 1000 for name, total in spent.items()}
    default = per_request["default listing"]
    lines = [
        f"{db_name}: app CPU ms per request, CATALOG_CACHE_SECONDS={cache_seconds:g} "
        "(ratio: default's cost / this case's cost)"
    ]
    for name, ms in per_request.items():
        lines.append(f"  {name}: {ms:.2f} ms ({default / ms:.2f})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="app CPU per request")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cache-seconds", type=float, default=0)
    args = parser.parse_args()
    targets = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}
    names = list(targets) if args.db == "both" else [args.db]
    lines: list[str] = []
    for name in names:
        lines += measure(name, targets[name], args.cache_seconds)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
