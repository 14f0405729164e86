"""Where the app's CPU goes on one kind of request, with the answer cache off (pyinstrument).

    pip install pyinstrument
    python bench/profile_request.py [--db sqlite|postgres] [--path /api/v1/products] [-n 2000]

Runs the request `-n` times through Flask's test client on the 100,000-product catalogue of
bench/browse.py (CATALOG_CACHE_SECONDS=0, MINIAPP_ENV=production) and prints pyinstrument's
call tree, trimmed to frames above 1.5 % of the time. The request log goes to /dev/null, as
gunicorn's would go to its log file. docs/performance.md holds the profiles before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import POSTGRES_URL, SECRET, SQLITE_URL, prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="profile one request path")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--path", default="/api/v1/products")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    from pyinstrument import Profiler

    url = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}[args.db]
    token, _ = prepare(url, 100_000, regenerate=False)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "MINIAPP_ENV": "production",
            "CATALOG_CACHE_SECONDS": "0",
        }
    )
    from miniapp_api import create_app

    client = create_app().test_client()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(50):
        assert client.get(args.path, headers=headers).status_code == 200
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(args.n):
        client.get(args.path, headers=headers)
    profiler.stop()
    print(
        profiler.output_text(
            unicode=True,
            color=False,
            show_all=True,
            time="percent_of_total",
            processor_options={"filter_threshold": 0.015},
        )
    )


if __name__ == "__main__":
    main()
