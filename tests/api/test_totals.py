"""Admins read a unit's annual totals, its children's and the entries behind them (rule 7)."""

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from miniapp_api.services.ledger import book_reversal
from miniapp_api.services.totals import current_year
from models import db
from tests.factories import admin_headers, make_admin, make_entry, make_supplier, make_unit

URL = "/api/v1/admin/units/{}/{}"


@pytest.fixture
def tree():
    """province > city > county > (school, hospital); city2 beside city."""
    province = make_unit("某省财政厅", credit_code="91350100M000100Y43", budget_level="provincial")
    city = make_unit("某市财政局", province, budget_level="municipal")
    city2 = make_unit("另一市财政局", province, budget_level="municipal")
    county = make_unit("某县财政局", city)
    school = make_unit("某县第一中学", county, budget_level="township")
    hospital = make_unit("某县人民医院", county, budget_level="township")
    make_entry(province, 10000, "2025-05-01T10:00:00+08:00", source="canteen")
    make_entry(school, 250050, "2025-06-01T10:00:00+08:00", source="canteen")
    make_entry(school, 1990, "2025-06-02T10:00:00+08:00", source="personal")
    make_entry(hospital, 30000, "2025-07-01T10:00:00+08:00", source="union")
    make_entry(city2, 700, "2025-08-01T10:00:00+08:00", source="personal")
    make_entry(school, 99999, "2024-12-31T23:59:59+08:00", source="canteen")
    return province, city, city2, county, school, hospital


def test_a_province_admin_sees_its_own_figures_and_the_sum_of_everything_below(client, tree):
    province = tree[0]
    headers = admin_headers(make_admin("finance_admin", unit=province))

    response = client.get(URL.format(province.id, "totals?year=2025"), headers=headers)

    assert response.status_code == 200
    assert response.get_json() == {
        "unit": {"id": province.id, "name": "某省财政厅", "credit_code": "91350100M000100Y43"},
        "year": 2025,
        "own": {"canteen": "100.00", "union": "0.00", "personal": "0.00", "total": "100.00"},
        "subtree": {
            "canteen": "2600.50",
            "union": "300.00",
            "personal": "26.90",
            "total": "2927.40",
        },
        "reserved_share": None,
        "completion_rate": None,
    }


def test_children_totals_have_one_row_per_direct_child(client, tree):
    province, city, city2, *_ = tree
    headers = admin_headers(make_admin("platform_admin"))

    response = client.get(URL.format(province.id, "totals/children?year=2025"), headers=headers)

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [item["unit"]["id"] for item in items] == [city.id, city2.id]
    assert items[0]["own"]["total"] == "0.00"
    assert items[0]["subtree"] == {
        "canteen": "2500.50",
        "union": "300.00",
        "personal": "19.90",
        "total": "2820.40",
    }
    assert items[1]["own"]["personal"] == items[1]["subtree"]["personal"] == "7.00"


def test_an_admin_outside_the_subtree_is_refused(client, tree):
    province, city, city2, county, school, hospital = tree
    school_admin = admin_headers(make_admin("unit_admin", unit=school))
    other_city_admin = admin_headers(make_admin("finance_admin", unit=city2))

    for headers, unit in (
        (school_admin, county),
        (school_admin, hospital),
        (other_city_admin, school),
    ):
        for path in ("totals", "totals/children", "entries", "totals.xlsx"):
            response = client.get(URL.format(unit.id, path), headers=headers)
            assert response.status_code == 404, path
            assert response.get_json()["error"]["code"] == "unit_not_found"
    assert client.get(URL.format(school.id, "totals"), headers=school_admin).status_code == 200


def test_union_admins_and_suppliers_are_forbidden_and_strangers_unauthenticated(client, tree):
    province = tree[0]
    for admin in (
        make_admin("union_admin", unit=province),
        make_admin("supplier", supplier=make_supplier()),
    ):
        response = client.get(URL.format(province.id, "totals"), headers=admin_headers(admin))
        assert response.status_code == 403
    assert client.get(URL.format(province.id, "totals")).status_code == 401


@pytest.mark.parametrize("year", ["2018", str(current_year() + 2), "abc"])
def test_a_year_outside_2019_to_next_year_is_422(client, tree, year):
    headers = admin_headers(make_admin("platform_admin"))

    response = client.get(URL.format(tree[0].id, f"totals?year={year}"), headers=headers)

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_request"
    assert "year" in response.get_json()["error"]["details"]


