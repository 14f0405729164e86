"""bench/load: the whole service under a mixed load on PostgreSQL, then conservation checked
(issue 18).

    python bench/load.py                   # 60 s, 64 connections
    python bench/load.py --duration 10 --connections 16

gunicorn serves the app with the Procfile's settings and production's (bench/databases.py:
32-byte keys, Redis), the fake WeChat runs as its own process, and `--connections` client
threads (one request at a time each, a new connection per request as the Procfile's
keep-alive 0 makes it) draw requests with these weights:

    browse 20 (product lists: all, a category, by price), search 16, product page 20,
    order 8 (placed with cash, then paid: the fake sends the signed notification, "pay"),
    redeem 5 (a fresh voucher code into the caller's wallet), spend 5 (an order paid wholly
    with the caller's vouchers), totals 5 (a unit's totals, platform admin), import 1 (a
    canteen sheet of 20 rows, each with a new order number)

It prints requests/s and p50/p99 per kind, and the errors (any answer but the expected one).
Afterwards every paid order is shipped, the jobs complete them (`miniapp jobs run-once --now`
eleven days on), and it checks: units sold = stock taken per SKU; voucher balances + spent =
face values of the redeemed vouchers; `miniapp totals verify` agrees. The machine's load
average is printed before and after: other people's work on a shared machine shows there.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from browse import procfile_settings, start_gunicorn, stop  # noqa: E402
from databases import PRODUCTION_SETTINGS, fake_wechat_command, fake_wechat_settings  # noqa: E402
from load_data import FACE_VALUE, prepare, settle_and_check  # noqa: E402

POSTGRES_URL = os.environ.get(
    "BENCH_LOAD_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/load_bench_db"
)
APP_PORT, FAKE_PORT = 18471, 18472
SETTINGS = {
    **PRODUCTION_SETTINGS,
    "REDIS_URL": os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/13"),
    **fake_wechat_settings(APP_PORT, FAKE_PORT),
    # the bench's clients all come from 127.0.0.1: address limits would count them as one
    "LOGIN_RATE_LIMIT": "1000000 per minute",
    "VOUCHER_REDEEM_ADDRESS_FAILURE_LIMIT": "1000000 per hour",
}
WEIGHTS = {
    "browse": 20,
    "search": 16,
    "product": 20,
    "order": 8,
    "redeem": 5,
    "spend": 5,
    "totals": 5,
    "import": 1,
}
KINDS = [*WEIGHTS, "pay"]
YEAR = datetime.now(UTC).year


class Client:
    """The load: one thread per connection, each drawing its next request by WEIGHTS."""

    def __init__(self, plan: dict) -> None:
        self.plan = plan
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
        self.errors: dict[str, int] = {}
        self.codes = iter(plan["codes"])
        self.wallets: dict[int, list[list[int]]] = {}  # buyer -> [[voucher id, balance]]
        self.import_no = 0

    def call(self, port: int, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def timed(self, kind: str, expected: int, method: str, path: str, **kwargs):
        started = time.perf_counter()
        try:
            status, data = self.call(APP_PORT, method, path, **kwargs)
        except OSError as error:
            status, data = 0, type(error).__name__.encode()
        with self.lock:
            self.latencies[kind].append(time.perf_counter() - started)
        if status != expected:
            self.error(f"{kind} {status}")
            return None
        return json.loads(data) if data else {}

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def one(self, rng: random.Random, buyer: int) -> None:
        token, address_id = self.plan["buyers"][buyer]
        employee = {"Authorization": f"Bearer {token}"}
        kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if kind == "browse":
            query = rng.choice(
                [
                    "",
                    f"&category={rng.choice(self.plan['categories'])}",
                    "&sort=price_asc",
                    "&sort=sales",
                ]
            )
            self.timed(kind, 200, "GET", f"/api/v1/products?limit=20{query}", headers=employee)
        elif kind == "search":
            term = rng.choice(self.plan["terms"])
            path = "/api/v1/products?" + _query({"q": term, "limit": 20})
            self.timed(kind, 200, "GET", path, headers=employee)
        elif kind == "product":
            product = rng.choice(self.plan["products"])
            self.timed(kind, 200, "GET", f"/api/v1/products/{product}", headers=employee)
        elif kind == "order":
            self.order(rng, employee, address_id)
        elif kind == "redeem":
            self.redeem(buyer, employee)
        elif kind == "spend":
            self.spend(rng, buyer, employee, address_id)
        elif kind == "totals":
            unit = rng.choice(self.plan["units"])
            admin = {"Authorization": f"Bearer {self.plan['admin']}"}
            self.timed(
                kind, 200, "GET", f"/api/v1/admin/units/{unit}/totals?year={YEAR}", headers=admin
            )
        else:
            self.canteen_import(rng)

    def order(self, rng: random.Random, employee: dict, address_id: int) -> None:
        body = {
            "items": [{"sku_id": rng.choice(self.plan["dear"]), "quantity": 1}],
            "address_id": address_id,
        }
        placed = self.timed(
            "order",
            201,
            "POST",
            "/api/v1/orders",
            body=json.dumps(body),
            headers=employee | {"Content-Type": "application/json"},
        )
        if placed is None:
            return
        if placed["payment"] is None:
            self.error("order without payment")
            return
        started = time.perf_counter()
        order_no = placed["order"]["order_no"]
        status, data = self.call(
            FAKE_PORT,
            "POST",
            f"/__fake__/pay/{order_no}/notify",
            body=b'{"result": "SUCCESS"}',
            headers={"Content-Type": "application/json"},
        )
        with self.lock:
            self.latencies["pay"].append(time.perf_counter() - started)
        sent = json.loads(data) if status == 200 else {}
        if not sent.get("delivered") or "SUCCESS" not in sent.get("body", ""):
            self.error(f"pay {status}")

    def redeem(self, buyer: int, employee: dict) -> None:
        with self.lock:
            code = next(self.codes, None)
        if code is None:
            return
        voucher = self.timed(
            "redeem",
            200,
            "POST",
            "/api/v1/vouchers/redeem",
            body=json.dumps({"code": code}),
            headers=employee | {"Content-Type": "application/json"},
        )
        if voucher is not None:
            with self.lock:
                self.wallets.setdefault(buyer, []).append([voucher["id"], FACE_VALUE])

    def spend(self, rng: random.Random, buyer: int, employee: dict, address_id: int) -> None:
        sku = rng.choice(self.plan["cheap"])
        price = 20_00  # at most: cheap SKUs cost up to 20.00
        with self.lock:
            wallet = [v for v in self.wallets.get(buyer, []) if v[1] >= price]
            if not wallet:
                voucher = None
            else:
                voucher = wallet[0]
                voucher[1] -= price  # reserved; corrected below from the answer
        if voucher is None:
            self.redeem(buyer, employee)
            return
        body = {
            "items": [{"sku_id": sku, "quantity": 1}],
            "address_id": address_id,
            "voucher_ids": [voucher[0]],
        }
        placed = self.timed(
            "spend",
            201,
            "POST",
            "/api/v1/orders",
            body=json.dumps(body),
            headers=employee | {"Content-Type": "application/json"},
        )
        with self.lock:
            if placed is None:
                voucher[1] += price
            else:
                voucher[1] += price - _fen(placed["order"]["voucher_amount"])
                if placed["order"]["status"] != "paid":
                    self.errors["spend not paid in full"] = (
                        self.errors.get("spend not paid in full", 0) + 1
                    )

    def canteen_import(self, rng: random.Random) -> None:
        with self.lock:
            self.import_no += 1
            number = self.import_no
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["credit_code", "order_no", "amount", "completed_at"])
        for row in range(20):
            writer.writerow(
                [
                    rng.choice(self.plan["credit_codes"]),
                    f"L{number:05d}{row:02d}{uuid.uuid4().hex[:6]}",
                    "12.50",
                    f"{YEAR}-06-01 10:00:00",
                ]
            )
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="canteen.csv"\r\nContent-Type: text/csv\r\n\r\n{text.getvalue()}\r\n'
            f"--{boundary}--\r\n"
        ).encode()
        headers = {
            "Authorization": f"Bearer {self.plan['admin']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        self.timed(
            "import", 200, "POST", "/api/v1/admin/entries/import", body=body, headers=headers
        )

    def run(self, connections: int, seconds: float) -> float:
        deadline = time.monotonic() + seconds

        def worker(index: int) -> None:
            rng = random.Random(index)
            while time.monotonic() < deadline:
                try:
                    self.one(rng, index % len(self.plan["buyers"]))
                except Exception as error:  # noqa: BLE001 - counted, the load goes on
                    self.error(f"client {type(error).__name__}")

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _fen(money: str) -> int:
    yuan, _, cents = money.partition(".")
    return int(yuan) * 100 + int((cents + "00")[:2])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def report(client: Client, seconds: float, connections: int) -> list[str]:
    lines = [
        f"PostgreSQL, {seconds:.0f} s, {connections} connections, gunicorn "
        f"{' '.join(procfile_settings())}",
        "| kind | requests | per second | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    total = 0
    for kind in KINDS:
        values = sorted(client.latencies[kind])
        total += len(values)
        if not values:
            lines.append(f"| {kind} | 0 | | | |")
            continue
        p50 = 1000 * values[len(values) // 2]
        p99 = 1000 * values[min(len(values) - 1, int(len(values) * 0.99))]
        lines.append(
            f"| {kind} | {len(values)} | {len(values) / seconds:.1f} | {p50:.0f} | {p99:.0f} |"
        )
    lines.append(f"| all | {total} | {total / seconds:.1f} | | |")
    lines.append("")
    errors = sum(client.errors.values())
    lines.append(f"errors: {errors} {client.errors or ''}".rstrip())
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="the whole service under a mixed load")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=POSTGRES_URL)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    plan = prepare(args.database_url, SETTINGS)
    fake = subprocess.Popen(
        fake_wechat_command(SETTINGS, FAKE_PORT),
        cwd=ROOT,
        env={**os.environ, **SETTINGS},
        stdout=(OUT / "fake-load.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    env = {**SETTINGS, "DATABASE_URL": args.database_url}
    try:
        app = start_gunicorn("miniapp_api:create_app()", APP_PORT, env, OUT / "gunicorn-load.log")
        try:
            before = load_average()
            client = Client(plan)
            seconds = client.run(args.connections, args.duration)
            after = load_average()
        finally:
            stop(app)
        checks, conserved = settle_and_check(args.database_url, plan, SETTINGS)
    finally:
        stop(fake)
    lines = [
        *report(client, seconds, args.connections),
        f"load average (1, 5, 15 min) before: {before}; after: {after} (2 cores)",
        *checks,
    ]
    text = "\n".join(lines)
    print("\n" + text)
    (OUT / "load-latest.md").write_text(text + "\n")
    errors = sum(client.errors.values())
    if errors or not conserved:
        # .ci/run runs this: an error answer or anything not conserved fails the run
        raise SystemExit(f"bench/load: {errors} errors; conserved: {conserved}")


if __name__ == "__main__":
    main()
