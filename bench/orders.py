"""bench/orders: placing an order and delivering its payment notification, under load, beside
the bare Flask endpoint, in the same run (issue 13).

    python bench/orders.py                 # PostgreSQL, 20 s of load
    python bench/orders.py --duration 5
    BENCH_ORDERS_PORT=18190 python bench/orders.py   # ports 18190-18192, to run beside another

gunicorn serves the app with the Procfile's settings on PostgreSQL (BENCH_ORDERS_POSTGRES_URL),
and the fake WeChat runs as its own process (`python -m wx_client.fake`). A *pair* is what the
issue names it: two requests to the service, one to the fake WeChat and its notification back.
wrk sends only `POST /orders` from 32 connections (bench/wrk_orders.lua: each request one unit
of a SKU for a buyer, drawn among the prepared ones: 64 buyers with their token and address, 39
SKUs), and the service opens WeChat's prepaid order at the fake; the fake, started with
`--pay-after` (0.05 s), then pays every order it opened by itself, as WeChat does once the payer
has paid: it sends the signed SUCCESS notification to the service
from its sender threads and counts the ones answered SUCCESS (`GET /__fake__/pay/delivered`).
A pair counts once its notification was answered SUCCESS. A notification waits in gunicorn's
queue as long as an order does, so about as many are in flight as there are connections; the
fake has twice that many senders (`--senders`), so that a sender is never what holds one back
(the output says how late the senders started, on average, after a notification was due).
wrk's CPU is counted to the client, with this process's (it only reads the fake's counts).

Pairs/s of a slice is the rate at which notifications were answered SUCCESS in its steady part:
from `--settle` (1 s) after the slice starts to its end. In the first moments no notification is
due yet and the service does orders only; at the end the last notifications come after wrk has
stopped. In between, every order placed is paid 0.05 s plus a round trip later, so the rate of
completed pairs is the rate of orders (both are printed). After each slice the bench waits until
the fake has nothing pending and the service has stopped opening orders (a request wrk left in
flight still completes), so every slice's orders are paid within it: the CPU of each side is
taken over the slice and that wait, divided by every pair the slice completed.

Before the timed run, 32 buyers try at once for a SKU with only 10 units left, so the last
units are fought over (those orders are paid by the fake too). The bare endpoint is loaded with
wrk from 32 connections; the two cases take turns in slices (--rounds). Afterwards every paid
order is shipped, the auto-completion job counts them (`miniapp jobs run-once --now` eleven
days on), and `miniapp totals verify` must agree; no SKU may have sold more than it had.
`--client http.client` (or `requests`) drives the pairs the way the bench did before: 32 client
threads each send `POST /orders` and then `POST /__fake__/pay/{order_no}/notify` to the fake's
control path, which sends the notification and waits for the answer (a third request, and the
client's own CPU, on the two cores the service needs).
Target: pairs/s at least 0.04 times the bare endpoint's requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from browse import procfile_settings, start_gunicorn, stop, wrk  # noqa: E402
from databases import (  # noqa: E402
    PRODUCTION_SETTINGS,
    complete_and_verify,
    fake_wechat_command,
    fake_wechat_settings,
    require_wrk,
)

POSTGRES_URL = os.environ.get(
    "BENCH_ORDERS_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/orders_bench_db"
)
# BENCH_ORDERS_PORT moves all three (the app, the bare app, the fake WeChat), and the files the
# run writes under bench/out/ are named after it, so that two runs never collide
APP_PORT = int(os.environ.get("BENCH_ORDERS_PORT", "18090"))
BARE_PORT, FAKE_PORT = APP_PORT + 1, APP_PORT + 2
RUN = "" if APP_PORT == 18090 else f"-{APP_PORT}"
SETTINGS = {
    **PRODUCTION_SETTINGS,
    **fake_wechat_settings(APP_PORT, FAKE_PORT),
}
SKUS, SKU_STOCK, HOT_STOCK, BUYERS = 40, 1_000_000, 10, 64
TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """`root` and every process under it (gunicorn's master and its workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (those gone count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


class CpuMeter:
    """CPU seconds used so far by each side of the load: the service (gunicorn's master and
    workers), the fake WeChat, the client (this process, and wrk when it drives the load:
    the children this process has waited for), PostgreSQL's backends of the bench database,
    and the whole machine (anyone else's work included)."""

    def __init__(self, service: int, fake: int, database_url: str, client: str) -> None:
        from sqlalchemy import create_engine

        self.service, self.fake, self.client = service, fake, client
        # one connection for the look-ups, excluded from what it finds
        self.engine = create_engine(database_url, pool_size=1)
        self.used: dict[str, float] = {}
        self.pairs = 0

    def snapshot(self) -> dict[str, object]:
        postgres = {pid: cpu_seconds([pid]) for pid in postgres_backends(self.engine)}
        busy, total = machine_busy()
        children = os.times()
        return {
            "service": cpu_seconds(process_tree(self.service)),
            "fake": cpu_seconds(process_tree(self.fake)),
            "client": time.process_time() + children.children_user + children.children_system,
            "wrk": children.children_user + children.children_system,
            "postgres": postgres,
            "machine": busy,
            "machine_all": total,
        }

    def add(self, before: dict, after: dict, pairs: int) -> None:
        for side in ("service", "fake", "client", "wrk", "machine", "machine_all"):
            self.used[side] = self.used.get(side, 0.0) + after[side] - before[side]
        postgres = sum(
            seconds - before["postgres"].get(pid, 0.0) for pid, seconds in after["postgres"].items()
        )
        self.used["postgres"] = self.used.get("postgres", 0.0) + postgres
        self.pairs += pairs

    def lines(self, bare_cpu: dict[str, float]) -> list[str]:
        if not self.pairs or not bare_cpu["requests"]:
            return []
        per_pair = {side: 1000 * seconds / self.pairs for side, seconds in self.used.items()}
        busy = self.used["machine"] / self.used["machine_all"]
        bare = {side: 1000 * bare_cpu[side] / bare_cpu["requests"] for side in ("gunicorn", "wrk")}
        ours = sum(per_pair[side] for side in ("service", "fake", "client", "postgres"))
        client = (
            f"wrk {per_pair['wrk']:.2f}, this process {per_pair['client'] - per_pair['wrk']:.2f}"
            if self.client == "wrk"
            else f"{self.client} threads"
        )
        return [
            "CPU ms per bare request: gunicorn {gunicorn:.2f}, wrk {wrk:.2f}".format(**bare),
            f"CPU ratio (what pairs/s ÷ bare requests/s comes to when both get the same CPU): "
            f"{(bare['gunicorn'] + bare['wrk']) / ours:.3f}",
            f"CPU ms per pair: service {per_pair['service']:.1f}, fake WeChat "
            f"{per_pair['fake']:.1f}, client {per_pair['client']:.1f} ({client}), "
            f"PostgreSQL {per_pair['postgres']:.1f}; the whole machine {per_pair['machine']:.1f}",
            f"machine busy during the pair slices: {100 * busy:.0f}% of its {os.cpu_count()} cores",
        ]

    def close(self) -> None:
        self.engine.dispose()


def postgres_backends(engine) -> list[int]:
    """The PostgreSQL server processes serving the bench database (the app's pooled
    connections, open once the load has started), but the one asking."""
    from sqlalchemy import text

    with engine.connect() as connection:
        return list(
            connection.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        )


def prepare(database_url: str) -> dict:
    """A fresh schema: units, one supplier's SKUs (one of them nearly sold out), buyers bound
    to units, each with an address and a token."""
    from generate_catalog import build_app, reset_schema

    from miniapp_api.auth import EMPLOYEE, issue_token
    from miniapp_api.extensions import db
    from miniapp_api.services.catalog import ensure_root_categories
    from models import Address, Employee, Product, Sku, Supplier, Unit, UnitBinding

    app = build_app(database_url)
    app.config["SECRET_KEY"] = SETTINGS["SECRET_KEY"]
    with app.app_context():
        reset_schema(app)
        root = Unit(name="基准省财政厅", budget_level="provincial")
        db.session.add(root)
        db.session.flush()
        root.place_under(None)
        units = []
        for n in range(8):
            unit = Unit(name=f"基准单位{n}", budget_level="county")
            db.session.add(unit)
            db.session.flush()
            unit.place_under(root)
            units.append(unit)
        category = ensure_root_categories(db.session)[0]
        supplier = Supplier(name="基准供应商")
        db.session.add(supplier)
        skus = []
        for n in range(SKUS):
            product = Product(
                code=f"B{n:05d}",
                title=f"基准大米{n}",
                category=category,
                supplier=supplier,
                province="广西壮族自治区",
                city="河池市",
                county="环江毛南族自治县",
                skus=[Sku(spec="5kg", price=59_90, stock=HOT_STOCK if n == 0 else SKU_STOCK)],
            )
            product.refresh_min_price()
            db.session.add(product)
            skus.append(product.skus[0])
        buyers = []
        for n in range(BUYERS):
            employee = Employee(openid=f"bench-buyer-{n}")
            db.session.add(employee)
            db.session.flush()
            db.session.add(UnitBinding(employee_id=employee.id, unit_id=units[n % 8].id))
            address = Address(
                employee_id=employee.id,
                name="张三",
                phone="13800138000",
                province="广东省",
                city="广州市",
                district="天河区",
                detail="天河路1号",
            )
            db.session.add(address)
            db.session.flush()
            token, _ = issue_token(EMPLOYEE, employee)
            buyers.append((token, address.id))
        db.session.commit()
        plan = {
            "buyers": buyers,
            "hot_sku": skus[0].id,
            "skus": [sku.id for sku in skus[1:]],
            "initial": {sku.id: sku.stock for sku in skus},
        }
        db.session.remove()
        db.engine.dispose()
    return plan


class Connection:
    """One client thread's connection to one server, over http.client: a pair costs the
    client a fraction of what `requests` costs (a Session, its adapters and the proxy
    settings of the environment read on every call), CPU the two cores' service and fake
    need. Kept open while the server keeps it (the fake does; gunicorn, with the Procfile's
    keepalive 0, closes it after every answer, and the next request opens a new one). Never
    retried: a pair that fails counts as failed."""

    def __init__(self, base: str) -> None:
        parsed = urlsplit(base)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict]:
        return self.send("POST", path, json.dumps(body).encode(), headers)

    def get(self, path: str) -> tuple[int, dict]:
        return self.send("GET", path, None, {})

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, dict]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.connection.request(
                method, path, body, {"Content-Type": "application/json"} | headers
            )
            response = self.connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, json.loads(data)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class RequestsConnection(Connection):
    """The same through `requests.post`, as the bench drove its load before (--client
    requests), to see what the client itself costs."""

    def post(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict]:
        answer = requests.post(
            f"http://{self.host}:{self.port}{path}", json=body, headers=headers, timeout=30
        )
        return answer.status_code, answer.json()


