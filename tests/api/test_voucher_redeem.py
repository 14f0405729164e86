"""Redeeming a code into the wallet: each wrong code gets its own answer, an unknown one always
the same, and wrong guesses are limited per employee and per client address."""

from __future__ import annotations

import pytest

from miniapp_api import create_app
from miniapp_api.extensions import limiter
from miniapp_api.services.voucher_codes import printed
from tests.conftest import app_config
from tests.factories import (
    batch_codes,
    employee_headers,
    make_batch,
    make_employee,
    make_unit,
    redeemed_voucher,
)

REDEEM = "/api/v1/vouchers/redeem"
WALLET = "/api/v1/me/vouchers"


@pytest.fixture
def batch():
    return make_batch(make_unit(), face_value=20_000, quantity=3)


def test_a_code_moves_its_voucher_into_the_wallet_with_only_the_last_four_shown(client, batch):
    code = batch_codes(batch)[0]
    headers = employee_headers(make_employee())

    response = client.post(REDEEM, json={"code": printed(code)}, headers=headers)

    assert response.status_code == 200, response.get_json()
    wallet = client.get(WALLET, headers=headers).get_json()["items"]
    assert len(wallet) == 1
    item = wallet[0]
    assert item["code"] == f"****-****-****-****-{code[-4:]}"
    assert code[:16] not in item["code"]
    assert (item["face_value"], item["balance"], item["status"]) == ("200.00", "200.00", "active")
    assert item["valid_until"] == "2027-01-01T00:00:00+08:00"


def test_case_spaces_and_dashes_do_not_matter(client, batch):
    code = batch_codes(batch)[0]
    typed = " " + " - ".join(printed(code).lower().split("-")) + " "

    response = client.post(REDEEM, json={"code": typed}, headers=employee_headers(make_employee()))

    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    "typed",
    ["ABCD-EFGH-JKMN-PQRS-TUVW", "short", "OOOO-IIII-LLLL-0000-1111", "x" * 80],
)
def test_an_unknown_code_gets_the_same_answer_however_it_is_wrong(client, batch, typed):
    response = client.post(REDEEM, json={"code": typed}, headers=employee_headers(make_employee()))

    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "voucher_not_found",
        "message": "提货券不存在",
        "details": {},
    }


def test_a_redeemed_code_is_409_voucher_already_redeemed(client, batch):
    redeemed_voucher(make_employee(), batch, 0)

    response = client.post(
        REDEEM, json={"code": batch_codes(batch)[0]}, headers=employee_headers(make_employee())
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "voucher_already_redeemed"


def test_a_voided_code_is_409_voucher_voided(client, batch):
    from models import Voucher, db

    db.session.get(Voucher, 1).status = "voided"
    db.session.commit()

    response = client.post(
        REDEEM, json={"code": batch_codes(batch)[0]}, headers=employee_headers(make_employee())
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "voucher_voided"


def test_an_expired_code_is_409_voucher_expired(client):
    batch = make_batch(
        make_unit(),
        valid_from="2025-01-01T00:00:00+08:00",
        valid_until="2026-01-01T00:00:00+08:00",
        paid_at="2024-12-01T10:00:00+08:00",
    )

    response = client.post(
        REDEEM, json={"code": batch_codes(batch)[0]}, headers=employee_headers(make_employee())
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "voucher_expired"


def test_a_code_before_its_window_is_422_voucher_not_yet_valid(client):
    batch = make_batch(
        make_unit(), valid_from="2099-01-01T00:00:00+08:00", valid_until="2100-01-01T00:00:00+08:00"
    )

    response = client.post(
        REDEEM, json={"code": batch_codes(batch)[0]}, headers=employee_headers(make_employee())
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "voucher_not_yet_valid"


def test_redemption_honours_the_idempotency_key(client, batch):
    headers = employee_headers(make_employee()) | {"Idempotency-Key": "redeem-1"}
    body = {"code": batch_codes(batch)[0]}

    first = client.post(REDEEM, json=body, headers=headers)
    again = client.post(REDEEM, json=body, headers=headers)

    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()


def _limited_client(fake_wechat, database_url, **limits):
    app = create_app(app_config(fake_wechat, database_url, **limits))
    limiter.reset()
    return app.test_client()


def test_wrong_codes_past_the_employee_limit_are_429_with_retry_after(
    fake_wechat, database_url, batch
):
    client = _limited_client(fake_wechat, database_url, VOUCHER_REDEEM_FAILURE_LIMIT="3 per hour")
    headers = employee_headers(make_employee())
    good = batch_codes(batch)[0]

    wrong = [
        client.post(REDEEM, json={"code": "WRONG"}, headers=headers).status_code for _ in range(3)
    ]
    limited = client.post(REDEEM, json={"code": good}, headers=headers)
    someone_else = client.post(
        REDEEM, json={"code": good}, headers=employee_headers(make_employee())
    )

    assert wrong == [404, 404, 404]
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "too_many_attempts"
    assert int(limited.headers["Retry-After"]) > 0
    assert someone_else.status_code == 200
    limiter.reset()


def test_wrong_codes_past_the_address_limit_are_429_for_every_employee_there(
    fake_wechat, database_url, batch
):
    client = _limited_client(
        fake_wechat, database_url, VOUCHER_REDEEM_ADDRESS_FAILURE_LIMIT="4 per hour"
    )
    for _ in range(2):
        headers = employee_headers(make_employee())
        for _ in range(2):
            client.post(REDEEM, json={"code": "WRONG"}, headers=headers)

    limited = client.post(
        REDEEM, json={"code": batch_codes(batch)[0]}, headers=employee_headers(make_employee())
    )

    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    limiter.reset()


def test_redeemed_or_expired_codes_do_not_use_up_the_guessing_limit(
    fake_wechat, database_url, batch
):
    client = _limited_client(fake_wechat, database_url, VOUCHER_REDEEM_FAILURE_LIMIT="2 per hour")
    headers = employee_headers(make_employee())
    client.post(REDEEM, json={"code": batch_codes(batch)[0]}, headers=headers)

    taken = [
        client.post(REDEEM, json={"code": batch_codes(batch)[0]}, headers=headers).status_code
        for _ in range(3)
    ]
    another = client.post(REDEEM, json={"code": batch_codes(batch)[1]}, headers=headers)

    assert taken == [409, 409, 409]
    assert another.status_code == 200
    limiter.reset()


def test_the_wallet_shows_used_up_and_expired_vouchers(client, batch):
    from datetime import datetime

    from models import db
    from models.voucher import Voucher

    employee = make_employee()
    used = redeemed_voucher(employee, batch, 0)
    old = redeemed_voucher(employee, batch, 1)
    db.session.get(Voucher, used.id).balance = 0
    db.session.get(Voucher, old.id).batch.valid_until = datetime.fromisoformat(
        "2026-06-02T00:00:00+08:00"
    )
    db.session.commit()

    items = client.get(WALLET, headers=employee_headers(employee)).get_json()["items"]

    assert {item["id"]: item["status"] for item in items} == {used.id: "used_up", old.id: "expired"}
