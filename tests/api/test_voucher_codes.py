"""Codes leave the service only in the union's own codes.xlsx; a union voids its own unredeemed
codes; another union can neither see, export nor void them."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from miniapp_api.services.voucher_codes import printed
from models import AuditEntry, Voucher, db
from tests.factories import (
    admin_headers,
    batch_codes,
    employee_headers,
    make_admin,
    make_batch,
    make_employee,
    make_unit,
    redeemed_voucher,
)

VOID = "/api/v1/admin/vouchers/void"


def _codes_sheet(client, batch_id: int, headers: dict):
    return client.get(f"/api/v1/admin/voucher-batches/{batch_id}/codes.xlsx", headers=headers)


def test_the_union_downloads_its_codes_printed_in_groups_of_four(client):
    unit = make_unit()
    batch = make_batch(unit, quantity=3)

    response = _codes_sheet(client, batch.id, admin_headers(make_admin("union_admin", unit=unit)))

    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("序号", "券码")
    assert [row[1] for row in rows[1:]] == [printed(code) for code in batch_codes(batch)]
    assert all(len(row[1]) == 24 and row[1].count("-") == 4 for row in rows[1:])


def test_an_unpaid_batch_has_no_codes_sheet(client):
    unit = make_unit()
    batch = make_batch(unit, paid_at=None)

    response = _codes_sheet(client, batch.id, admin_headers(make_admin("union_admin", unit=unit)))

    assert response.status_code == 409
    assert response.get_json()["error"]["details"] == {"state": "unpaid"}


def test_another_union_cannot_see_export_or_void_the_codes(client):
    batch = make_batch(make_unit("郑州市公安局"))
    stranger = admin_headers(make_admin("union_admin", unit=make_unit("郑州市林业局")))

    seen = client.get(f"/api/v1/admin/voucher-batches/{batch.id}", headers=stranger)
    exported = _codes_sheet(client, batch.id, stranger)
    voided = client.post(VOID, json={"code": batch_codes(batch)[0]}, headers=stranger)

    assert (seen.status_code, exported.status_code, voided.status_code) == (404, 404, 404)
    assert voided.get_json()["error"]["code"] == "voucher_not_found"
    assert db.session.get(Voucher, 1).status == "unredeemed"


def test_the_platform_sees_every_batch_but_cannot_export_codes(client):
    batch = make_batch(make_unit())
    platform = admin_headers(make_admin("platform_admin"))

    assert (
        client.get(f"/api/v1/admin/voucher-batches/{batch.id}", headers=platform).status_code == 200
    )
    assert _codes_sheet(client, batch.id, platform).status_code == 403


def test_a_union_voids_an_unredeemed_code_which_then_cannot_be_redeemed(client):
    unit = make_unit()
    batch = make_batch(unit)
    code = batch_codes(batch)[0]
    union = make_admin("union_admin", unit=unit)

    voided = client.post(VOID, json={"code": printed(code).lower()}, headers=admin_headers(union))

    assert voided.status_code == 200
    assert voided.get_json()["status"] == "voided"
    assert code not in voided.get_data(as_text=True)
    audit = db.session.scalars(select(AuditEntry)).one()
    assert audit.action == "voucher.void" and code not in str(audit.details)
    redeem = client.post(
        "/api/v1/vouchers/redeem", json={"code": code}, headers=employee_headers(make_employee())
    )
    assert redeem.get_json()["error"]["code"] == "voucher_voided"


def test_a_redeemed_code_cannot_be_voided(client):
    unit = make_unit()
    batch = make_batch(unit)
    redeemed_voucher(make_employee(), batch, 0)

    response = client.post(
        VOID,
        json={"code": batch_codes(batch)[0]},
        headers=admin_headers(make_admin("union_admin", unit=unit)),
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "invalid_state",
        "message": "只能作废未领取的提货券",
        "details": {"state": "redeemed"},
    }
