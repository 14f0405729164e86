"""Security review finding 3: text from users never becomes a live formula in an export."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from miniapp_api.services.spreadsheets import append_row, workbook_bytes
from tests.factories import admin_headers, make_admin, make_unit

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_finding_3_a_unit_named_like_a_formula_is_text_in_its_superiors_totals_xlsx(client):
    province = make_unit("某省财政厅")
    make_unit(HOSTILE[0], province)
    headers = admin_headers(make_admin("platform_admin"))

    answer = client.get(f"/api/v1/admin/units/{province.id}/totals.xlsx?year=2026", headers=headers)

    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    cell = load_workbook(io.BytesIO(answer.data)).active["A3"]
    assert cell.value == HOSTILE[0]
    assert cell.data_type == "s"
    assert cell.quotePrefix


@pytest.mark.parametrize("text", HOSTILE)
def test_every_text_starting_like_a_formula_is_written_as_quoted_text(text):
    workbook = Workbook()
    append_row(workbook.active, [text, "普通文字", 12])

    cells = load_workbook(io.BytesIO(workbook_bytes(workbook))).active[1]

    # XML reads a carriage return back as a line feed; the point is that it stays text
    expected = text.replace("\r", "\n")
    assert (cells[0].value, cells[0].data_type, cells[0].quotePrefix) == (expected, "s", True)
    assert (cells[1].value, cells[1].quotePrefix) == ("普通文字", False)
    assert cells[2].value == 12
