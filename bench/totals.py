"""bench/totals: subtree figures and concurrent bookings at 100,000 units and 10 million entries.

    python bench/totals.py                     # PostgreSQL, then SQLite, full size
    python bench/totals.py --backend postgresql --quick   # small, for a smoke run

PostgreSQL: a dedicated database `miniapp_bench_ledger` (dropped and created; `--pg-url` for
another server); SQLite: `bench/out/totals.sqlite3`. In the same run, on the same data, it
prints:

1. the root's subtree figures (rule 7) read our way (sum over the root's totals slots,
   miniapp_api.services.totals.unit_figures) against a plain SUM over the entries joined to the
   subtree's units, both checked to give the same amounts;
2. bookings per second from 16 threads into 16 leaves of one tree (they share every ancestor)
   beside 16 threads into 16 unrelated units (separate chains of the same depth, so the work
   per booking is the same), and the first case again with every ancestor kept in one row
   (TOTAL_SLOTS = 1) to show what striping buys.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import miniapp_api.services.ledger as ledger  # noqa: E402
from miniapp_api.services.totals import expected_totals, unit_figures  # noqa: E402
from models import Base, Entry, Unit, UnitTotal  # noqa: E402
from models.ledger import TOTAL_SLOTS  # noqa: E402
from models.unit import subtree_condition  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "miniapp_bench_ledger"
YEAR = 2026
FANOUT_ROOT, FANOUT = 9, 10  # 1 + 9 + 90 + 900 + 9,000 + 90,000 = 100,000 units in 6 levels
LEVELS = 6


def unit_rows(levels: int) -> list[dict]:
    """The tree, breadth first: ids 1.. with the root at 1."""
    now = datetime.now(UTC)
    rows = [_unit(1, None, "1/", 0, now)]
    previous = [rows[0]]
    next_id = 2
    for depth in range(1, levels):
        level = []
        for parent in previous:
            for _ in range(FANOUT_ROOT if depth == 1 else FANOUT):
                path = f"{parent['path']}{next_id}/"
                level.append(_unit(next_id, parent["id"], path, depth, now))
                next_id += 1
        rows.extend(level)
        previous = level
    return rows


def _unit(unit_id: int, parent_id: int | None, path: str, depth: int, now: datetime) -> dict:
    return {
        "id": unit_id,
        "name": f"单位{unit_id}",
        "credit_code": None,
        "parent_id": parent_id,
        "path": path,
        "depth": depth,
        "budget_level": "county",
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }


# One row per entry; 4 in 5 this year, sources and units spread evenly over the whole tree.
ENTRY_COLUMNS = "id, unit_id, year, source, amount, reference, occurred_at, created_at"
PG_ENTRIES = f"""
INSERT INTO ledger_entries ({ENTRY_COLUMNS})
SELECT g, 1 + (g::bigint * 7919) % :units, CASE WHEN g % 5 = 0 THEN 2025 ELSE 2026 END,
       (ARRAY['canteen', 'union', 'personal'])[1 + g % 3], 100 + (g::bigint * 37) % 100000,
       'B' || g,
       make_timestamptz(CASE WHEN g % 5 = 0 THEN 2025 ELSE 2026 END, 1 + g % 10, 1 + g % 28,
                        10, 0, 0, 'Asia/Shanghai'), now()
FROM generate_series(:first, :last) AS g
"""
SQLITE_ENTRIES = f"""
WITH RECURSIVE g(x) AS (SELECT :first UNION ALL SELECT x + 1 FROM g WHERE x < :last)
INSERT INTO ledger_entries ({ENTRY_COLUMNS})
SELECT x, 1 + (x * 7919) % :units, CASE WHEN x % 5 = 0 THEN 2025 ELSE 2026 END,
       CASE x % 3 WHEN 0 THEN 'canteen' WHEN 1 THEN 'union' ELSE 'personal' END,
       100 + (x * 37) % 100000, 'B' || x,
       printf('%d-%02d-%02d 02:00:00.000000', CASE WHEN x % 5 = 0 THEN 2025 ELSE 2026 END,
              1 + x % 10, 1 + x % 28), '2026-11-01 00:00:00.000000'
