"""bench/mix: the mini-program's real traffic replayed against 100,000 products, beside a bare
Flask endpoint in the same run, with the answer cache on and off.

    apt-get install -y wrk           # if missing
    python bench/mix.py                          # SQLite and PostgreSQL, 30 s per case
    python bench/mix.py --db postgres --duration 12
    python bench/mix.py --db postgres --rate 400    # latency at a given traffic, not saturated

bench/browse.py repeats one query per case, which the per-worker answer cache serves almost
entirely. Here each request is drawn from a prepared list (bench/wrk_mix.lua picks a line at
random per request):

* a third are product pages, the product drawn with a Zipf-like skew (exponent 0.8) over the
  on-shelf products;
* a third are searches: a term drawn with a Zipf skew (exponent 1) from at least 2,000
  distinct terms of one to six characters cut from the titles (common and rare) plus terms no
  title holds, in the default order (half), by price up or down, by sales or newest;
* a sixth are first pages of the plain listing, a category or a county (county drawn with a
  Zipf skew), in the default order or by price;
* a sixth are pages 2-5 of those lists and searches, by the cursors the app gave.

The catalogue, gunicorn settings (the Procfile's) and 32 connections are bench/browse.py's.
Four servers run: the app with its default cache (CATALOG_CACHE_SECONDS=5, each worker its
own), the same cache shared by the workers through Redis (CATALOG_SHARED_CACHE=1), the app with
the cache off, and the bare endpoint; the cases take
turns in slices, so background load on a shared machine falls on all of them alike. Printed
per case: requests/s (median slice), p50 and p99 over all requests, the ratio to the bare
endpoint, and with the cache on its hit rate over the answers it may keep (lists and product
pages; the app marks them `X-Cache: hit` or `miss`). The hit rate grows with the request rate:
at a few hundred requests/s few of the 100,000 prepared requests come back within 5 seconds.

Run as above, every connection sends its next request as soon as the last is answered: the
server is saturated and, with 32 connections waiting, the mean latency is 32 ÷ requests/s.
`--rate R` paces the connections instead (each waits a random time, averaging 32 ÷ R seconds,
before each request), which shows the latency at a given traffic, such as a lunchtime's.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import (  # noqa: E402
    APP_PORT,
    BARE_PORT,
    OUT,
    POSTGRES_URL,
    SECRET,
    SQLITE_URL,
    percentile,
    prepare,
    procfile_settings,
    start_gunicorn,
    stop,
)
from databases import PRODUCTION_SETTINGS  # noqa: E402

BENCH = Path(__file__).resolve().parent
PORTS = {
    "bare": BARE_PORT,
    "cache on": APP_PORT,
    "cache on, shared through Redis": APP_PORT + 3,
    "cache off": APP_PORT + 2,
}
# what each app server runs with beside the production settings: the default cache, kept by
# each worker; the same cache shared by the workers through Redis; no cache
CACHE_SETTINGS = {
    "cache on": {"CATALOG_CACHE_SECONDS": "5"},
    "cache on, shared through Redis": {"CATALOG_CACHE_SECONDS": "5", "CATALOG_SHARED_CACHE": "1"},
    "cache off": {"CATALOG_CACHE_SECONDS": "0"},
}
SEARCH_SORTS = (
    ("default", 50),
    ("price_asc", 15),
    ("price_desc", 15),
    ("sales", 10),
    ("newest", 10),
)
LIST_SORTS = (("default", 60), ("price_asc", 25), ("price_desc", 15))


def zipf_weights(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf weights over `count` ranks (for random.choices' cum_weights)."""
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


def cut_terms(titles: list[str], rng: random.Random, wanted: int) -> list[str]:
    """Distinct substrings of one to six characters of the titles, shorter ones likelier."""
    terms: set[str] = set()
    while len(terms) < wanted:
        title = rng.choice(titles)
        size = rng.choice((1, 2, 2, 2, 3, 3, 4, 4, 5, 6))
        if len(title) >= size:
            start = rng.randrange(len(title) - size + 1)
            terms.add(title[start : start + size])
    return sorted(terms)


