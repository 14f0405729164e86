"""Unit pages: the year's figures, the children with drill-down, the entries, the sheet;
each admin within its reach only (DOMAIN.md rules 6 and 7)."""

from __future__ import annotations

import pytest

from models.admin import FINANCE_ADMIN, SUPPLIER, UNIT_ADMIN
from tests.console.helpers import console_login
from tests.factories import make_admin, make_entry, make_supplier, make_unit


def _tree():
    bureau = make_unit("某市财政局")
    school = make_unit("某某中学", bureau)
    other = make_unit("另一个局")
    make_entry(school, 300_000, source="canteen", reference="CANTEEN-1")
    make_entry(bureau, 5_000, source="personal", reference="XD2026060100000001")
    return bureau, school, other


def test_a_finance_admin_sees_own_and_subtree_figures(client):
    bureau, _school, _other = _tree()
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")
    console_login(client, "finance")

    page = client.get(f"/console/units/{bureau.id}?year=2026").get_data(as_text=True)

    assert 'id="own-total">50.00<' in page
    assert 'id="subtree-total">3050.00<' in page
    assert "某某中学" in page


def test_drilling_down_to_a_child_and_its_entries(client):
    bureau, school, _other = _tree()
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")
    console_login(client, "finance")

    child_page = client.get(f"/console/units/{school.id}?year=2026").get_data(as_text=True)
    entries = client.get(f"/console/units/{school.id}/entries?year=2026&source=canteen")

    assert 'id="own-total">3000.00<' in child_page
    assert "CANTEEN-1" in entries.get_data(as_text=True)


def test_a_unit_outside_reach_is_not_found(client):
    bureau, _school, other = _tree()
    make_admin(UNIT_ADMIN, unit=bureau, username="unit1")
    console_login(client, "unit1")

    response = client.get(f"/console/units/{other.id}")

    assert response.status_code == 404
    assert "单位不存在" in response.get_data(as_text=True)


def test_a_child_admin_cannot_see_its_superior(client):
    bureau, school, _other = _tree()
    make_admin(UNIT_ADMIN, unit=school, username="school")
    console_login(client, "school")

    assert client.get(f"/console/units/{bureau.id}").status_code == 404


def test_a_supplier_has_no_unit_pages(client):
    bureau, _school, _other = _tree()
    make_admin(SUPPLIER, supplier=make_supplier(), username="supplier")
    console_login(client, "supplier")

    assert client.get(f"/console/units/{bureau.id}").status_code == 403


@pytest.mark.parametrize("year", ["abc", "２０２５", "²"])
def test_a_bad_year_is_said_in_chinese(client, year):
    """Digits other than 0-9 (full-width, superscript) are refused too, not a 500."""
    bureau, _school, _other = _tree()
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")
    console_login(client, "finance")

    response = client.get(f"/console/units/{bureau.id}", query_string={"year": year})
    policy = client.get(f"/console/units/{bureau.id}/share-policy", query_string={"year": year})

    assert response.status_code == 422
    assert "年份须为数字" in response.get_data(as_text=True)
    assert policy.status_code == 422


def test_the_totals_sheet_downloads(client):
    bureau, _school, _other = _tree()
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")
    console_login(client, "finance")

    response = client.get(f"/console/units/{bureau.id}/totals.xlsx?year=2026")

    assert response.status_code == 200
    assert response.data[:2] == b"PK"


def test_the_unit_search_lists_only_units_within_reach(client):
    bureau, _school, _other = _tree()
    make_admin(FINANCE_ADMIN, unit=bureau, username="finance")
    console_login(client, "finance")

    page = client.get("/console/units?q=局").get_data(as_text=True)

    assert "某市财政局" in page
    assert "另一个局" not in page