FROM g
"""


def make_engine(backend: str, pg_url: str | None) -> Engine:
    if backend == "postgresql":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}"))
            connection.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
        admin.dispose()
        url = pg_url or PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
        return create_engine(url, pool_size=40, max_overflow=0)
    OUT.mkdir(exist_ok=True)
    path = OUT / "totals.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 60}, pool_size=40)
    with engine.connect() as connection:
        connection.execute(text("PRAGMA journal_mode=WAL"))
    return engine


def build(engine: Engine, entries: int, levels: int) -> int:
    """The tree, the entries, and the totals they imply; returns the number of units."""
    Base.metadata.create_all(engine)
    units = unit_rows(levels)
    table = Entry.__table__
    with engine.begin() as connection:
        connection.execute(Unit.__table__.insert(), units)
        for index in table.indexes:
            index.drop(connection)
        if engine.dialect.name == "postgresql":
            for name in ("uq_ledger_entries_source_reference", "fk_ledger_entries_unit_id_units"):
                connection.execute(text(f"ALTER TABLE ledger_entries DROP CONSTRAINT {name}"))
    statement = PG_ENTRIES if engine.dialect.name == "postgresql" else SQLITE_ENTRIES
    step = 1_000_000
    for first in range(1, entries + 1, step):
        with engine.begin() as connection:
            last = min(first + step - 1, entries)
            connection.execute(text(statement), {"first": first, "last": last, "units": len(units)})
        print(f"  {last:,} entries", flush=True)
    with engine.begin() as connection:
        for index in table.indexes:
            index.create(connection)
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "ALTER TABLE ledger_entries ADD CONSTRAINT uq_ledger_entries_source_reference "
                    "UNIQUE (source, reference)"
                )
            )
            connection.execute(
                text(
                    "ALTER TABLE ledger_entries ADD CONSTRAINT fk_ledger_entries_unit_id_units "
                    "FOREIGN KEY (unit_id) REFERENCES units (id)"
                )
            )
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), "
                    "(SELECT max(id) FROM ledger_entries))"
                )
            )
    with Session(engine) as session:
        expected = expected_totals(session)
    depth = {row["id"]: row["depth"] for row in units}
    rows = []
    for (unit_id, year, source), (own, subtree) in expected.items():
        # the top three levels, where bookings meet, spread over every slot as bookings would
        slots = TOTAL_SLOTS if depth[unit_id] <= 2 else 1
        for slot in range(slots):
            share_own, share_subtree = (own, subtree) if slot == 0 else (0, 0)
            rows.append(
                {
                    "unit_id": unit_id,
                    "year": year,
                    "source": source,
                    "slot": slot,
                    "own_amount": share_own,
                    "subtree_amount": share_subtree,
                }
            )
    with engine.begin() as connection:
        for start in range(0, len(rows), 50_000):
            connection.execute(UnitTotal.__table__.insert(), rows[start : start + 50_000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        connection.execute(text(vacuum))
    return len(units)


def timed(function, repeat: int) -> tuple[float, object]:
    """Median milliseconds over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def compare_reads(engine: Engine) -> None:
    with Session(engine) as session:
        root = session.get(Unit, 1)

        def ours():
            figures = unit_figures(session, root, YEAR).subtree
            return {source: amount for source, amount in figures.amounts.items() if amount}

        def plain():
            rows = session.execute(
                select(Entry.source, func.sum(Entry.amount))
                .join(Unit, Unit.id == Entry.unit_id)
                .where(subtree_condition(root.path), Entry.year == YEAR)
                .group_by(Entry.source)
            )
            return {source: int(amount) for source, amount in rows}

        ours_ms, ours_result = timed(ours, 50)
        plain_ms, plain_result = timed(plain, 3)
    assert ours_result == plain_result, (ours_result, plain_result)
    print(f"  root subtree figures, ours (sum over totals slots): {ours_ms:9.2f} ms")
    print(f"  root subtree figures, plain SUM over entries:       {plain_ms:9.2f} ms")
    print(f"  ours is {plain_ms / ours_ms:,.0f} times faster; same amounts: {ours_result}")