CLIENTS = {"http.client": Connection, "requests": RequestsConnection}
CLIENT_ERRORS = (OSError, http.client.HTTPException, requests.RequestException, ValueError)


class Load:
    """Orders placed by client threads; with `pay` (--client http.client or requests, the
    old way), each thread then has the fake's control path notify the service, a pair at a
    time."""

    def __init__(self, plan: dict, base: str, fake: str, client: str = "http.client") -> None:
        self.plan, self.base, self.fake = plan, base, fake
        self.connect = CLIENTS[client]
        self.pairs = 0
        self.failures: dict[str, int] = {}
        self.seconds = {"place": 0.0, "notify": 0.0, "count": 0}
        self.lock = threading.Lock()

    def _fail(self, what: str) -> None:
        with self.lock:
            self.failures[what] = self.failures.get(what, 0) + 1

    def place(self, buyer: tuple[str, int], sku_id: int, service: Connection) -> str | None:
        """`POST /orders` of one unit: the order number, or None (counted as a failure)."""
        token, address_id = buyer
        status, placed = service.post(
            "/api/v1/orders",
            {"items": [{"sku_id": sku_id, "quantity": 1}], "address_id": address_id},
            {"Authorization": f"Bearer {token}"},
        )
        if status != 201 or placed["payment"] is None:
            self._fail(f"place {status}")
            return None
        return placed["order"]["order_no"]

    def pair(
        self, buyer: tuple[str, int], sku_id: int, service: Connection, fake: Connection
    ) -> bool:
        started = time.perf_counter()
        order_no = self.place(buyer, sku_id, service)
        if order_no is None:
            return False
        halfway = time.perf_counter()
        _, sent = fake.post(f"/__fake__/pay/{order_no}/notify", {"result": "SUCCESS"}, {})
        with self.lock:
            self.seconds["place"] += halfway - started
            self.seconds["notify"] += time.perf_counter() - halfway
            self.seconds["count"] += 1
        if not sent.get("delivered") or "SUCCESS" not in sent.get("body", ""):
            self._fail("notify")
            return False
        return True

    def race(self, threads: int, *, pay: bool) -> None:
        """Every client at the same moment tries for the nearly sold-out SKU, once (the fake
        pays the orders placed by itself, unless `pay`)."""
        self.run(threads, 0, hot=True, pay=pay)

    def run(
        self,
        threads: int,
        seconds: float,
        *,
        hot: bool = False,
        pay: bool = True,
        meter: CpuMeter | None = None,
    ) -> float:
        """Pairs per second from `threads` clients over `seconds` (after, with `hot`, every
        client trying once for the nearly sold-out SKU at the same moment)."""
        barrier = threading.Barrier(threads)
        deadline: list[float] = []
        before: list[dict] = []
        rng = random.Random(13)
        skus = self.plan["skus"]
        self.pairs = 0

        def worker(index: int) -> None:
            buyer = self.plan["buyers"][index % len(self.plan["buyers"])]
            service, fake = self.connect(self.base), self.connect(self.fake)
            barrier.wait()
            if hot:
                try:
                    if pay:
                        self.pair(buyer, self.plan["hot_sku"], service, fake)
                    else:
                        self.place(buyer, self.plan["hot_sku"], service)
                except CLIENT_ERRORS as exc:
                    self._fail(type(exc).__name__)
            barrier.wait()
            if index == 0:
                if meter is not None:
                    before.append(meter.snapshot())
                deadline.append(time.monotonic() + seconds)
            barrier.wait()
            done = 0
            while time.monotonic() < deadline[0]:
                try:
                    done += self.pair(buyer, rng.choice(skus), service, fake)
                except CLIENT_ERRORS as exc:
                    self._fail(type(exc).__name__)
            service.close()
            fake.close()
            with self.lock:
                self.pairs += done

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for worker_thread in workers:
            worker_thread.start()
        for worker_thread in workers:
            worker_thread.join()
        if meter is not None:
            meter.add(before[0], meter.snapshot(), self.pairs)
        return self.pairs / seconds if seconds else 0.0


