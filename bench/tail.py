"""Which requests of the realistic mix make its tail: each one timed alone, slowest first.

    python bench/tail.py [--db sqlite|postgres] [--sample 3000]

Under load, p99 mixes queueing with the requests that are slow by themselves. This replays a
sample of bench/mix.py's prepared requests (the same catalogue, token and production settings,
cache off) one at a time through Flask's test client, each twice (the first run reads pages
into the database's cache), and prints the distribution of the second run and the slowest
requests with their time. A query shape that is slow on its own shows here first: that is
how the category pages sorted by price (170 ms, a walk of the whole catalogue) were found.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import OUT, POSTGRES_URL, SQLITE_URL, prepare, uncached_client  # noqa: E402
from mix import build_mix  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="the mix's requests timed one at a time")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--sample", type=int, default=3000)
    parser.add_argument("--show", type=int, default=20, help="slowest requests to print")
    args = parser.parse_args()
    url = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}[args.db]
    token, _ = prepare(url, 100_000, regenerate=False)
    lines = build_mix(url, token, 100_000)["lines"]
    client = uncached_client(url)
    headers = {"Authorization": f"Bearer {token}"}
    sample = random.Random(3).sample(lines, min(args.sample, len(lines)))
    timed = []
    for path in sample:
        client.get(path, headers=headers)
        start = time.perf_counter()
        status = client.get(path, headers=headers).status_code
        timed.append(((time.perf_counter() - start) * 1000, status, path))
    timed.sort(reverse=True)
    ms = sorted(t for t, _, _ in timed)
    at = lambda share: ms[min(len(ms) - 1, int(len(ms) * share))]  # noqa: E731
    print(
        f"{args.db}: {len(ms)} requests of the mix, each alone (second run), ms: "
        f"median {statistics.median(ms):.1f}, p90 {at(0.9):.1f}, p99 {at(0.99):.1f}, "
        f"max {ms[-1]:.1f}; non-200: {sum(1 for _, s, _ in timed if s != 200)}"
    )
    (OUT / f"tail-{args.db}.txt").write_text(
        "\n".join(f"{t:.1f} {s} {unquote(p)}" for t, s, p in timed) + "\n"
    )
    for elapsed, status, path in timed[: args.show]:
        print(f"  {elapsed:6.1f} ms  {status}  {unquote(path)}")


if __name__ == "__main__":
    main()