def test_the_year_defaults_to_this_year_in_china(client, tree):
    school = tree[4]
    make_entry(school, 1234, datetime.now(UTC))
    headers = admin_headers(make_admin("platform_admin"))

    body = client.get(URL.format(school.id, "totals"), headers=headers).get_json()

    assert body["year"] == current_year()
    assert body["own"]["canteen"] == "12.34"


def test_the_entries_behind_a_figure_are_paged_and_filtered_by_source(client, tree):
    school = tree[4]
    headers = admin_headers(make_admin("platform_admin"))
    url = URL.format(school.id, "entries?year=2025&limit=1")

    first = client.get(url, headers=headers).get_json()
    second = client.get(f"{url}&cursor={first['next_cursor']}", headers=headers).get_json()
    canteen = client.get(URL.format(school.id, "entries?year=2025&source=canteen"), headers=headers)

    both_pages = first["items"] + second["items"]
    assert [(item["source"], item["amount"]) for item in both_pages] == [
        ("personal", "19.90"),
        ("canteen", "2500.50"),
    ]
    assert second["next_cursor"] is None
    personal = first["items"][0]
    assert set(personal) == {
        "id",
        "source",
        "amount",
        "year",
        "occurred_at",
        "reference",
        "reverses",
    }
    assert (personal["source"], personal["amount"], personal["year"]) == ("personal", "19.90", 2025)
    assert personal["occurred_at"] == "2025-06-02T10:00:00+08:00"
    assert personal["reverses"] is None
    assert [item["amount"] for item in canteen.get_json()["items"]] == ["2500.50"]


def test_an_unknown_source_filter_is_422(client, tree):
    headers = admin_headers(make_admin("platform_admin"))

    response = client.get(URL.format(tree[4].id, "entries?source=gift"), headers=headers)

    assert response.status_code == 422
    assert "source" in response.get_json()["error"]["details"]


def test_the_spreadsheet_has_the_unit_its_children_and_a_sum_row(client, tree):
    province, city, city2, *_ = tree
    headers = admin_headers(make_admin("finance_admin", unit=province))

    response = client.get(URL.format(province.id, "totals.xlsx?year=2025"), headers=headers)

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "单位名称",
        "统一社会信用代码",
        "范围",
        "食堂采购（元）",
        "工会采购（元）",
        "个人采购（元）",
        "合计（元）",
    ]
    assert rows[1][:3] == ["某省财政厅", "91350100M000100Y43", "本级"]
    assert rows[1][3:] == [100, 0, 0, 100]
    assert [row[0] for row in rows[2:4]] == ["某市财政局", "另一市财政局"]
    assert rows[2][6] == 2820.4
    assert rows[4][0] == "合计" and rows[4][2] == "本级及下级"
    assert rows[4][3:] == [2600.5, 300, 26.9, 2927.4]


def test_the_spreadsheets_amounts_are_numbers_shown_with_two_decimals_in_columns_that_fit(
    client, tree
):
    province = tree[0]
    headers = admin_headers(make_admin("finance_admin", unit=province))

    response = client.get(URL.format(province.id, "totals.xlsx?year=2025"), headers=headers)

    sheet = load_workbook(io.BytesIO(response.data)).active
    total = sheet["G5"]
    assert total.data_type == "n" and total.number_format == "#,##0.00"
    assert sheet["B2"].data_type == "s", "credit codes stay text, leading zeros and all"
    assert sheet.column_dimensions["A"].width >= 2 * len("另一市财政局")
    assert sheet.column_dimensions["B"].width >= len("91350100M000100Y43")


def test_a_refund_is_listed_as_a_negative_entry_naming_what_it_reverses(client, tree):
    school = tree[4]
    original = make_entry(school, 5000, "2025-09-01T10:00:00+08:00", source="personal")
    book_reversal(
        db.session,
        original,
        amount=1500,
        occurred_at=datetime.fromisoformat("2026-01-03T10:00:00+08:00"),
        reference="RF2026010300001",
    )
    db.session.commit()
    headers = admin_headers(make_admin("platform_admin"))

    body = client.get(URL.format(school.id, "entries?year=2025&source=personal"), headers=headers)
    totals = client.get(URL.format(school.id, "totals?year=2025"), headers=headers).get_json()

    refund = body.get_json()["items"][0]
    assert (refund["amount"], refund["year"], refund["reverses"]) == ("-15.00", 2025, original.id)
    assert refund["occurred_at"] == "2026-01-03T10:00:00+08:00"
    assert totals["own"]["personal"] == "54.90"  # 19.90 + 50.00 - 15.00


def test_an_unknown_unit_is_404(client, tree):
    headers = admin_headers(make_admin("platform_admin"))

    response = client.get(URL.format(999999, "totals"), headers=headers)

    assert response.status_code == 404
