"""Security review finding 5: a crafted cursor is 422 `invalid_request`, never a 500."""

from __future__ import annotations

import pytest

from miniapp_api.paging import encode_cursor
from tests.factories import (
    admin_headers,
    employee_headers,
    make_admin,
    make_employee,
    make_product,
    make_unit,
)

CRAFTED = {
    "price_asc": [["price_asc", 1e30, 1], ["price_asc", 2**31, 1], ["price_asc", -1, 1]],
    "price_desc": [["price_desc", 10**20, 1]],
    "newest": [
        ["newest", "0001-01-01T00:00:00+14:00", 1],
        ["newest", "9999-12-31T23:59:59-14:00", 1],
        ["newest", "2026-01-01T00:00:00", 1],
    ],
    "sales": [["sales", 2**63, 1], ["sales", 1, 2**31]],
    "default": [["default", 2, 5, 1], ["default", True, 5, 1], ["default", 1, 5, -1]],
}


@pytest.mark.parametrize(
    "values", [v for cases in CRAFTED.values() for v in cases], ids=lambda v: str(v)[:40]
)
def test_finding_5_crafted_product_cursors_are_422(client, values):
    make_product()
    headers = employee_headers(make_employee())

    answer = client.get(
        "/api/v1/products",
        query_string={"sort": values[0], "cursor": encode_cursor(values)},
        headers=headers,
    )

    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"]["cursor"]


@pytest.mark.parametrize("after", [2**31, 2**63, 2**64, -1, 1.5, "1", None])
def test_finding_5_crafted_id_cursors_of_children_and_entries_are_422(client, after):
    unit = make_unit("某单位")
    headers = admin_headers(make_admin("platform_admin"))
    cursor = encode_cursor([after])

    for path in (
        f"/api/v1/admin/units/{unit.id}/children",
        f"/api/v1/admin/units/{unit.id}/entries",
    ):
        answer = client.get(path, query_string={"cursor": cursor, "year": 2026}, headers=headers)

        assert answer.status_code == 422, path
        assert answer.get_json()["error"]["code"] == "invalid_request"


def test_a_cursor_at_the_edge_of_the_id_range_is_a_last_page(client):
    unit = make_unit("某单位")
    headers = admin_headers(make_admin("platform_admin"))

    answer = client.get(
        f"/api/v1/admin/units/{unit.id}/entries",
        query_string={"cursor": encode_cursor([2**31 - 1]), "year": 2026},
        headers=headers,
    )

    assert answer.status_code == 200
