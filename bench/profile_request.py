"""Where the app's own CPU goes on one kind of uncached request, part by part.

    python bench/profile_request.py [--db sqlite|postgres] [--path /api/v1/products] [-n 1000]

Runs the request `-n` times through Flask's test client on the 100,000-product catalogue of
bench/browse.py (CATALOG_CACHE_SECONDS=0, MINIAPP_ENV=production, the request log to
/dev/null) under cProfile timed by CPU time (time.process_time), so that waiting on the
database and other processes' work are not counted, and prints each part's CPU per request
(cumulative, profiler overhead included: read the shares, not the absolute figures). Run it
from another checkout (PYTHONPATH=that checkout) to compare versions; docs/performance.md has
the profiles before and after issue 17. For a wall-clock call tree, py-spy or pyinstrument
over the same loop.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import POSTGRES_URL, SQLITE_URL, prepare, uncached_client  # noqa: E402

# (part of the request, functions whose cumulative time is that part: (file suffix, name))
PARTS = [
    ("whole request (Flask's wsgi_app)", [("flask/app.py", "wsgi_app")]),
    ("token check", [("miniapp_api/auth.py", "token_claims")]),
    (
        "Flask-Limiter before_request hook",
        [("flask_limiter/_extension.py", "_check_request_limit")],
    ),
    (
        "cookie session (open and save)",
        [("flask/sessions.py", "open_session"), ("flask/sessions.py", "save_session")],
    ),
    ("query arguments (webargs, marshmallow)", [("webargs/core.py", "parse")]),
    ("connection checkout from the pool", [("sqlalchemy/pool/base.py", "_checkout")]),
    ("  of which the pre-ping round trip", [("sqlalchemy/engine/default.py", "_do_ping_w_event")]),
    ("list query: execute", [("sqlalchemy/engine/base.py", "_execute_context")]),
    ("list query: fetch the rows", [("sqlalchemy/engine/result.py", "all")]),
    ("card dicts", [("miniapp_api/schemas/catalog.py", "product_card")]),
    (
        "JSON encoding",
        [("flask/json/__init__.py", "jsonify"), ("miniapp_api/mp/catalog.py", "_json")],
    ),
    ("commit (and its round trip)", [("sqlalchemy/orm/scoping.py", "commit")]),
    ("request log line", [("logging/__init__.py", "info")]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per part of one request path")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--path", default="/api/v1/products")
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    url = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}[args.db]
    token, _ = prepare(url, 100_000, regenerate=False)
    client = uncached_client(url)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(50):
        assert client.get(args.path, headers=headers).status_code == 200
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.n):
        client.get(args.path, headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    print(f"{args.db} {args.path}: CPU ms per request under cProfile, {args.n} requests")
    for part, functions in PARTS:
        total = sum(
            entry[3]
            for (filename, _line, name), entry in stats.items()
            if any(filename.endswith(f) and name == n for f, n in functions)
        )
        print(f"| {part} | {total / args.n * 1000:.3f} |")


if __name__ == "__main__":
    main()
