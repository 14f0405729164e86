"""bench/vouchers: paying a batch of 100,000 vouchers (codes generated, hashed, sealed and stored
in bulk; the `union` entry booked) and writing codes.xlsx for a batch of 10,000.

    python bench/vouchers.py                          # PostgreSQL, then SQLite
    python bench/vouchers.py --backend sqlite --quantity 10000   # smaller

Targets (issue 14): mark-paid of 100,000 codes under 10 s; codes.xlsx of 10,000 under 2 s.
PostgreSQL: a dedicated database `miniapp_bench_vouchers` (dropped and created; `--pg-url` for
another server); SQLite: `bench/out/vouchers.sqlite3`. Nothing printed is a code.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniapp_api import create_app  # noqa: E402
from miniapp_api.extensions import db  # noqa: E402
from miniapp_api.services.voucher_batches import create_batch, mark_batch_paid  # noqa: E402
from miniapp_api.services.voucher_sheet import codes_workbook  # noqa: E402
from miniapp_api.transaction import unit_of_work  # noqa: E402
from miniapp_api.voucher_keys import code_keys  # noqa: E402
from models import Admin, Unit  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "miniapp_bench_vouchers"


def database_url(backend: str, pg_admin_url: str) -> str:
    if backend == "sqlite":
        OUT.mkdir(exist_ok=True)
        path = OUT / "vouchers.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}"))
        connection.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
    admin.dispose()
    return pg_admin_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"


def run(backend: str, quantity: int, sheet_quantity: int, pg_admin_url: str) -> None:
    from flask_migrate import upgrade

    app = create_app(
        {"MINIAPP_ENV": "test", "SQLALCHEMY_DATABASE_URI": database_url(backend, pg_admin_url)}
    )
    with app.app_context():
        upgrade()
        session = db.session
        with unit_of_work(session):
            unit = Unit(name="基准测试单位", budget_level="county")
            session.add(unit)
            session.flush()
            unit.place_under(None)
            union = Admin(username="u", password_hash="-", role="union_admin", unit_id=unit.id)
            platform = Admin(username="p", password_hash="-", role="platform_admin")
            session.add_all([union, platform])
        now = datetime.now(UTC)
        figures = []
        for size in (quantity, sheet_quantity):
            with unit_of_work(session):
                batch = create_batch(
                    session,
                    union,
                    title=f"{size}张",
                    face_value=10_000,
                    quantity=size,
                    valid_from=now,
                    valid_until=now + timedelta(days=30),
                )
            started = time.perf_counter()
            with unit_of_work(session):
                mark_batch_paid(
                    session,
                    platform,
                    batch.id,
                    paid_at=now,
                    reference="BENCH",
                    amount=batch.amount,
                    keys=code_keys(),
                    now=now,
                )
            figures.append((size, batch.id, time.perf_counter() - started))
        size, batch_id, paid = figures[0]
        print(f"{backend}: mark-paid of {size:,} codes (generate, hash, seal, insert, book): "
              f"{paid:.2f} s (target < 10 s)")  # fmt: skip
        size, batch_id, _ = figures[1]
        with unit_of_work(session, writes=False):
            started = time.perf_counter()
            content = codes_workbook(session, union, batch_id, code_keys())
            elapsed = time.perf_counter() - started
        print(f"{backend}: codes.xlsx of {size:,} codes: {elapsed:.2f} s, "
              f"{len(content) / 1024:.0f} KiB (target < 2 s)")  # fmt: skip
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--quantity", type=int, default=100_000)
    parser.add_argument("--sheet-quantity", type=int, default=10_000)
    parser.add_argument("--pg-url", default=PG_ADMIN_URL)
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run(backend, args.quantity, args.sheet_quantity, args.pg_url)


if __name__ == "__main__":
    main()
