"""Sequences the ledger model test (test_ledger_model.py) found or aims at, kept as plain tests."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from models.admin import PLATFORM_ADMIN
from models.calendar import current_year
from tests.factories import admin_headers, credit_code, make_admin, make_unit
from tests.model.actions import _csv

IMPORT = "/api/v1/admin/entries/import"


def canteen_import(client, headers, rows: list[list[str]]):
    lines = [["credit_code", "order_no", "amount", "completed_at", "reverses_order_no"], *rows]
    return client.post(
        IMPORT,
        data={"file": (io.BytesIO(_csv(lines)), "canteen.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


def merge(client, headers, unit, into):
    response = client.post(
        f"/api/v1/admin/units/{unit.id}/merge", json={"into_unit_id": into.id}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


def own_canteen(client, headers, unit) -> str:
    url = f"/api/v1/admin/units/{unit.id}/totals?year={current_year()}"
    return client.get(url, headers=headers).get_json()["own"]["canteen"]


def test_a_refund_row_counts_where_its_order_counted_after_the_successor_merged_again(client):
    """Rule 4 with rule 8: an order named to a merged unit counted to its successor; that
    successor merged on later; the refund row names the same unit as its order and reverses
    in the successor that the order counted to."""
    platform = admin_headers(make_admin(PLATFORM_ADMIN))
    first, second, third = (
        make_unit(f"合并链单位{n}", credit_code=credit_code(700 + n)) for n in range(3)
    )
    merge(client, platform, first, second)
    now = datetime.now(UTC).isoformat()
    counted = canteen_import(client, platform, [[first.credit_code, "CT1", "80.00", now, ""]])
    merge(client, platform, second, third)

    later = datetime.now(UTC).isoformat()
    refund = canteen_import(client, platform, [[first.credit_code, "CT2", "-30.00", later, "CT1"]])

    assert counted.status_code == 200, counted.get_json()
    assert refund.status_code == 200, refund.get_json()
    assert own_canteen(client, platform, second) == "50.00"
    assert own_canteen(client, platform, third) == "0.00"
