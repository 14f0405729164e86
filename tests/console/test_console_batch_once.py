"""Ordering a voucher batch from the console acts once per form: the form carries a one-time
key made when it is shown, and the server (the API's Idempotency-Key machinery) creates one
batch however often that form is sent; the same key with other values is refused clearly."""

from __future__ import annotations

from sqlalchemy import func, select, update

from miniapp_api.extensions import db
from models.admin import UNION_ADMIN
from models.idempotency import IN_PROGRESS, IdempotencyKey
from models.voucher import VoucherBatch
from tests.console.helpers import console_login, once_key_of, page_csrf
from tests.factories import make_admin, make_unit

NEW_BATCH = {
    "title": "中秋福利",
    "face_value": "100",
    "quantity": "3",
    "valid_from": "2026-09-01",
    "valid_last_day": "2026-12-31",
}


def _union_console(client, username: str = "union"):
    make_admin(UNION_ADMIN, unit=make_unit(f"{username}所在单位"), username=username)
    console = client.application.test_client()
    console_login(console, username)
    return console


def _form_key(console) -> str:
    return once_key_of(console.get("/console/batches/new").get_data(as_text=True))


def _send(console, fields: dict, key: str | None):
    token = page_csrf(console, "/console/login")
    data = {**fields, "csrf_token": token} | ({"idempotency_key": key} if key else {})
    return console.post("/console/batches", data=data)


def _batch_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(VoucherBatch))


def test_each_showing_of_the_form_carries_its_own_key(client):
    console = _union_console(client)

    assert _form_key(console) != _form_key(console)


def test_the_same_form_sent_twice_creates_one_batch_and_shows_it_the_second_time(client):
    console = _union_console(client)
    key = _form_key(console)

    first = _send(console, NEW_BATCH, key)
    second = _send(console, NEW_BATCH, key)

    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _batch_count() == 1
    page = console.get(second.headers["Location"]).get_data(as_text=True)
    assert "此表单已提交过，批次已创建，未重复创建" in page
    assert "中秋福利" in page


def test_the_same_key_with_other_values_is_refused_and_a_fresh_form_offered(client):
    console = _union_console(client)
    key = _form_key(console)
    _send(console, NEW_BATCH, key)

    changed = _send(console, {**NEW_BATCH, "quantity": "5"}, key)

    page = changed.get_data(as_text=True)
    assert changed.status_code == 422
    assert "此表单已提交过并已创建批次，这次的内容与第一次不同，未再创建" in page
    assert 'value="5"' in page  # what was typed stays
    fresh = once_key_of(page)
    assert fresh != key
    assert _batch_count() == 1
    assert _send(console, {**NEW_BATCH, "quantity": "5"}, fresh).status_code == 302
    assert _batch_count() == 2


def test_a_form_without_its_key_is_refused_and_offered_again(client):
    console = _union_console(client)

    missing = _send(console, NEW_BATCH, None)
    garbled = _send(console, NEW_BATCH, "not a key!")

    for response in (missing, garbled):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "页面已过期，请核对后重新提交" in page
        assert once_key_of(page)
        assert 'value="中秋福利"' in page
    assert _batch_count() == 0


def test_a_form_fixed_after_an_error_is_created_once_with_the_same_key(client):
    console = _union_console(client)
    key = _form_key(console)

    wrong = _send(console, {**NEW_BATCH, "face_value": "0.5"}, key)
    assert once_key_of(wrong.get_data(as_text=True)) == key  # nothing was created with it
    fixed = _send(console, NEW_BATCH, key)
    again = _send(console, NEW_BATCH, key)

    assert wrong.status_code == 422
    assert fixed.status_code == again.status_code == 302
    assert _batch_count() == 1


def test_a_second_send_while_the_first_is_still_running_creates_nothing(client):
    console = _union_console(client)
    key = _form_key(console)
    _send(console, NEW_BATCH, key)
    # as if the first submit were still being handled: its key claimed, no answer kept yet
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key)
        .values(state=IN_PROGRESS, response_status=None, response_body=None)
    )
    db.session.commit()

    response = _send(console, NEW_BATCH, key)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "此表单正在提交，请稍候再点一次" in page
    assert once_key_of(page) == key
    assert _batch_count() == 1


def test_keys_belong_to_their_admin(client):
    ours, theirs = _union_console(client, "union1"), _union_console(client, "union2")
    key = _form_key(ours)

    mine = _send(ours, NEW_BATCH, key)
    their = _send(theirs, NEW_BATCH, key)

    assert mine.headers["Location"] != their.headers["Location"]
    assert _batch_count() == 2
