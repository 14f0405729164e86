"""A platform admin uploads the trading site's canteen purchases; the CLI does the same."""

import io

from openpyxl import Workbook
from sqlalchemy import update

from miniapp_api.services.totals import unit_figures
from models import UnitTotal, db
from tests.factories import admin_headers, make_admin, make_entry, make_unit

SCHOOL = "91350100M000100Y43"
URL = "/api/v1/admin/entries/import"


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    book.active.append(["预算单位统一信用代码", "订单编号", "订单金额", "完成时间", "冲销订单编号"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, headers, name="canteen.xlsx"):
    return client.post(
        URL,
        data={"file": (io.BytesIO(content), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_an_xlsx_upload_counts_its_rows_and_a_second_upload_skips_them(client):
    school = make_unit("某县第一中学", credit_code=SCHOOL)
    headers = admin_headers(make_admin("platform_admin"))
    content = workbook(
        [
            [SCHOOL, "T001", "1200.50", "2026-03-01 10:00:00", None],
            [SCHOOL, "T002", 99.5, "2026-03-02T10:00:00+08:00", None],
        ]
    )

    first = upload(client, content, headers)
    second = upload(client, content, headers)

    assert first.status_code == 200, first.get_json()
    assert first.get_json()["created"] == 2
    assert second.status_code == 200
    assert (second.get_json()["created"], second.get_json()["skipped"]) == (0, 2)
    assert unit_figures(db.session, school, 2026).own.canteen == 130000


def test_a_bad_row_answers_422_with_the_row_report_and_books_nothing(client):
    school = make_unit("某县第一中学", credit_code=SCHOOL)
    headers = admin_headers(make_admin("platform_admin"))
    content = workbook(
        [
            [SCHOOL, "T001", "10.00", "2026-03-01 10:00:00", None],
            ["NOSUCHCODE", "T002", "10.00", "2026-03-01 10:00:00", None],
        ]
    )

    response = upload(client, content, headers)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "import_rejected"
    assert [row["status"] for row in error["details"]["rows"]] == ["ok", "error"]
    assert unit_figures(db.session, school, 2026).own.total == 0


def test_only_a_platform_admin_may_import(client):
    unit = make_unit("某县第一中学", credit_code=SCHOOL)
    content = workbook([[SCHOOL, "T001", "10.00", "2026-03-01 10:00:00", None]])

    response = upload(client, content, admin_headers(make_admin("finance_admin", unit=unit)))

    assert response.status_code == 403


def test_a_missing_or_unreadable_file_is_422(client):
    headers = admin_headers(make_admin("platform_admin"))

    missing = client.post(URL, data={}, headers=headers, content_type="multipart/form-data")
    unreadable = upload(client, b"not a workbook", headers)

    assert missing.status_code == 422
    assert unreadable.status_code == 422
    assert unreadable.get_json()["error"]["code"] == "invalid_file"


def test_the_cli_imports_a_file_and_exits_1_on_a_bad_row(app, tmp_path):
    school = make_unit("某县第一中学", credit_code=SCHOOL)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(
        f"credit_code,order_no,amount,completed_at\n{SCHOOL},T1,5.00,2026-02-01 08:00:00\n"
    )
    bad.write_text(
        f"credit_code,order_no,amount,completed_at\n{SCHOOL},T2,-5.00,2026-02-01 08:00:00\n"
    )
    runner = app.test_cli_runner()

    ok = runner.invoke(args=["entries", "import", str(good)])
    refused = runner.invoke(args=["entries", "import", str(bad)])
    missing = runner.invoke(args=["entries", "import", str(tmp_path / "none.csv")])

    assert ok.exit_code == 0, ok.output
    assert "1 created" in ok.output
    assert refused.exit_code == 1
    assert "row 2:" in refused.output
    assert missing.exit_code != 0
    assert unit_figures(db.session, school, 2026).own.canteen == 500


def test_totals_verify_exits_1_naming_each_difference(app):
    unit = make_unit("某县第一中学")
    make_entry(unit, 1000, "2026-02-01T08:00:00+08:00")
    runner = app.test_cli_runner()

    clean = runner.invoke(args=["totals", "verify"])
    db.session.execute(update(UnitTotal).values(own_amount=UnitTotal.own_amount + 1))
    db.session.commit()
    broken = runner.invoke(args=["totals", "verify"])

    assert clean.exit_code == 0, clean.output
    assert broken.exit_code == 1
    assert (
        f"unit {unit.id} year 2026 canteen own: entries say 1000, totals say 1001" in broken.output
    )


def test_totals_rebuild_puts_the_totals_back_in_step_with_the_entries(app):
    unit = make_unit("某县第一中学", make_unit("某县教育局"))
    make_entry(unit, 1000, "2026-02-01T08:00:00+08:00")
    make_entry(unit, 2000, "2025-02-01T08:00:00+08:00", source="union")
    db.session.execute(update(UnitTotal).values(subtree_amount=0))
    db.session.commit()
    runner = app.test_cli_runner()

    rebuilt = runner.invoke(args=["totals", "rebuild"])
    verified = runner.invoke(args=["totals", "verify"])

    assert rebuilt.exit_code == 0, rebuilt.output
    assert verified.exit_code == 0, verified.output
    assert unit_figures(db.session, unit.parent, 2025).subtree.union == 2000
