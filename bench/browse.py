"""bench/browse: the catalogue under load, beside a bare Flask endpoint, in the same run.

    python bench/browse.py                      # SQLite and PostgreSQL, 20 s per case
    python bench/browse.py --db sqlite --duration 3

For each database: gunicorn serves the app with the Procfile's settings (2 workers, 4 threads,
no keep-alive) on 100,000 products / 300,000 SKUs (generated once by bench/generate_catalog.py,
kept under bench/out/), and a bare Flask app answering a fixed 20-item JSON list runs under the same
settings. wrk loads each case from 32 connections and the figures are printed side by side
with the targets of issue 5: the default listing at least half the bare endpoint's requests/s,
every search case at least 0.8 times the default listing's, and p99 under 100 ms; with
`--cache-seconds 0`, issue 17's: the listing at least 0.3 times the bare endpoint, every search
0.8 times the listing with p99 under 60 ms, and the product page at least 0.3 times the bare
endpoint (with the cache, too).
The cases take turns in slices (--rounds, 10 by default), so background load on a shared
machine falls on all of them alike; each case's requests/s is its median slice's, and its p50
and p99 are over all its requests (bench/wrk_latency.lua prints each slice's percentile grid).

Needs wrk (`sudo apt-get install wrk`, `brew install wrk`, or built from
https://github.com/wg/wrk; it says so if missing). The PostgreSQL database (BENCH_POSTGRES_URL,
default miniapp_bench_catalog) is created when missing.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from databases import PRODUCTION_SETTINGS, require_wrk

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
SQLITE_URL = f"sqlite:///{OUT / 'catalog.sqlite3'}"
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/miniapp_bench_catalog"
)
# BENCH_PORT moves both (and bench/mix.py's third) to run two benchmarks side by side
APP_PORT = int(os.environ.get("BENCH_PORT", "18080"))
BARE_PORT = APP_PORT + 1
SECRET = PRODUCTION_SETTINGS["SECRET_KEY"]
SEARCHES = {
    "search 2 chars (香菇)": "香菇",
    "search 4 chars (红心猕猴)": "红心猕猴",
    "search rare (酵素)": "酵素",
    "search common 1 char (米)": "米",
}


GUNICORN_OPTIONS: list[str] | None = None  # --gunicorn replaces the Procfile's, to compare


def procfile_settings() -> list[str]:
    """The gunicorn options of the Procfile's web line, without its bind."""
    if GUNICORN_OPTIONS is not None:
        return GUNICORN_OPTIONS
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = shlex.split(line.removeprefix("web:"))[2:]  # drop `gunicorn` and the app
    options, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word == "--bind":
            skip = True
        elif options and options[-1] in ("-c", "--config"):
            options.append(str(ROOT / word))  # the bare app runs from bench/
        else:
            options.append(word)
    return options