class FakePayments:
    """The fake's payer, as its control path `GET /__fake__/pay/delivered` counts it."""

    def __init__(self, fake: str) -> None:
        self.connection = Connection(fake)

    def counts(self) -> dict:
        status, counts = self.connection.get("/__fake__/pay/delivered")
        if status != 200:
            raise SystemExit(f"the fake answered GET /__fake__/pay/delivered with {status}")
        return counts

    def drained(self, quiet: float = 0.25, timeout: float = 120.0) -> dict:
        """The counts once nothing is pending and no order has been opened for `quiet`
        seconds (a POST /orders wrk left in flight still opens its order after wrk ends)."""
        deadline = time.monotonic() + timeout
        last, since = self.counts(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            counts = self.counts()
            if counts["pending"] or counts["scheduled"] != last["scheduled"]:
                since = time.monotonic()
            elif time.monotonic() - since >= quiet:
                return counts
            last = counts
        raise SystemExit(f"the fake's notifications did not drain in {timeout:.0f} s: {last}")


class WrkOrders:
    """The timed load the issue's way: wrk sends `POST /orders` only (bench/wrk_orders.lua,
    drawing among prepared buyer x SKU lines), the fake pays every order by itself and counts
    the notifications answered SUCCESS."""

    def __init__(self, plan: dict, base: str, fake: str, settle: float) -> None:
        self.base, self.settle = base, settle
        self.payments = FakePayments(fake)
        self.lines = OUT / f"orders-requests{RUN}.txt"
        self.lines.write_text(
            "".join(f"buyer {token} {address_id}\n" for token, address_id in plan["buyers"])
            + "".join(f"sku {sku}\n" for sku in plan["skus"])
        )
        self.failures: dict[str, int] = {}
        self.latency = {"seconds": 0.0, "count": 0}

    def run(self, seconds: int, connections: int, meter: CpuMeter) -> dict[str, float]:
        """One slice: pairs/s in its steady part, orders/s (wrk's 2xx answers), and the CPU
        of the slice and of the wait for its last notifications, over the pairs it made."""
        start = self.payments.drained()
        before = meter.snapshot()
        begun = time.monotonic()
        wrk = subprocess.Popen(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
            + ["-s", str(BENCH / "wrk_orders.lua"), self.base, "--", str(self.lines)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(max(0.0, begun + self.settle - time.monotonic()))
        steady, steady_at = self.payments.counts(), time.monotonic()
        output = wrk.communicate()[0]
        end, end_at = self.payments.counts(), time.monotonic()
        if wrk.returncode:
            raise SystemExit(f"wrk failed: {output}")
        last = self.payments.drained()
        pairs = last["delivered"] - start["delivered"]
        meter.add(before, meter.snapshot(), pairs)
        count = int(re.search(r"^COUNT (\d+)$", output, re.M).group(1))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        errors = re.search(
            r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
        )
        for what, number in [
            ("POST /orders not 2xx", int(non_2xx.group(1)) if non_2xx else 0),
            ("wrk socket errors", sum(int(x) for x in errors.groups()) if errors else 0),
            ("notification failed", last["failed"] - start["failed"]),
        ]:
            if number:
                self.failures[what] = self.failures.get(what, 0) + number
        mean = re.search(r"^MEAN (\d+)$", output, re.M)
        if mean:
            self.latency["seconds"] += int(mean.group(1)) / 1e6 * count
            self.latency["count"] += count
        answered = count - (int(non_2xx.group(1)) if non_2xx else 0)
        return {
            "pairs": (end["delivered"] - steady["delivered"]) / (end_at - steady_at),
            "orders": answered / seconds,
            "made": pairs,
            "drain": time.monotonic() - end_at,
        }


def settle_and_verify(database_url: str, plan: dict) -> list[str]:
    """Ship every paid order, let the job complete them, and check stock and totals."""
    from generate_catalog import build_app
    from sqlalchemy import func, select

    from miniapp_api.extensions import db
    from miniapp_api.services import order_states
    from models import Order, OrderItem, Sku

    app = build_app(database_url)
    with app.app_context():
        shipped_at = datetime.now(UTC)
        for order in db.session.scalars(select(Order).where(Order.status == "paid")):
            order_states.ship(order, carrier="顺丰", tracking_no="SF-BENCH", now=shipped_at)
        db.session.commit()
        held = dict(
            db.session.execute(
                select(OrderItem.sku_id, func.sum(OrderItem.quantity))
                .join(Order)
                .where(Order.status != "cancelled")
                .group_by(OrderItem.sku_id)
            ).all()
        )
        stock = dict(db.session.execute(select(Sku.id, Sku.stock)).all())
        statuses = dict(
            db.session.execute(select(Order.status, func.count()).group_by(Order.status)).all()
        )
        db.session.remove()
        db.engine.dispose()
    oversold = sum(
        max(0, held.get(sku, 0) - initial) + (1 if stock[sku] + held.get(sku, 0) != initial else 0)
        for sku, initial in plan["initial"].items()
    )
    env = {**os.environ, **SETTINGS, "DATABASE_URL": database_url}
    completed, last_run, verify = complete_and_verify(env, rounds=20)
    return [
        f"orders by status before completion: {statuses}",
        f"hot SKU ({HOT_STOCK} units, every thread at once): {held.get(plan['hot_sku'], 0)} sold, "
        f"{stock[plan['hot_sku']]} left",
        f"oversold units (sold beyond stock, or stock not matching the orders): {oversold}",
        f"jobs run-once +11 days: {completed} orders completed (last run: "
        f"{' '.join(last_run.split())})",
        f"totals verify: exit {verify.returncode} ({verify.stdout.strip().splitlines()[-1:]})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="orders and their notifications under load")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="slices each case is split into")
    parser.add_argument(
        "--client",
        choices=["wrk", *sorted(CLIENTS)],
        default="wrk",
        help="wrk: POST /orders only, the fake pays by itself (the issue's pair); http.client "
        "or requests: client threads send each pair's two requests themselves (the old way)",
    )
    parser.add_argument(
        "--pay-after", type=float, default=0.05, help="the fake pays an order this long after"
    )
    parser.add_argument(
        "--senders", type=int, default=None, help="the fake's sender threads (2 x connections)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=1.0,
        help="seconds at the start of each slice left out of its pairs/s (with wrk)",
    )
    parser.add_argument("--database-url", default=POSTGRES_URL)
    args = parser.parse_args()
    by_wrk = args.client == "wrk"
    if by_wrk:
        require_wrk()
    OUT.mkdir(exist_ok=True)
    plan = prepare(args.database_url)
    fake_command = fake_wechat_command(SETTINGS, FAKE_PORT)
    # twice the connections: a notification waits in gunicorn's queue as long as an order, so
    # as many are in flight as orders are; a sender is never what holds a notification back
    senders = args.senders or 2 * args.connections
    if by_wrk:
        fake_command += ["--pay-after", str(args.pay_after), "--pay-senders", str(senders)]
    fake = subprocess.Popen(
        fake_command,
        cwd=ROOT,
        env={**os.environ, **SETTINGS},
        stdout=(OUT / f"fake-orders{RUN}.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    env = {**SETTINGS, "DATABASE_URL": args.database_url}
    fake_base = f"http://127.0.0.1:{FAKE_PORT}"
    try:
        app = start_gunicorn(
            "miniapp_api:create_app()", APP_PORT, env, OUT / f"gunicorn-orders{RUN}.log"
        )
        try:
            bare = start_gunicorn(
                "bare_app:create_app()", BARE_PORT, {}, OUT / f"gunicorn-bare-orders{RUN}.log"
            )
            try:
                url = f"http://127.0.0.1:{BARE_PORT}/items"
                base = f"http://127.0.0.1:{APP_PORT}"
                load = Load(plan, base, fake_base, "http.client" if by_wrk else args.client)
                meter = CpuMeter(
                    app.pid, fake.pid, args.database_url, "wrk" if by_wrk else args.client
                )
                orders = WrkOrders(plan, base, fake_base, args.settle) if by_wrk else None
                if orders is not None:
                    # untimed, as before: 32 buyers at once for the SKU with 10 units left
                    load.race(args.connections, pay=False)
                    orders.payments.drained()
                # The machine is shared: the two cases take turns in slices, so that someone
                # else's burst of work falls on both alike; each figure is its median slice.
                seconds = max(1, round(args.duration / args.rounds))
                bare_slices, pair_slices, order_slices = [], [], []
                bare_cpu = {"gunicorn": 0.0, "wrk": 0.0, "requests": 0}
                for round_ in range(args.rounds):
                    gunicorn_before, wrk_before = cpu_seconds(process_tree(bare.pid)), os.times()
                    figures = wrk(url, seconds, args.connections, {})
                    wrk_after = os.times()
                    bare_cpu["gunicorn"] += cpu_seconds(process_tree(bare.pid)) - gunicorn_before
                    bare_cpu["wrk"] += (
                        wrk_after.children_user
                        + wrk_after.children_system
                        - wrk_before.children_user
                        - wrk_before.children_system
                    )
                    bare_cpu["requests"] += figures["count"]
                    bare_slices.append(figures["rps"])
                    if orders is not None:
                        sliced = orders.run(seconds, args.connections, meter)
                        pair_slices.append(sliced["pairs"])
                        order_slices.append(sliced["orders"])
                        extra = (
                            f" (orders {sliced['orders']:.1f}/s; {sliced['made']} pairs, the "
                            f"last paid {sliced['drain']:.2f} s after wrk stopped)"
                        )
                    else:
                        pair_slices.append(
                            load.run(args.connections, seconds, hot=round_ == 0, meter=meter)
                        )
                        extra = ""
                    print(
                        f"  round {round_ + 1}: bare {bare_slices[-1]:.0f}/s, "
                        f"pairs {pair_slices[-1]:.1f}/s{extra}",
                        flush=True,
                    )
                bare_rps, pairs = statistics.median(bare_slices), statistics.median(pair_slices)
                paid = orders.payments.counts() if orders is not None else None
                meter.close()
            finally:
                stop(bare)
        finally:
            stop(app)
        checks = settle_and_verify(args.database_url, plan)
    finally:
        stop(fake)
    ratio = pairs / bare_rps
    if orders is not None:
        driven = (
            f"wrk sends POST /orders only and the fake pays each order {args.pay_after} s after "
            f"it opened it ({senders} sender threads); pairs/s from {args.settle:g} s into each "
            "slice to its end"
        )
        legs = (
            "mean ms: POST /orders (wrk) {:.0f}, the fake's notification round trip {:.0f}, "
            "its senders late by {:.0f} on average".format(
                1000 * orders.latency["seconds"] / max(1, orders.latency["count"]),
                1000 * paid["seconds_sending"] / max(1, paid["delivered"] + paid["failed"]),
                1000 * paid["seconds_late"] / max(1, paid["delivered"] + paid["failed"]),
            )
        )
        failures = (
            f"failures: hot SKU race {load.failures or 'none'} (409 out_of_stock expected), "
            f"timed load {orders.failures or 'none'}; the fake paid {paid['delivered']} of the "
            f"{paid['scheduled']} orders it opened ({paid['failed']} failed)"
        )
        rates = f"| orders placed (wrk's 2xx answers) | {statistics.median(order_slices):.1f} | | |"
    else:
        driven = f"the pairs' client threads send both requests with {args.client}"
        legs = "mean ms per leg: POST /orders {:.0f}, the fake's notification round trip {:.0f}"
        legs = legs.format(
            *(
                1000 * load.seconds[leg] / max(1, load.seconds["count"])
                for leg in ("place", "notify")
            )
        )
        failures = (
            f"failed pairs: {load.failures or 'none'} "
            "(409 out_of_stock expected on the hot SKU only)"
        )
        rates = None
    lines = [
        f"PostgreSQL, {args.duration} s per case in {args.rounds} interleaved slices (median "
        f"slice), {args.connections} connections, gunicorn "
        f"{' '.join(procfile_settings())}; {driven}",
        "| case | per second | ratio | target |",
        "| --- | ---: | ---: | --- |",
        f"| bare Flask, fixed 20 items (requests) | {bare_rps:.0f} | | |",
        f"| order + notification (pairs) | {pairs:.1f} | {ratio:.3f}× bare | "
        f"{'ok' if ratio >= 0.04 else 'MISSED (≥0.04× bare)'} |",
        *([rates] if rates else []),
        "",
        failures,
        legs,
        *meter.lines(bare_cpu),
        "load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        *checks,
    ]
    text = "\n".join(lines)
    print("\n" + text)
    (OUT / f"orders-latest{RUN}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
