"""Security review finding 13: reports are bounded, and a header-only file is refused by every
import."""

from __future__ import annotations

from tests.factories import admin_headers, make_admin, upload
from tests.imports.test_hostile_files import IMPORTS


def test_finding_13_a_report_lists_the_first_1000_bad_rows_and_counts_the_rest(client):
    headers = admin_headers(make_admin("platform_admin"))
    rows = [["name", "budget_level"]] + [[f"单位{n}", "无此级次"] for n in range(1_500)]

    answer = client.post(
        IMPORTS["units"][0], data={"file": upload(rows, "units.csv")}, headers=headers
    )

    assert answer.status_code == 422
    report = answer.get_json()["error"]["details"]
    assert len(report["rows"]) == 1_000
    assert report["rows"][-1]["row"] == 1_001
    assert report["omitted"] == 500


def test_finding_13_a_units_file_with_only_a_header_is_refused_like_the_others(client):
    headers = admin_headers(make_admin("platform_admin"))
    for url, header, _ in IMPORTS.values():
        answer = client.post(url, data={"file": upload([header], "only.xlsx")}, headers=headers)

        assert answer.status_code == 422, url
        assert answer.get_json()["error"]["code"] == "import_rejected"
        assert answer.get_json()["error"]["details"]["errors"] == ["文件中没有数据行"]


def test_a_good_import_reports_nothing_omitted(client):
    headers = admin_headers(make_admin("platform_admin"))
    rows = [["name", "budget_level"], ["某单位", "county"]]

    answer = client.post(
        IMPORTS["units"][0], data={"file": upload(rows, "units.csv")}, headers=headers
    )

    assert answer.status_code == 200
    assert answer.get_json()["omitted"] == 0