def chain(engine: Engine, first_id: int, levels: int) -> int:
    """A separate chain of `levels` units; returns the leaf's id."""
    now = datetime.now(UTC)
    rows, path = [], ""
    for depth in range(levels):
        unit_id = first_id + depth
        path += f"{unit_id}/"
        rows.append(_unit(unit_id, unit_id - 1 if depth else None, path, depth, now))
    with engine.begin() as connection:
        connection.execute(Unit.__table__.insert(), rows)
    return rows[-1]["id"]


def bookings_per_second(engine: Engine, leaves: list[int], per_thread: int, tag: str) -> float:
    barrier = threading.Barrier(len(leaves) + 1)
    errors: list[BaseException] = []

    def work(leaf: int) -> None:
        moment = datetime(YEAR, 6, 1, 10, tzinfo=ledger.CHINA)
        try:
            with Session(engine) as session:
                session.connection()
                barrier.wait()
                for number in range(per_thread):
                    ledger.book_entry(
                        session,
                        unit_id=leaf,
                        source="personal",
                        amount=100,
                        occurred_at=moment,
                        reference=f"{tag}-{leaf}-{number}",
                    )
                    session.commit()
        except BaseException as error:  # reported after the run
            errors.append(error)
            raise

    threads = [threading.Thread(target=work, args=(leaf,)) for leaf in leaves]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(leaves) * per_thread / elapsed


def compare_bookings(engine: Engine, units: int, levels: int, threads: int, per_thread: int):
    # 16 leaves under one unit two levels down: they share the root and two more ancestors
    with Session(engine) as session:
        shared = session.scalars(select(Unit).where(Unit.depth == 2).order_by(Unit.id)).first()
        leaves = list(
            session.scalars(
                select(Unit.id)
                .where(subtree_condition(shared.path), Unit.depth == levels - 1)
                .order_by(Unit.id)
                .limit(threads)
            )
        )
    unrelated = [chain(engine, units + 1 + n * levels, levels) for n in range(threads)]
    rates = {}
    for label, targets, slots in (
        (f"{threads} threads, leaves of one tree", leaves, TOTAL_SLOTS),
        (f"{threads} threads, unrelated units", unrelated, TOTAL_SLOTS),
        (f"{threads} threads, one tree, one row per ancestor", leaves, 1),
    ):
        ledger.TOTAL_SLOTS = slots
        rates[label] = bookings_per_second(engine, targets, per_thread, f"{label[:20]}{slots}")
        print(f"  {label:<44} {rates[label]:8.0f} bookings/s  (slots={slots})", flush=True)
    ledger.TOTAL_SLOTS = TOTAL_SLOTS
    with Session(engine) as session:
        root = session.get(Unit, 1)
        assert unit_figures(session, root, YEAR).subtree.personal >= 2 * threads * per_thread * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--sqlite-entries", type=int, default=None, help="default: --entries")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--bookings-per-thread", type=int, default=100)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--quick", action="store_true", help="10,000 units and 200,000 entries")
    args = parser.parse_args()
    levels = 5 if args.quick else LEVELS
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        entries = 200_000 if args.quick else args.entries
        if backend == "sqlite" and args.sqlite_entries and not args.quick:
            entries = args.sqlite_entries
        engine = make_engine(backend, args.pg_url)
        print(f"{backend}: building the tree and {entries:,} entries", flush=True)
        started = time.perf_counter()
        units = build(engine, entries, levels)
        print(f"  built {units:,} units in {time.perf_counter() - started:.0f} s", flush=True)
        compare_reads(engine)
        compare_bookings(engine, units, levels, args.threads, args.bookings_per_thread)
        engine.dispose()


if __name__ == "__main__":
    main()