def start_gunicorn(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command + procfile_settings(),
        cwd=BENCH if app.startswith("bare_app") else ROOT,
        env={**os.environ, **env},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=10)
            return process
        except requests.RequestException:
            time.sleep(0.3)
    stop(process)
    raise SystemExit(f"gunicorn on port {port} did not start, see {log}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def prepare(database_url: str, products: int, regenerate: bool) -> tuple[str, int]:
    """Generate the catalogue if needed; an employee's token and a category id for the load."""
    sys.path.insert(0, str(BENCH))
    from generate_catalog import build_app, generate, reset_schema

    from miniapp_api.auth import EMPLOYEE, issue_token
    from miniapp_api.extensions import db
    from models import Category, Employee, Product

    app = build_app(database_url)
    app.config["SECRET_KEY"] = SECRET
    with app.app_context():
        try:
            count = db.session.query(Product).count()
        except Exception:
            count = 0
        # end the count's transaction: a migration that creates or drops an index
        # CONCURRENTLY waits for every transaction that has read the table
        db.session.rollback()
        if regenerate or count < products:
            reset_schema(app)
            print("generated:", generate(app, products, 3), flush=True)
        else:
            from flask_migrate import upgrade

            upgrade()  # a catalogue generated by older code gets today's indexes
        employee = Employee(openid=f"bench-{time.time_ns()}")
        db.session.add(employee)
        db.session.commit()
        token, _ = issue_token(EMPLOYEE, employee)
        category = db.session.query(Category).filter_by(name="休闲食品").one().id
        db.session.remove()
        db.engine.dispose()
    return token, category


def uncached_client(url: str) -> Any:
    """The app on the catalogue at `url`, through Flask's test client: production settings,
    the answer cache off, the request log sent nowhere. For the benchmarks that measure what a
    request costs the app itself (bench/profile_request.py, cpu_changes.py, tail.py)."""
    import logging

    os.environ.update({"DATABASE_URL": url, **PRODUCTION_SETTINGS, "CATALOG_CACHE_SECONDS": "0"})
    from miniapp_api import create_app

    client = create_app().test_client()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    return client


def deep_cursor(base: str, headers: dict[str, str], pages: int) -> str:
    cursor = None
    for _ in range(pages):
        query = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        response = requests.get(f"{base}/api/v1/products?{urlencode(query)}", headers=headers)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
    return cursor


def wrk(url: str, duration: int, connections: int, headers: dict[str, str]) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    command += ["-s", str(BENCH / "wrk_latency.lua")]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "count": int(re.search(r"^COUNT (\d+)$", output, re.M).group(1)),
        # (percent, latency in ms) from bench/wrk_latency.lua
        "grid": [
            (float(p), int(us) / 1000) for p, us in re.findall(r"^PCT (\S+) (\d+)$", output, re.M)
        ],
    }
    for label in ("50", "99"):
        figures[f"p{label}"] = percentile([figures], float(label))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["non_2xx"] = int(errors.group(1)) if errors else 0
    return figures


def percentile(parts: list[dict[str, Any]], percent: float) -> float:
    """The latency (ms) below which `percent` of all the requests of these slices finished,
    from each slice's percentile grid weighted by its request count (exact to the grid)."""
    total = sum(part["count"] for part in parts)

    def share_within(latency: float) -> float:
        done = 0.0
        for part in parts:
            below = [p for p, ms in part["grid"] if ms <= latency]
            done += part["count"] * (max(below) if below else 0.0) / 100
        return done / total

    candidates = sorted({ms for part in parts for _, ms in part["grid"]})
    low, high = 0, len(candidates) - 1  # share_within grows with the latency: bisect
    while low < high:
        middle = (low + high) // 2
        if share_within(candidates[middle]) >= percent / 100:
            high = middle
        else:
            low = middle + 1
    return candidates[low]


def combine(parts: list[dict[str, Any]]) -> dict[str, float]:
    """Slices of equal length: the median slice's requests/s (a burst of someone else's work
    spoils a slice or two, not the figure) and the mean beside it; p50 and p99 over every
    request of every slice, and the worst slice's p99."""
    return {
        "rps": statistics.median(p["rps"] for p in parts),
        "rps_mean": statistics.mean(p["rps"] for p in parts),
        "p50": percentile(parts, 50),
        "p99": percentile(parts, 99),
        "p99_worst_slice": max(p["p99"] for p in parts),
        "non_2xx": sum(p["non_2xx"] for p in parts),
    }


def run(db_name: str, database_url: str, args) -> list[str]:
    token, category = prepare(database_url, args.products, args.regenerate)
    headers = {"Authorization": f"Bearer {token}"}
    env = {"DATABASE_URL": database_url, **PRODUCTION_SETTINGS}
    if args.cache_seconds is not None:
        env["CATALOG_CACHE_SECONDS"] = str(args.cache_seconds)
    base = f"http://127.0.0.1:{APP_PORT}"
    app = start_gunicorn("miniapp_api:create_app()", APP_PORT, env, OUT / f"gunicorn-{db_name}.log")
    try:
        bare = start_gunicorn("bare_app:create_app()", BARE_PORT, {}, OUT / "gunicorn-bare.log")
    except BaseException:
        stop(app)
        raise
    try:
        cases = {"bare Flask, fixed 20 items": f"http://127.0.0.1:{BARE_PORT}/items"}
        cases["default listing"] = f"{base}/api/v1/products"
        cases["category filter"] = f"{base}/api/v1/products?category={category}"
        for name, q in SEARCHES.items():
            cases[name] = f"{base}/api/v1/products?{urlencode({'q': q})}"
        cases["product page"] = f"{base}/api/v1/products/1001"
        cursor = deep_cursor(base, headers, args.deep_pages)
        cases[f"deep page ({args.deep_pages * 100}+)"] = f"{base}/api/v1/products?cursor={cursor}"
        for url in cases.values():  # warm up, and fail loudly on a broken case
            requests.get(url, headers=headers, timeout=10).raise_for_status()
        # The machine is shared: the cases take turns in slices, so that a burst of someone
        # else's work falls on all of them alike rather than on one.
        slices: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        seconds = max(1, round(args.duration / args.rounds))
        for round_ in range(args.rounds):
            for name, url in cases.items():
                part = wrk(url, seconds, args.connections, headers)
                slices[name].append(part)
                shown = {k: v for k, v in part.items() if k != "grid"}
                print(f"  {db_name} round {round_ + 1}: {name}: {shown}", flush=True)
        results = {name: combine(parts) for name, parts in slices.items()}
    finally:
        stop(app)
        stop(bare)
    return report(db_name, results, args)


