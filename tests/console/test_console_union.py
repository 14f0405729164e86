"""Union and platform pages for voucher batches: order one, the platform marks it paid, the
union downloads the codes and voids one; the profile and progress; each within its reach."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from miniapp_api.extensions import db
from miniapp_api.services.units import merge_unit
from models.admin import PLATFORM_ADMIN, UNION_ADMIN
from models.calendar import CHINA
from models.voucher import Voucher, VoucherBatch
from tests.console.helpers import console_login, once_key_of, page_csrf
from tests.factories import batch_codes, make_admin, make_batch, make_unit


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": page_csrf(client, "/console/login")})


def _order_batch(client, fields: dict):
    """Open the order form and send it with its one-time key, as a browser does."""
    key = once_key_of(client.get("/console/batches/new").get_data(as_text=True))
    return _post(client, "/console/batches", {**fields, "idempotency_key": key})


def _union(username: str = "union"):
    unit = make_unit("某某区总工会")
    make_admin(UNION_ADMIN, unit=unit, username=username)
    return unit


NEW_BATCH = {
    "title": "中秋福利",
    "face_value": "100",
    "quantity": "3",
    "valid_from": "2026-09-01",
    "valid_last_day": "2026-12-31",
}


def test_a_union_orders_a_batch_that_waits_for_payment(client):
    _union()
    console_login(client, "union")

    response = _order_batch(client, NEW_BATCH)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    batch = db.session.scalars(select(VoucherBatch)).one()
    assert "待付款" in page
    assert batch.valid_until == datetime(2027, 1, 1, tzinfo=CHINA)


def test_a_bad_batch_is_named_field_by_field(client):
    _union()
    console_login(client, "union")

    response = _order_batch(
        client, {**NEW_BATCH, "face_value": "0.5", "valid_last_day": "2026-08-01", "title": ""}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "面值须在 1.00 至 10000.00 元之间" in page
    assert 'data-error-for="title">缺少必填字段' in page
    assert 'value="0.5"' in page  # what was typed stays


def test_the_union_of_a_merged_unit_is_told_to_order_as_the_successor(client):
    unit = _union()
    merge_unit(db.session, unit, make_unit("合并后的单位"), by=None)
    db.session.commit()
    console_login(client, "union")

    response = _order_batch(client, NEW_BATCH)

    assert response.status_code == 409
    assert "本单位已合并，请由合并后单位的工会订购提货券" in response.get_data(as_text=True)
    assert db.session.scalars(select(VoucherBatch)).all() == []


def test_the_platform_marks_a_batch_paid_and_a_wrong_amount_is_named(app, client):
    unit = _union()
    batch = make_batch(unit, paid_at=None, face_value=10_000, quantity=3)
    make_admin(PLATFORM_ADMIN, username="root")
    console_login(client, "root")
    paid_at = (datetime.now(CHINA) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    path = f"/console/batches/{batch.id}/mark-paid"

    wrong = _post(client, path, {"paid_at": paid_at, "reference": "BANK-1", "amount": "299"})
    right = _post(client, path, {"paid_at": paid_at, "reference": "BANK-1", "amount": "300.00"})

    assert wrong.status_code == 422
    assert "付款金额须等于面值 × 数量：300.00" in wrong.get_data(as_text=True)
    assert right.status_code == 302
    assert "已生效" in client.get(right.headers["Location"]).get_data(as_text=True)


def test_the_union_downloads_the_codes_of_an_active_batch(client):
    unit = _union()
    batch = make_batch(unit)
    console_login(client, "union")

    response = client.get(f"/console/batches/{batch.id}/codes.xlsx")

    assert response.status_code == 200
    assert response.data[:2] == b"PK"


def test_a_union_voids_a_code_and_a_wrong_code_is_said_beside_the_field(client):
    unit = _union()
    batch = make_batch(unit)
    code = batch_codes(batch)[0]
    console_login(client, "union")

    wrong = _post(client, "/console/vouchers/void", {"code": "NOPE-NOPE"})
    right = _post(client, "/console/vouchers/void", {"code": code})

    assert wrong.status_code == 404
    assert 'data-error-for="code">提货券不存在' in wrong.get_data(as_text=True)
    assert right.status_code == 302
    statuses = db.session.scalars(select(Voucher.status).order_by(Voucher.id)).all()
    assert statuses[0] == "voided"


def test_another_unions_batch_is_not_found(client):
    mine = _union()
    other = make_unit("别的工会")
    theirs = make_batch(other)
    make_batch(mine)
    console_login(client, "union")

    assert client.get(f"/console/batches/{theirs.id}").status_code == 404
    assert "别的工会" not in client.get("/console/union").get_data(as_text=True)


def test_the_union_profile_sets_the_targets(client):
    _union()
    console_login(client, "union")

    _post(client, "/console/union/profile", {"member_count": "100", "welfare_total": "200000"})
    bad = _post(client, "/console/union/profile", {"member_count": "-1", "welfare_total": "x"})

    page = client.get("/console/union?year=2026").get_data(as_text=True)
    assert "30000.00" in page  # 300.00 × 100 members
    assert bad.status_code == 422
    assert '"member_count">须不小于 0 且不大于 10000000' in bad.get_data(as_text=True)


def test_a_union_admin_has_no_platform_page(client):
    unit = _union()
    batch = make_batch(unit, paid_at=None)
    console_login(client, "union")

    response = _post(client, f"/console/batches/{batch.id}/mark-paid", {"amount": "300"})

    assert response.status_code == 403
