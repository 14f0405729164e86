"""Where the service's CPU goes on bench/orders.py's pair: placing an order (`POST /orders`,
which opens WeChat's prepaid order at the fake) and receiving its payment notification.

    python bench/profile_orders.py [-n 300] [--statements] [--top 40]

The app runs in this process through Flask's test client, with bench/orders.py's settings and
data on PostgreSQL (its database is emptied and refilled); the fake WeChat runs as its own
process, as in the bench. The notification is signed here the way the fake signs it (the
fake sends its notifications over HTTP to a listening service, which the test client is not).
Prints the app's CPU per pair without the profiler (time.process_time, so waiting on the
database or the fake is not counted), the SQL statements of each request, and, under
cProfile timed by CPU time, the functions with the most cumulative CPU per pair.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import resource
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from orders import FAKE_PORT, POSTGRES_URL, SETTINGS, prepare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="CPU per part of bench/orders.py's pair")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--statements", action="store_true", help="print one pair's SQL")
    parser.add_argument("--database-url", default=POSTGRES_URL)
    parser.add_argument("--dump", help="also write the cProfile stats to this file")
    parser.add_argument(
        "--callgrind-pairs",
        type=int,
        metavar="N",
        help="only run N pairs and stop, POST /orders then the notifications, each loop under "
        "sys.call_tracing: under valgrind --tool=callgrind --toggle-collect=sys_call_tracing "
        "--dump-after=sys_call_tracing the two loops' instructions land in two dumps (the "
        "notifications are signed outside them), the same count whatever else the machine runs",
    )
    parser.add_argument(
        "--pyinstrument", action="store_true", help="a wall-clock call tree instead of cProfile"
    )
    args = parser.parse_args()
    plan = prepare(args.database_url)
    fake = subprocess.Popen(
        [sys.executable, "-m", "wx_client.fake", "--port", str(FAKE_PORT)],
        cwd=BENCH.parent,
        env={**os.environ, **SETTINGS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{FAKE_PORT}/__fake__/calls")
        run(args, plan)
    finally:
        fake.terminate()
        fake.wait(timeout=10)


def wait_for(url: str) -> None:
    import requests

    for _ in range(100):
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"nothing answers at {url}")


def run(args, plan: dict) -> None:
    os.environ.update({**SETTINGS, "DATABASE_URL": args.database_url})
    from sqlalchemy import event
    from wechatpy.pay.utils import calculate_signature, dict_to_xml

    from miniapp_api import create_app
    from miniapp_api.extensions import db
    from models.calendar import CHINA

    app = create_app()
    client = app.test_client()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        statements.append(statement)

    token, address_id = plan["buyers"][0]
    headers = {"Authorization": f"Bearer {token}"}
    skus = plan["skus"]

    def place(n: int) -> dict:
        answer = client.post(
            "/api/v1/orders",
            json={
                "items": [{"sku_id": skus[n % len(skus)], "quantity": 1}],
                "address_id": address_id,
            },
            headers=headers,
        )
        assert answer.status_code == 201 and answer.json["payment"], answer.json
        return answer.json["order"]

    def notification(order: dict) -> bytes:
        fen = int(order["cash_amount"].replace(".", ""))
        notice = {
            "appid": SETTINGS["WECHAT_APPID"],
            "mch_id": SETTINGS["WECHAT_MCH_ID"],
            "return_code": "SUCCESS",
            "result_code": "SUCCESS",
            "openid": "bench-buyer-0",
            "out_trade_no": order["order_no"],
            "total_fee": fen,
            "trade_type": "JSAPI",
            "fee_type": "CNY",
            "transaction_id": "4200" + "".join(secrets.choice("0123456789") for _ in range(24)),
            "time_end": datetime.now(CHINA).strftime("%Y%m%d%H%M%S"),
            "cash_fee": fen,
            "bank_type": "OTHERS",
            "is_subscribe": "N",
            "nonce_str": secrets.token_hex(16),
        }
        return dict_to_xml(
            notice, calculate_signature(notice, SETTINGS["WECHAT_PAY_API_KEY"])
        ).encode()

    def notify(body: bytes) -> None:
        answer = client.post(
            "/api/v1/pay/wechat/notify", data=body, headers={"Content-Type": "application/xml"}
        )
        assert b"SUCCESS" in answer.data, answer.data

    for n in range(30):  # warm up: imports, compiled statement caches, the pool
        notify(notification(place(n)))

    if args.callgrind_pairs:
        # sys.call_tracing runs each loop through a C function nothing else here calls, for
        # callgrind's --toggle-collect (exec would also count every module imported)
        placed: list[dict] = []
        sys.call_tracing(lambda: placed.extend(place(n) for n in range(args.callgrind_pairs)), ())
        bodies = [notification(order) for order in placed]
        sys.call_tracing(lambda: [notify(body) for body in bodies], ())
        print(f"ran {args.callgrind_pairs} pairs under sys.call_tracing")
        return

    statements.clear()
    order = place(0)
    placing = list(statements)
    statements.clear()
    notify(notification(order))
    noticing = list(statements)
    print(f"SQL statements: POST /orders {len(placing)}, notification {len(noticing)}")
    if args.statements:
        for name, listed in (("POST /orders", placing), ("notification", noticing)):
            print(f"-- {name}")
            for statement in listed:
                print("   ", " ".join(statement.split())[:160])

    cpu: dict[str, list[float]] = {"place": [], "notify": []}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    for n in range(args.n):
        started = time.process_time()
        order = place(n)
        halfway = time.process_time()
        body = notification(order)
        signed = time.process_time()
        notify(body)
        cpu["place"].append(halfway - started)
        cpu["notify"].append(time.process_time() - signed)
    after = resource.getrusage(resource.RUSAGE_SELF)
    system, user = after.ru_stime - usage.ru_stime, after.ru_utime - usage.ru_utime
    print(f"of which in the kernel (sockets, round trips): {100 * system / (system + user):.0f} %")
    print(
        "app CPU ms per pair, no profiler (test client: no HTTP parsing): "
        f"POST /orders {1000 * statistics.fmean(cpu['place']):.2f}, "
        f"notification {1000 * statistics.fmean(cpu['notify']):.2f}"
    )
    # Other work on a shared machine inflates some pairs' CPU (caches, the other hyperthread);
    # the lower quantiles move least with it, so compare changes by them.
    print(
        "app CPU ms per pair, median / 20th percentile: "
        + ", ".join(
            f"{name} {1000 * statistics.median(times):.2f} / "
            f"{1000 * statistics.quantiles(times, n=5)[0]:.2f}"
            for name, times in (("POST /orders", cpu["place"]), ("notification", cpu["notify"]))
        )
    )

    if args.pyinstrument:
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0005)
        sampler.start()
        for n in range(args.n):
            notify(notification(place(n)))
        sampler.stop()
        print(sampler.output_text(show_all=False, color=False))
        return
    bodies = []
    profiler = cProfile.Profile(time.process_time)
    for n in range(args.n):
        profiler.enable()
        order = place(n)
        profiler.disable()
        bodies.append(notification(order))
        profiler.enable()
        notify(bodies[-1])
        profiler.disable()
    if args.dump:
        profiler.dump_stats(args.dump)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = Counter()
    for (filename, line, name), entry in stats.items():
        short = filename.split("site-packages/")[-1].split(str(BENCH.parent) + "/")[-1]
        rows[f"{short}:{line} {name}"] = entry[3]
    print(f"cumulative CPU ms per pair under cProfile ({args.n} pairs; shares, not absolutes):")
    for where, seconds in rows.most_common(args.top):
        print(f"{1000 * seconds / args.n:8.3f}  {where}")


if __name__ == "__main__":
    main()