def report(db_name: str, results: dict[str, dict], args) -> list[str]:
    bare = results["bare Flask, fixed 20 items"]["rps"]
    default = results["default listing"]["rps"]
    # issue 5's targets with the cache, issue 17's without it
    floor, p99_limit = (0.3, 60) if args.cache_seconds == 0 else (0.5, 100)
    lines = [
        f"{db_name}: {args.duration} s per case in {args.rounds} interleaved slices "
        f"(requests/s: median slice; p50 and p99: all requests), {args.connections} connections, "
        f"gunicorn {' '.join(procfile_settings())}, CATALOG_CACHE_SECONDS="
        f"{'default (5)' if args.cache_seconds is None else args.cache_seconds}",
        "| case | requests/s | (mean) | p50 ms | p99 ms | p99 ms (worst slice) | ratio | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, r in results.items():
        if name.startswith("bare"):
            ratio, target = "", ""
        elif name == "default listing":
            ratio = f"{default / bare:.2f}× bare"
            target = "ok" if default >= floor * bare else f"MISSED (≥{floor}× bare)"
        elif name == "product page":
            ratio = f"{r['rps'] / bare:.2f}× bare"
            target = "ok" if r["rps"] >= 0.3 * bare else "MISSED (≥0.3× bare)"
        else:
            ratio = f"{r['rps'] / default:.2f}× default"
            target = ""
            if name.startswith("search"):
                met = r["rps"] >= 0.8 * default and r["p99"] < p99_limit
                target = "ok" if met else f"MISSED (≥0.8× default, p99<{p99_limit})"
        errors = f" ({r['non_2xx']} non-2xx)" if r["non_2xx"] else ""
        lines.append(
            f"| {name}{errors} | {r['rps']:.0f} | {r['rps_mean']:.0f} | {r['p50']:.1f} "
            f"| {r['p99']:.1f} | {r['p99_worst_slice']:.1f} | {ratio} | {target} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="catalogue browsing under load")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=20, help="seconds per case")
    parser.add_argument("--rounds", type=int, default=10, help="slices each case is split into")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--deep-pages", type=int, default=50, help="pages of 100 to skip")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--cache-seconds",
        type=float,
        default=None,
        help="CATALOG_CACHE_SECONDS for the app (default: the app's own, 5); 0 measures every "
        "request going to the database",
    )
    parser.add_argument(
        "--gunicorn",
        help="gunicorn options to use instead of the Procfile's (both apps), to compare settings",
    )
    args = parser.parse_args()
    if args.gunicorn is not None:
        global GUNICORN_OPTIONS
        GUNICORN_OPTIONS = shlex.split(args.gunicorn)
    require_wrk()
    OUT.mkdir(exist_ok=True)
    targets = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}
    names = list(targets) if args.db == "both" else [args.db]
    lines: list[str] = []
    for name in names:
        lines += run(name, targets[name], args) + [""]
    text = "\n".join(lines)
    print("\n" + text)
    suffix = "" if args.cache_seconds is None else f"-cache-{args.cache_seconds:g}"
    (OUT / f"browse-latest{suffix}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