def absent_terms(titles: list[str], rng: random.Random, wanted: int) -> list[str]:
    """Terms of two to four characters spliced from two titles that no title holds."""
    joined = "\n".join(titles)
    terms: set[str] = set()
    while len(terms) < wanted:
        left, right = rng.choice(titles), rng.choice(titles)
        term = left[-rng.randint(1, 2) :] + right[: rng.randint(1, 2)]
        if term not in joined:
            terms.add(term)
    return sorted(terms)


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def build_mix(database_url: str, token: str, size: int, seed: int = 17) -> dict[str, Any]:
    """The request lines of the mix (paths with their query), and what they were drawn from."""
    from generate_catalog import build_app

    from miniapp_api.extensions import db
    from models import Category, Product

    rng = random.Random(seed)
    app = build_app(database_url)
    app.config.update(SECRET_KEY=SECRET, CATALOG_CACHE_SECONDS=0)
    with app.app_context():
        shelf = db.session.execute(
            db.select(Product.id, Product.title, Product.county).where(Product.on_shelf)
        ).all()
        categories = list(db.session.scalars(db.select(Category.id).order_by(Category.id)))
    titles = [row.title for row in shelf]
    counties = sorted({row.county for row in shelf})
    rng.shuffle(counties)
    products = [row.id for row in shelf]
    rng.shuffle(products)
    terms = cut_terms(titles, rng, 1900) + absent_terms(titles, rng, 150)
    rng.shuffle(terms)
    term_weights = zipf_weights(len(terms), 1.0)
    county_weights = zipf_weights(len(counties), 1.0)
    product_weights = zipf_weights(len(products), 0.8)

    def search() -> str:
        term = rng.choices(terms, cum_weights=term_weights)[0]
        sort = weighted(rng, SEARCH_SORTS)
        return "/api/v1/products?" + urlencode({"q": term} | _sorted(sort))

    def listing() -> str:
        kind = rng.choice(("plain", "category", "county"))
        query: dict[str, Any] = {}
        if kind == "category":
            query["category"] = rng.choice(categories)
        elif kind == "county":
            query["county"] = rng.choices(counties, cum_weights=county_weights)[0]
        return "/api/v1/products?" + urlencode(query | _sorted(weighted(rng, LIST_SORTS)))

    # pages 2-5: follow the cursors of first pages drawn like the others
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    deeper: list[str] = []
    for _ in range(300):
        path = search() if rng.random() < 0.5 else listing()
        for _page in range(4):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.get_json())
            cursor = answer.get_json()["next_cursor"]
            if cursor is None:
                break
            path = re.sub(r"&cursor=[^&]*", "", path) + "&" + urlencode({"cursor": cursor})
            deeper.append(path)
    lines = []
    for _ in range(size):
        draw = rng.random()
        if draw < 1 / 3:
            lines.append(
                f"/api/v1/products/{rng.choices(products, cum_weights=product_weights)[0]}"
            )
        elif draw < 2 / 3:
            lines.append(search())
        elif draw < 5 / 6:
            lines.append(listing())
        else:
            lines.append(rng.choice(deeper))
    return {"lines": lines, "terms": len(terms), "absent": 150, "deeper_pages": len(deeper)}


def _sorted(sort: str) -> dict[str, str]:
    return {} if sort == "default" else {"sort": sort}


def wrk_mix(
    url: str, seconds: int, connections: int, headers: dict, lines: Path, pause_ms: float = 0
) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    command += ["-s", str(BENCH / "wrk_mix.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, "--", str(lines), str(pause_ms)], capture_output=True, text=True, check=True
    ).stdout
    hits, misses = map(int, re.search(r"^CACHE (\d+) (\d+)$", output, re.M).groups())
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "count": int(re.search(r"^COUNT (\d+)$", output, re.M).group(1)),
        "grid": [
            (float(p), int(us) / 1000) for p, us in re.findall(r"^PCT (\S+) (\d+)$", output, re.M)
        ],
        "hits": hits,
        "misses": misses,
        "failures": int(re.search(r"^FAILURES (\d+)$", output, re.M).group(1)),
    }


def bare_lines() -> Path:
    path = OUT / "mix-bare.txt"
    path.write_text("/items\n")
    return path


