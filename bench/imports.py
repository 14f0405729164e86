"""Benchmark: hostile spreadsheets are refused fast and small; valid large ones import at
so many rows per second.

    python bench/imports.py                     # SQLite under bench/out/
    python bench/imports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_imports
    python bench/imports.py --hostile-only      # only the refusals (no database)

Part 1 builds files of up to 20 MB (the upload limit) meant to exhaust the reader, and reads each
with the upload limits in a fresh process: the time until it is refused and the peak memory
above the process's size before the call (VmHWM after - VmRSS before, an upper bound), and
the CPU time (on a busy machine the wall time is longer). Target: under 5 s and 200 MB each.
Part 2 imports a valid file of 20,000 rows (the most one upload may carry) of units, catalogue
and canteen purchases through the real services, each in one unit of work, and again (updates,
or skips for canteen rows). The database is emptied by the benchmark: never point it at real data.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "imports"))

from hostile import MAIN, inline_row, sheet_xml, xlsx  # noqa: E402

from miniapp_api.services.sheet_files import UPLOAD_LIMITS, SheetUnreadable  # noqa: E402
from miniapp_api.services.sheets import read_sheet  # noqa: E402

LIMIT = 20 * 1024 * 1024
COLUMNS = {"name": "name", "budget_level": "budget_level"}
HEADER = inline_row(1, ["name", "budget_level"])


def _fill(unit: str, start: int = 0) -> str:
    """As many repetitions of `unit` (formatted with a counter) as fit in about 19 MB."""
    parts, size, n = [], 0, start
    while size < 19 * 1024 * 1024:
        part = unit.format(n=n)
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts)


def hostile_files() -> dict[str, tuple[str, bytes]]:
    strings = _fill("<si><t>s{n}</t></si>")
    rows_ignored = _fill('<row r="{n}"><c r="ZZ{n}"><v>1</v></c></row>', start=2)
    cells = _fill('<c r="B2"><v>1</v></c>')
    empty_lines = b"name,budget_level\n" + b"\n" * (19 * 1024 * 1024)
    within = "".join(
        f'<row r="{n}">'
        + "".join(f'<c r="{c}{n}"><v>1</v></c>' for c in "CDEFGHIJKLMNOPQRSTUVWXY")
        + "</row>"
        for n in range(2, 20_001)
    )
    files = {
        "200,000+ shared strings": (
            "x.xlsx",
            xlsx(sheet_xml(HEADER), strings=f'<sst xmlns="{MAIN}">{strings}</sst>'),
        ),
        "one shared string of 19 M characters": (
            "x.xlsx",
            xlsx(
                sheet_xml(HEADER),
                strings=f'<sst xmlns="{MAIN}"><si><t>{"x" * 19_000_000}</t></si></sst>',
                stored=True,
            ),
        ),
        "rows with values only in an ignored column": (
            "x.xlsx",
            xlsx(sheet_xml(HEADER + rows_ignored), stored=True),
        ),
        "one row of a million cells": (
            "x.xlsx",
            xlsx(sheet_xml(HEADER + f'<row r="2">{cells}</row>'), stored=True),
        ),
        "zip bomb (2 GB of zeros)": ("x.xlsx", _zip_bomb()),
        "a cell of 19 M characters": (
            "x.xlsx",
            xlsx(sheet_xml(HEADER + inline_row(2, ["x" * 19_000_000])), stored=True),
        ),
        "CSV of 19 M empty lines": ("x.csv", io.BytesIO(empty_lines)),
        "CSV with a 19 MB field": ("x.csv", io.BytesIO(b'name\n"' + b"x" * 19_000_000 + b'"\n')),
        "within every limit: 20,000 rows x 23 ignored cells": (
            "x.xlsx",
            xlsx(sheet_xml(HEADER + within)),
        ),
    }
    return {name: (filename, stream.getvalue()) for name, (filename, stream) in files.items()}


def _zip_bomb() -> io.BytesIO:
    buffer = io.BytesIO()
    base = xlsx(sheet_xml(HEADER))
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        with out.open("xl/media/zeros.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (16 * 1024 * 1024)
            for _ in range(128):  # 2 GB, about 2 MB packed
                member.write(chunk)
    buffer.seek(0)
    return buffer


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def _read_one(filename: str, data: bytes, answer) -> None:
    before = _status("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    try:
        sheet = read_sheet(filename, io.BytesIO(data), COLUMNS, UPLOAD_LIMITS)
        outcome = f"read: {len(sheet.rows)} rows with values"
    except SheetUnreadable as refused:
        outcome = "refused: " + refused.details["file"][0]
    elapsed = (time.perf_counter() - started, time.process_time() - cpu)
    answer.send((elapsed, _status("VmHWM") - before, outcome))


def hostile_figures() -> list[str]:
    lines = []
    context = multiprocessing.get_context("spawn")
    for name, (filename, data) in hostile_files().items():
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(target=_read_one, args=(filename, data, sending))
        process.start()
        (seconds, cpu), megabytes, outcome = receiving.recv()
        process.join()
        lines.append(
            f"  {name} ({len(data) / 1024 / 1024:.1f} MB): {seconds:.2f} s ({cpu:.2f} s CPU), "
            f"+{megabytes} MB; {outcome}"
        )
    return lines


ROWS = 20_000


def valid_files() -> dict[str, tuple[bytes, bytes]]:
    """(first file, second file) per import, as CSV."""
    units = ["name,parent_name,credit_code,budget_level"] + ["基准省财政厅,,,provincial"]
    units += [f"基准单位{n},基准省财政厅,,county" for n in range(ROWS - 1)]
    catalogue = ["product_code,title,category,supplier,province,city,county,spec,price,stock"]
    catalogue += [
        f"B{n // 2:06d},基准商品{n // 2}号香米,米面粮油,社{n // 2 % 90},河南省,信阳市,光山县,"
        f"规格{n % 2},{10 + n % 90}.50,100"
        for n in range(ROWS)
    ]
    canteen = ["credit_code,order_no,amount,completed_at"]
    canteen += [f"{{code}},C{n:07d},12.50,2026-01-01 10:00:00" for n in range(ROWS)]
    return {
        name: "\n".join(lines).encode()
        for name, lines in (("units", units), ("catalogue", catalogue), ("canteen", canteen))
    }


def import_figures(url: str) -> list[str]:
    from sqlalchemy import text

    from miniapp_api import create_app
    from miniapp_api.extensions import db
    from miniapp_api.services.canteen_import import import_canteen_entries
    from miniapp_api.services.catalog_import import import_catalog
    from miniapp_api.services.units_import import import_units
    from miniapp_api.transaction import unit_of_work

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MINIAPP_ENV": "test"})
    lines = [f"  database: {url.split(':')[0]}"]
    with app.app_context():
        from flask_migrate import upgrade

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        files = valid_files()
        for name, importer in (
            ("units", import_units),
            ("catalogue", import_catalog),
            ("canteen", import_canteen_entries),
        ):
            data = files[name]
            if name == "canteen":
                from models.unit import Unit

                unit = db.session.query(Unit).filter(Unit.name == "基准单位1").one()
                unit.credit_code = "91350100M000100Y43"
                db.session.commit()
                data = data.replace(b"{code}", unit.credit_code.encode())
            timings = []
            for _ in range(2):
                started = time.perf_counter()
                with unit_of_work(db.session):
                    importer(db.session, f"{name}.csv", io.BytesIO(data))
                timings.append(time.perf_counter() - started)
                db.session.expunge_all()
            lines.append(
                f"  {name}, {ROWS:,} rows: {timings[0]:.1f} s ({ROWS / timings[0]:,.0f} rows/s), "
                f"again {timings[1]:.1f} s ({ROWS / timings[1]:,.0f} rows/s)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--hostile-only", action="store_true")
    args = parser.parse_args()
    print("hostile files, read with the upload limits:")
    for line in hostile_figures():
        print(line)
    if args.hostile_only:
        return
    url = args.database_url
    if url is None:
        out = Path(__file__).resolve().parent / "out"
        out.mkdir(exist_ok=True)
        (out / "imports.sqlite3").unlink(missing_ok=True)
        url = f"sqlite:///{out / 'imports.sqlite3'}"
    print("valid files, imported:")
    for line in import_figures(url):
        print(line)


if __name__ == "__main__":
    main()
