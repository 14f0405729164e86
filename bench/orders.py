"""bench/orders: placing an order and delivering its payment notification, under load, beside
the bare Flask endpoint, in the same run (issue 13).

    python bench/orders.py                 # PostgreSQL, 20 s of load
    python bench/orders.py --duration 5

gunicorn serves the app with the Procfile's settings on PostgreSQL, the fake WeChat runs as
its own process (`python -m wx_client.fake`), and 32 client threads each repeat one *pair*:
`POST /orders` (the service opens WeChat's prepaid order at the fake) and
`POST /__fake__/pay/{order_no}/notify` (the fake sends the signed notification back to the
service and waits for its answer). Before the timed run every thread also tries once for a
SKU with only 10 units left, so the last units are fought over. The bare endpoint is loaded
with wrk from 32 connections; the two cases take turns in slices (--rounds). Afterwards
every paid order is shipped, the auto-completion job counts them (`miniapp jobs run-once
--now` eleven days on), and `miniapp totals verify` must agree; no SKU may have sold more
than it had.
Target: pairs/s at least 0.04 times the bare endpoint's requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
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
from databases import PRODUCTION_SETTINGS, complete_and_verify, fake_wechat_settings  # noqa: E402

POSTGRES_URL = os.environ.get(
    "BENCH_ORDERS_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/orders_bench_db"
)
APP_PORT, BARE_PORT, FAKE_PORT = 18090, 18091, 18092
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
    workers), the fake WeChat, this client, PostgreSQL's backends of the bench database, and
    the whole machine (anyone else's work included)."""

    def __init__(self, service: int, fake: int, database_url: str) -> None:
        self.service, self.fake, self.database_url = service, fake, database_url
        self.used: dict[str, float] = {}
        self.pairs = 0

    def snapshot(self) -> dict[str, object]:
        busy, total = machine_busy()
        return {
            "service": cpu_seconds(process_tree(self.service)),
            "fake": cpu_seconds(process_tree(self.fake)),
            "client": time.process_time(),
            "postgres": {pid: cpu_seconds([pid]) for pid in postgres_backends(self.database_url)},
            "machine": busy,
            "machine_all": total,
        }

    def add(self, before: dict, after: dict, pairs: int) -> None:
        for side in ("service", "fake", "client", "machine", "machine_all"):
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
        return [
            "CPU ms per bare request: gunicorn {gunicorn:.2f}, wrk {wrk:.2f}".format(**bare),
            f"CPU ratio (what pairs/s ÷ bare requests/s comes to when both get the same CPU): "
            f"{(bare['gunicorn'] + bare['wrk']) / ours:.3f}",
            "CPU ms per pair: service {service:.1f}, fake WeChat {fake:.1f}, client {client:.1f}, "
            "PostgreSQL {postgres:.1f}; the whole machine {machine:.1f}".format(**per_pair),
            f"machine busy during the pair slices: {100 * busy:.0f}% of its {os.cpu_count()} cores",
        ]


def postgres_backends(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (the app's pooled
    connections, open once the load has started)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            )
    finally:
        engine.dispose()


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
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.connection.request(
                "POST",
                path,
                json.dumps(body).encode(),
                {"Content-Type": "application/json"} | headers,
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

    def pair(
        self, buyer: tuple[str, int], sku_id: int, service: Connection, fake: Connection
    ) -> bool:
        token, address_id = buyer
        started = time.perf_counter()
        status, placed = service.post(
            "/api/v1/orders",
            {"items": [{"sku_id": sku_id, "quantity": 1}], "address_id": address_id},
            {"Authorization": f"Bearer {token}"},
        )
        if status != 201 or placed["payment"] is None:
            self._fail(f"place {status}")
            return False
        order_no = placed["order"]["order_no"]
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

    def run(
        self, threads: int, seconds: float, *, hot: bool = False, meter: CpuMeter | None = None
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
                    self.pair(buyer, self.plan["hot_sku"], service, fake)
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
        return self.pairs / seconds


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
        choices=sorted(CLIENTS),
        default="http.client",
        help="what the 32 client threads send their requests with",
    )
    parser.add_argument("--database-url", default=POSTGRES_URL)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    plan = prepare(args.database_url)
    fake_env = {**os.environ, **SETTINGS}
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wx_client.fake",
            "--port",
            str(FAKE_PORT),
            "--notify-url",
            SETTINGS["WECHAT_PAY_NOTIFY_URL"],
        ],
        cwd=ROOT,
        env=fake_env,
        stdout=(OUT / "fake-orders.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    env = {**SETTINGS, "DATABASE_URL": args.database_url}
    try:
        app = start_gunicorn("miniapp_api:create_app()", APP_PORT, env, OUT / "gunicorn-orders.log")
        try:
            bare = start_gunicorn("bare_app:create_app()", BARE_PORT, {}, OUT / "gunicorn-bare.log")
            try:
                url = f"http://127.0.0.1:{BARE_PORT}/items"
                load = Load(
                    plan,
                    f"http://127.0.0.1:{APP_PORT}",
                    f"http://127.0.0.1:{FAKE_PORT}",
                    args.client,
                )
                meter = CpuMeter(app.pid, fake.pid, args.database_url)
                # The machine is shared: the two cases take turns in slices, so that someone
                # else's burst of work falls on both alike; each figure is its median slice.
                seconds = max(1, round(args.duration / args.rounds))
                bare_slices, pair_slices = [], []
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
                    pair_slices.append(
                        load.run(args.connections, seconds, hot=round_ == 0, meter=meter)
                    )
                    print(
                        f"  round {round_ + 1}: bare {bare_slices[-1]:.0f}/s, "
                        f"pairs {pair_slices[-1]:.1f}/s",
                        flush=True,
                    )
                bare_rps, pairs = statistics.median(bare_slices), statistics.median(pair_slices)
            finally:
                stop(bare)
        finally:
            stop(app)
        checks = settle_and_verify(args.database_url, plan)
    finally:
        stop(fake)
    ratio = pairs / bare_rps
    lines = [
        f"PostgreSQL, {args.duration} s per case in {args.rounds} interleaved slices (median "
        f"slice), {args.connections} connections, gunicorn "
        f"{' '.join(procfile_settings())}; the pairs' client threads send with {args.client}",
        "| case | per second | ratio | target |",
        "| --- | ---: | ---: | --- |",
        f"| bare Flask, fixed 20 items (requests) | {bare_rps:.0f} | | |",
        f"| order + notification (pairs) | {pairs:.1f} | {ratio:.3f}× bare | "
        f"{'ok' if ratio >= 0.04 else 'MISSED (≥0.04× bare)'} |",
        "",
        f"failed pairs: {load.failures or 'none'} (409 out_of_stock expected on the hot SKU only)",
        "mean ms per leg: POST /orders {:.0f}, the fake's notification round trip {:.0f}".format(
            *(
                1000 * load.seconds[leg] / max(1, load.seconds["count"])
                for leg in ("place", "notify")
            )
        ),
        *meter.lines(bare_cpu),
        "load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        *checks,
    ]
    text = "\n".join(lines)
    print("\n" + text)
    (OUT / "orders-latest.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