def run(db_name: str, database_url: str, args) -> list[str]:
    token, _ = prepare(database_url, args.products, regenerate=False)
    mix = build_mix(database_url, token, args.size)
    lines = OUT / f"mix-{db_name}.txt"
    lines.write_text("\n".join(mix["lines"]) + "\n")
    headers = {"Authorization": f"Bearer {token}"}
    env = {"DATABASE_URL": database_url, **PRODUCTION_SETTINGS}
    servers = {}
    try:
        servers["bare"] = start_gunicorn("bare_app:create_app()", PORTS["bare"], {}, OUT / "g-bare")
        for name, settings in CACHE_SETTINGS.items():
            # each server its own answers in Redis: none is served another's (or another
            # database's) answers
            prefix = f"bench-mix:{db_name}:{PORTS[name]}:{random.getrandbits(32):x}:"
            servers[name] = start_gunicorn(
                "miniapp_api:create_app()",
                PORTS[name],
                env | settings | {"CATALOG_SHARED_CACHE_PREFIX": prefix},
                OUT / f"gunicorn-mix-{db_name}-{PORTS[name]}.log",
            )
        files = {name: lines for name in CACHE_SETTINGS} | {"bare": bare_lines()}
        slices: dict[str, list[dict]] = {name: [] for name in PORTS}
        seconds = max(1, round(args.duration / args.rounds))
        for name in PORTS:  # warm up: connections, plans, the first cache entries
            wrk_mix(f"http://127.0.0.1:{PORTS[name]}", 1, args.connections, headers, files[name])
        for round_ in range(args.rounds):
            for name in PORTS:
                url = f"http://127.0.0.1:{PORTS[name]}"
                part = wrk_mix(url, seconds, args.connections, headers, files[name], pause_ms(args))
                slices[name].append(part)
                print(
                    f"  {db_name} round {round_ + 1}: {name}: {part['rps']:.0f} req/s, "
                    f"hits {part['hits']}, misses {part['misses']}, failures {part['failures']}",
                    flush=True,
                )
    finally:
        for process in servers.values():
            stop(process)
    return report(db_name, mix, slices, args)


def pause_ms(args) -> float:
    """With --rate: the mean pause of each connection between its requests, so that all of them
    together ask about `rate` requests/s (ignoring the answers' own time)."""
    return args.connections * 1000 / args.rate if args.rate else 0.0


def report(db_name: str, mix: dict, slices: dict[str, list[dict]], args) -> list[str]:
    bare = statistics.median(p["rps"] for p in slices["bare"])
    kinds = _kinds(mix["lines"])
    paced = (
        f"paced at about {args.rate} requests/s (each connection pausing "
        f"{pause_ms(args):.0f} ms on average between requests; the ratio only says the rate "
        "was kept), "
        if args.rate
        else ""
    )
    lines = [
        f"{db_name}: {paced}{args.duration} s per case in {args.rounds} interleaved slices, "
        f"{args.connections} connections, gunicorn {' '.join(procfile_settings())}; "
        f"{len(mix['lines']):,} prepared requests ({kinds}), {mix['terms']:,} search terms "
        f"({mix['absent']} in no title), {mix['deeper_pages']} pages 2-5",
        "| case | requests/s | (mean) | p50 ms | p99 ms | ratio to bare | cache hit rate "
        "| non-200 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, parts in slices.items():
        rps = statistics.median(p["rps"] for p in parts)
        hits, misses = sum(p["hits"] for p in parts), sum(p["misses"] for p in parts)
        looked_up = hits + misses
        rate = f"{hits / looked_up:.0%}" if name.startswith("cache on") and looked_up else ""
        ratio = "" if name == "bare" else f"{rps / bare:.2f}×"
        lines.append(
            f"| {'bare Flask, fixed 20 items' if name == 'bare' else 'mix, ' + name} "
            f"| {rps:.0f} | {statistics.mean(p['rps'] for p in parts):.0f} "
            f"| {percentile(parts, 50):.1f} | {percentile(parts, 99):.1f} | {ratio} | {rate} "
            f"| {sum(p['failures'] for p in parts)} |"
        )
    return lines


def _kinds(lines: list[str]) -> str:
    def kind(line: str) -> str:
        if "/products/" in line:
            return "product pages"
        if "cursor=" in line:
            return "pages 2-5"
        if "q=" in line:
            return "searches"
        return "first pages of lists"

    counts = {k: len(list(g)) for k, g in itertools.groupby(sorted(map(kind, lines)))}
    return ", ".join(f"{k} {n / len(lines):.0%}" for k, n in counts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description="the realistic mix under load")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=30, help="seconds per case")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=100_000, help="prepared requests")
    parser.add_argument(
        "--rate",
        type=int,
        default=0,
        help="pace the load at about this many requests/s (latency at a given traffic, "
        "rather than throughput at saturation)",
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    targets = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}
    names = list(targets) if args.db == "both" else [args.db]
    report_lines: list[str] = []
    for name in names:
        report_lines += run(name, targets[name], args) + [""]
    text = "\n".join(report_lines)
    print("\n" + text)
    (OUT / "mix-latest.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
