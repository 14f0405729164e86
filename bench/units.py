"""Benchmark: reading a unit's subtree at 100,000 units and 6 levels, and importing a
10,000-row unit sheet.

    python bench/units.py                       # SQLite under bench/out/
    python bench/units.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_units

The subtree is read two ways in the same run: the materialised path's range scan (what the
service uses, models/unit.py) and a recursive CTE over parent_id (the usual alternative), for
the root (all 100,000 units) and for a unit two levels down (about 1/100 of them).
The database is created when missing, then emptied and rebuilt by the benchmark: never point
it at real data.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import bindparam, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import ensure_database  # noqa: E402

from miniapp_api import create_app  # noqa: E402
from miniapp_api.extensions import db  # noqa: E402
from models.credit_code import check_character  # noqa: E402
from models.unit import Unit, subtree_condition  # noqa: E402

FANOUT = (1, 10, 10, 10, 10, 10)  # 1 root, then 10 children per unit: 111,111 units
LEVELS = ("central", "provincial", "municipal", "county", "township", "township")


def build_tree(connection) -> int:
    rows: list[dict] = []
    next_id = 1
    parents: list[tuple[int, str]] = [(0, "")]
    for depth, fanout in enumerate(FANOUT):
        children = []
        for parent_id, parent_path in parents:
            for _ in range(fanout):
                path = f"{parent_path}{next_id}/"
                rows.append(
                    {
                        "id": next_id,
                        "name": f"基准单位{next_id}",
                        "parent_id": parent_id or None,
                        "path": path,
                        "depth": depth,
                        "budget_level": LEVELS[depth],
                    }
                )
                children.append((next_id, path))
                next_id += 1
        parents = children
    insert = text(
        "INSERT INTO units (id, name, parent_id, path, depth, budget_level, status, created_at,"
        " updated_at) VALUES (:id, :name, :parent_id, :path, :depth, :budget_level, 'active',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    for start in range(0, len(rows), 10_000):
        connection.execute(insert, rows[start : start + 10_000])
    return len(rows)


RECURSIVE = text(
    "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE id = :root"
    " UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id)"
    " SELECT count(*) FROM sub"
).bindparams(bindparam("root"))


def timed(call, repeat: int = 7) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def subtree_figures(session) -> list[str]:
    lines = []
    root = session.get(Unit, 1)
    mid = session.scalars(select(Unit).where(Unit.depth == 2).limit(1)).one()
    for label, unit in (("root", root), ("level-2 unit", mid)):
        path_ms, path_count = timed(
            lambda u=unit: session.scalar(
                select(func.count()).select_from(Unit).where(subtree_condition(u.path))
            )
        )
        cte_ms, cte_count = timed(lambda u=unit: session.scalar(RECURSIVE, {"root": u.id}))
        assert path_count == cte_count, (path_count, cte_count)
        lines.append(
            f"  subtree of {label:<13} {path_count:>7} units: materialised path {path_ms:7.1f} ms"
            f" | recursive CTE {cte_ms:7.1f} ms (median of 7)"
        )
    return lines


def search_figures(session) -> list[str]:
    from miniapp_api.services.units import search_units

    lines = []
    for fragment in ("基准单位1234", "不存在的单位"):
        ms, found = timed(lambda f=fragment: search_units(session, q=f))
        lines.append(f"  binding picker q={fragment!r}: {len(found)} found in {ms:.1f} ms")
    return lines


def import_figures(session) -> list[str]:
    from openpyxl import Workbook

    from miniapp_api.services.units_import import import_units

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["预算单位名称", "上级预算单位统一信用代码", "预算单位统一信用代码", "预算级次"])
    root_body = "11000000900000000"
    root_code = root_body + check_character(root_body)
    sheet.append(["导入基准根单位", "", root_code, "省级"])
    for i in range(1, 10_000):
        body = f"12000000{i:09d}"
        parent = root_code if i < 100 else f"12000000{i // 100:09d}"
        if i >= 100:
            parent += check_character(parent)
        sheet.append([f"导入基准单位{i}", parent, body + check_character(body), "县级"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    started = time.perf_counter()
    buffer.seek(0)
    report = import_units(session, "bench.xlsx", buffer)
    first = time.perf_counter() - started
    started = time.perf_counter()
    buffer.seek(0)
    again = import_units(session, "bench.xlsx", buffer)
    second = time.perf_counter() - started
    assert report.created == 10_000 and again.updated == 10_000
    return [
        f"  import of a 10,000-row .xlsx: {first:.1f} s creating, {second:.1f} s re-importing"
        " (updating every row)"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    url = args.database_url
    if url is None:
        (out / "units.sqlite3").unlink(missing_ok=True)
        url = f"sqlite:///{out / 'units.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": ensure_database(url), "MINIAPP_ENV": "test"})
    with app.app_context():
        from flask_migrate import upgrade

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            count = build_tree(connection)
            if db.engine.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('units', 'id'), max(id)) FROM units")
                )
                connection.execute(text("ANALYZE units"))
        built = time.perf_counter() - started
        print(f"{db.engine.dialect.name}: {count} units in 6 levels ({built:.1f} s to build)")
        for line in subtree_figures(db.session):
            print(line)
        for line in search_figures(db.session) + import_figures(db.session):
            print(line)


if __name__ == "__main__":
    main()
