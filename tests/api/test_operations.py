"""/healthz and /metrics: what an operator's proxy and Prometheus read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from miniapp_api import create_app
from miniapp_api.jobs import JOBS, Job, run_due_jobs
from miniapp_api.services.ledger import book_entry
from miniapp_api.transaction import unit_of_work
from models import db
from tests.conftest import app_config
from tests.factories import make_entry, make_unit

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_client(fake_wechat, database_url):
    app = create_app(app_config(fake_wechat, database_url, METRICS_TOKEN=TOKEN))
    return app.test_client()


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_healthz_is_ok_with_the_database_at_the_migrations_head(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "head"}


def test_healthz_is_503_naming_migrations_behind_the_head(client):
    with unit_of_work(db.session):
        head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    try:
        response = client.get("/healthz")
    finally:
        with unit_of_work(db.session):
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "unhealthy"
    assert error["details"]["migrations"] == "behind"
    assert error["details"]["current"] == ["0005"]
    assert "miniapp db upgrade" in error["message"]


def test_healthz_is_503_naming_an_unreachable_database(fake_wechat):
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2"
    app = create_app(app_config(fake_wechat, nowhere))

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["database"] == "unreachable"
    assert response.get_json()["error"]["message"] == "数据库无法连接"


def test_metrics_is_404_when_no_token_is_configured(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 404


def test_metrics_needs_the_token(metrics_client):
    missing = metrics_client.get("/metrics")
    wrong = metrics_client.get("/metrics", headers={"Authorization": "Bearer guess"})

    assert missing.status_code == wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "unauthenticated"


def test_metrics_count_requests_by_endpoint_and_status_with_latency(metrics_client):
    before = _sample(
        "miniapp_http_requests_total", endpoint="operations.healthz", method="GET", status="200"
    )
    metrics_client.get("/healthz")

    response = metrics_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "miniapp_http_request_duration_seconds_bucket" in body
    assert (
        _sample(
            "miniapp_http_requests_total", endpoint="operations.healthz", method="GET", status="200"
        )
        == before + 1
    )


def test_bookings_are_counted_by_source_once_committed():
    unit = make_unit()
    before = _sample("miniapp_ledger_bookings_total", source="canteen")

    make_entry(unit, 100, source="canteen")
    with pytest.raises(RuntimeError), unit_of_work(db.session):
        book_entry(
            db.session,
            unit_id=unit.id,
            source="canteen",
            amount=100,
            occurred_at=datetime.fromisoformat("2026-06-01T10:00:00+08:00"),
            reference="ROLLED-BACK",
        )
        raise RuntimeError("the change failed")

    assert _sample("miniapp_ledger_bookings_total", source="canteen") == before + 1


def test_job_runs_are_counted_by_outcome(monkeypatch):
    def broken(session, now):
        raise RuntimeError("boom")

    jobs = [*JOBS, Job("fine", lambda session, now: 0), Job("broken", broken)]
    monkeypatch.setattr("miniapp_api.jobs.JOBS", jobs)
    ok_before = _sample("miniapp_job_runs_total", job="fine", outcome="ok")
    failed_before = _sample("miniapp_job_runs_total", job="broken", outcome="failed")
    run_due_jobs(db.session, datetime.now(UTC))

    assert _sample("miniapp_job_runs_total", job="fine", outcome="ok") == ok_before + 1
    assert _sample("miniapp_job_runs_total", job="broken", outcome="failed") == failed_before + 1
