"""The unit of work and the Idempotency-Key header over HTTP, on a small endpoint that writes
an audit row per call."""

from __future__ import annotations

import pytest
from flask import Flask, g, request
from flask_smorest import Blueprint
from sqlalchemy import func, select

from miniapp_api.auth import admin_required
from miniapp_api.errors import InvalidRequest
from miniapp_api.idempotency import idempotent
from miniapp_api.services.audit import record_admin_action
from models import AuditEntry, db
from models.admin import PLATFORM_ADMIN
from tests.conftest import app_config
from tests.factories import admin_headers, make_admin

blp = Blueprint("idempotency_probe", __name__, url_prefix="/probe")


@blp.route("", methods=["POST"])
@admin_required(PLATFORM_ADMIN)
@idempotent
def create_probe():
    body = request.get_json()
    if body.get("fail"):
        record_admin_action(db.session, g.admin, "unit.merge", target_type="probe")
        raise InvalidRequest(details={"fail": ["失败"]})
    entry = record_admin_action(
        db.session, g.admin, "unit.merge", target_type="probe", details=body
    )
    return {"id": entry.id}, 201


@pytest.fixture(scope="module")
def probe_app(fake_wechat, database_url) -> Flask:
    from miniapp_api import create_app

    app = create_app(app_config(fake_wechat, database_url))
    app.extensions["miniapp_api"].register_blueprint(blp)
    return app


@pytest.fixture
def probe(probe_app):
    with probe_app.app_context():
        yield probe_app.test_client()


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_the_same_key_and_body_answers_the_first_answer_and_does_the_work_once(probe):
    headers = admin_headers(make_admin(PLATFORM_ADMIN)) | {"Idempotency-Key": "abc-1"}

    first = probe.post("/probe", json={"n": 1}, headers=headers)
    second = probe.post("/probe", json={"n": 1}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert rows() == 1


def test_the_same_key_with_another_body_is_422(probe):
    headers = admin_headers(make_admin(PLATFORM_ADMIN)) | {"Idempotency-Key": "abc-2"}
    probe.post("/probe", json={"n": 1}, headers=headers)

    reused = probe.post("/probe", json={"n": 2}, headers=headers)

    assert reused.status_code == 422
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"
    assert rows() == 1


def test_failed_work_writes_nothing_and_frees_its_key(probe):
    headers = admin_headers(make_admin(PLATFORM_ADMIN)) | {"Idempotency-Key": "abc-3"}

    failed = probe.post("/probe", json={"fail": True}, headers=headers)
    retried = probe.post("/probe", json={"fail": True}, headers=headers)

    assert failed.status_code == retried.status_code == 422
    assert retried.get_json()["error"]["code"] == "invalid_request"
    assert rows() == 0


def test_a_request_that_raises_after_flushing_writes_nothing(probe):
    failed = probe.post(
        "/probe", json={"fail": True}, headers=admin_headers(make_admin(PLATFORM_ADMIN))
    )

    assert failed.status_code == 422
    assert rows() == 0


def test_without_the_header_every_call_does_the_work(probe):
    headers = admin_headers(make_admin(PLATFORM_ADMIN))

    probe.post("/probe", json={"n": 1}, headers=headers)
    probe.post("/probe", json={"n": 1}, headers=headers)

    assert rows() == 2


def test_a_malformed_key_is_422_naming_the_header(probe):
    headers = admin_headers(make_admin(PLATFORM_ADMIN)) | {"Idempotency-Key": "空格 key"}

    answer = probe.post("/probe", json={"n": 1}, headers=headers)

    assert answer.status_code == 422
    assert "Idempotency-Key" in answer.get_json()["error"]["details"]


def test_a_key_stored_for_an_account_is_not_replayed_to_a_new_account_with_the_same_id(probe):
    from sqlalchemy import delete

    from models import Admin

    first_admin = make_admin(PLATFORM_ADMIN, username="before")
    admin_id = first_admin.id
    first = probe.post(
        "/probe", json={"n": 1}, headers=admin_headers(first_admin) | {"Idempotency-Key": "k-1"}
    )
    db.session.execute(delete(AuditEntry))
    db.session.execute(delete(Admin))
    db.session.commit()
    newcomer = Admin(id=admin_id, username="after", password_hash="x", role=PLATFORM_ADMIN)
    db.session.add(newcomer)
    db.session.commit()

    second = probe.post(
        "/probe", json={"n": 1}, headers=admin_headers(newcomer) | {"Idempotency-Key": "k-1"}
    )

    assert first.status_code == second.status_code == 201
    assert rows() == 1  # the newcomer's own work was done, not the first answer replayed
