"""Voucher batches: a union orders, the platform records the payment, and the money counts once,
in the China-time year of the payment (DOMAIN.md rule 3)."""

from __future__ import annotations

from sqlalchemy import func, select

from miniapp_api.services.totals import unit_figures
from miniapp_api.services.units import merge_unit, revoke_unit
from models import AuditEntry, Entry, Voucher, VoucherBatch, db
from tests.factories import admin_headers, batch_codes, make_admin, make_batch, make_unit

BATCHES = "/api/v1/admin/voucher-batches"
ORDER = {
    "title": "2026年中秋福利提货券",
    "face_value": "200.00",
    "quantity": 5,
    "valid_from": "2026-09-01T00:00:00+08:00",
    "valid_until": "2027-03-01T00:00:00+08:00",
}


def _union_and_platform():
    unit = make_unit("郑州市公安局")
    union = make_admin("union_admin", unit=unit)
    platform = make_admin("platform_admin")
    return unit, admin_headers(union), admin_headers(platform)


def _create(client, union_headers, **changes) -> dict:
    response = client.post(BATCHES, json=ORDER | changes, headers=union_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _pay(client, platform_headers, batch_id: int, **changes):
    body = {"paid_at": "2026-08-20T15:00:00+08:00", "reference": "BANK-0001", "amount": "1000.00"}
    return client.post(
        f"{BATCHES}/{batch_id}/mark-paid", json=body | changes, headers=platform_headers
    )


def test_a_union_orders_a_batch_that_stays_unpaid_without_codes_or_counting(client):
    unit, union, _ = _union_and_platform()

    batch = _create(client, union)

    assert batch["status"] == "unpaid"
    assert batch["amount"] == "1000.00" and batch["unit"]["id"] == unit.id
    assert batch["figures"]["issued"] == 0
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_batch_orders_outside_the_limits_are_422_naming_the_fields(client):
    _, union, _ = _union_and_platform()

    response = client.post(
        BATCHES,
        json=ORDER
        | {"face_value": "0.99", "quantity": 100_001, "valid_until": "2026-08-01T00:00:00+08:00"},
        headers=union,
    )

    assert response.status_code == 422
    assert {"face_value", "quantity", "valid_until"} <= response.get_json()["error"][
        "details"
    ].keys()


def test_only_a_union_admin_orders_a_batch(client):
    _, _, platform = _union_and_platform()

    assert client.post(BATCHES, json=ORDER, headers=platform).status_code == 403


def test_the_union_of_a_merged_unit_orders_as_its_successor_not_as_itself(client):
    unit, union, _ = _union_and_platform()
    successor = make_unit("郑州市公共安全局")
    merge_unit(db.session, unit, successor, by=None)
    db.session.commit()

    response = client.post(BATCHES, json=ORDER, headers=union)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "unit_inactive"
    assert error["details"]["successor"]["id"] == successor.id
    assert db.session.scalar(select(func.count()).select_from(VoucherBatch)) == 0


def test_the_union_of_a_revoked_unit_orders_no_batch(client):
    unit, union, _ = _union_and_platform()
    revoke_unit(db.session, unit, by=None)
    db.session.commit()

    response = client.post(BATCHES, json=ORDER, headers=union)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "unit_inactive"
    assert db.session.scalar(select(func.count()).select_from(VoucherBatch)) == 0


def test_a_batch_ordered_before_its_unit_merged_counts_to_that_unit_when_paid(client):
    unit, union, platform = _union_and_platform()
    batch = _create(client, union)
    successor = make_unit("郑州市公共安全局")
    merge_unit(db.session, unit, successor, by=None)
    db.session.commit()

    assert _pay(client, platform, batch["id"]).status_code == 200

    entry = db.session.scalars(select(Entry)).one()
    assert entry.unit_id == unit.id and entry.amount == 1000_00


def test_payment_activates_the_batch_generates_its_codes_and_counts_it_as_union(client):
    unit, union, platform = _union_and_platform()
    batch = _create(client, union)

    response = _pay(client, platform, batch["id"])

    assert response.status_code == 200, response.get_json()
    paid = response.get_json()
    assert paid["status"] == "active" and paid["figures"]["issued"] == 5
    codes = batch_codes(db.session.get(VoucherBatch, batch["id"]))
    assert not any(code in response.get_data(as_text=True) for code in codes)
    entry = db.session.scalars(select(Entry)).one()
    assert (entry.source, entry.amount, entry.unit_id, entry.year) == (
        "union",
        100_000,
        unit.id,
        2026,
    )
    assert unit_figures(db.session, unit, 2026).own.union == 100_000


def test_a_payment_at_half_past_midnight_on_new_year_counts_in_the_new_year(client):
    unit, union, platform = _union_and_platform()
    batch = _create(client, union)

    # 2025-12-31T16:30Z is 00:30 on 1 January 2026 in China
    response = _pay(client, platform, batch["id"], paid_at="2025-12-31T16:30:00+00:00")

    assert response.status_code == 200, response.get_json()
    assert db.session.scalars(select(Entry.year)).one() == 2026
    assert unit_figures(db.session, unit, 2025).own.union == 0


def test_a_second_payment_is_409_invalid_state_and_counts_nothing(client):
    unit, union, platform = _union_and_platform()
    batch = _create(client, union)
    _pay(client, platform, batch["id"])

    again = _pay(client, platform, batch["id"])

    assert again.status_code == 409
    assert again.get_json()["error"] == {
        "code": "invalid_state",
        "message": again.get_json()["error"]["message"],
        "details": {"state": "active"},
    }
    assert unit_figures(db.session, unit, 2026).own.union == 100_000
    assert db.session.scalar(select(func.count()).select_from(Voucher)) == 5


def test_a_payment_of_the_wrong_amount_or_from_the_future_is_422(client):
    _, union, platform = _union_and_platform()
    batch = _create(client, union)

    wrong_amount = _pay(client, platform, batch["id"], amount="999.99")
    future = _pay(client, platform, batch["id"], paid_at="2999-01-01T00:00:00+08:00")

    assert wrong_amount.status_code == 422
    assert "amount" in wrong_amount.get_json()["error"]["details"]
    assert future.status_code == 422
    assert "paid_at" in future.get_json()["error"]["details"]
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_only_the_platform_marks_a_batch_paid(client):
    _, union, _ = _union_and_platform()
    batch = _create(client, union)

    assert _pay(client, union, batch["id"]).status_code == 403


def test_a_union_lists_only_its_own_batches_and_the_platform_lists_all(client):
    unit, union, platform = _union_and_platform()
    other_union = admin_headers(make_admin("union_admin", unit=make_unit("郑州市林业局")))
    mine = _create(client, union)
    theirs = _create(client, other_union)

    own = client.get(BATCHES, headers=union).get_json()["items"]
    every = client.get(BATCHES, headers=platform).get_json()["items"]

    assert [batch["id"] for batch in own] == [mine["id"]]
    assert [batch["id"] for batch in every] == [theirs["id"], mine["id"]]
    assert client.get(f"{BATCHES}/{theirs['id']}", headers=union).status_code == 404


def test_batch_creation_honours_the_idempotency_key(client):
    _, union, _ = _union_and_platform()
    headers = union | {"Idempotency-Key": "batch-2026-mid-autumn"}

    first = client.post(BATCHES, json=ORDER, headers=headers)
    again = client.post(BATCHES, json=ORDER, headers=headers)
    other_body = client.post(BATCHES, json=ORDER | {"quantity": 6}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert other_body.status_code == 422
    assert other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    assert len(client.get(BATCHES, headers=union).get_json()["items"]) == 1


def test_creating_and_paying_a_batch_leave_audit_rows(client):
    _, union, platform = _union_and_platform()
    batch = _create(client, union)
    _pay(client, platform, batch["id"])

    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()

    assert actions == ["voucher_batch.create", "voucher_batch.mark_paid"]


def test_the_batch_figures_follow_redemption_spending_and_voiding(client, login):
    from datetime import datetime

    from miniapp_api.services.voucher_spending import hold_vouchers
    from miniapp_api.transaction import unit_of_work
    from tests.factories import make_employee, redeemed_voucher

    unit = make_unit()
    union = make_admin("union_admin", unit=unit)
    batch = make_batch(unit, face_value=10_000, quantity=4)
    voucher = redeemed_voucher(make_employee(), batch, 0)
    with unit_of_work(db.session):
        hold_vouchers(
            db.session,
            employee_id=voucher.employee_id,
            voucher_ids=[voucher.id],
            due=2_500,
            order_id=1,
            now=datetime.fromisoformat("2026-06-02T10:00:00+08:00"),
        )
    client.post(
        "/api/v1/admin/vouchers/void",
        json={"code": batch_codes(batch)[1]},
        headers=admin_headers(union),
    )

    figures = client.get(f"{BATCHES}/{batch.id}", headers=admin_headers(union)).get_json()[
        "figures"
    ]

    assert figures == {
        "issued": 4,
        "redeemed": 1,
        "spent": "25.00",
        "outstanding": "75.00",
        "expired": 0,
        "voided": 1,
    }
