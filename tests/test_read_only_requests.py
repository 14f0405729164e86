"""Views marked @read_only: their reads run without BEGIN/COMMIT, and they cannot write; every
other request is still one transaction, committed or rolled back. Also the pool's ping of idle
connections and the rate limiter's per-request hook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, jsonify
from flask_limiter import Limiter
from sqlalchemy import func, select, text, update

from miniapp_api import _limit_only_where_limited, create_app
from miniapp_api.connections import ping_idle_connections
from miniapp_api.extensions import db
from miniapp_api.transaction import read_only
from models.supplier import Supplier
from tests.conftest import app_config


def _in_database_transaction() -> bool:
    connection = db.session.connection().connection.driver_connection
    if db.engine.dialect.name == "postgresql":
        from psycopg.pq import TransactionStatus

        return connection.info.transaction_status != TransactionStatus.IDLE
    return connection.in_transaction


@pytest.fixture
def reading_app(fake_wechat, database_url) -> Iterator[Flask]:
    app = create_app(app_config(fake_wechat, database_url))

    @app.get("/test/read-only")
    @read_only
    def reads():
        count = db.session.scalar(select(func.count()).select_from(Supplier))
        return jsonify(suppliers=count, in_transaction=_in_database_transaction())

    @app.get("/test/plain")
    def plain():
        db.session.scalar(select(func.count()).select_from(Supplier))
        return jsonify(in_transaction=_in_database_transaction())

    @app.get("/test/plain-writes")
    def plain_writes():
        db.session.add(Supplier(name="一个写入的 GET"))
        return jsonify(ok=True)

    @app.get("/test/read-only-adds")
    @read_only
    def adds():
        db.session.add(Supplier(name="不该写入"))
        db.session.flush()
        return jsonify(ok=True)

    @app.get("/test/read-only-updates")
    @read_only
    def updates():
        db.session.execute(update(Supplier).values(name="不该改"))
        return jsonify(ok=True)

    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _suppliers() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Supplier.name).order_by(Supplier.id)))


def test_a_read_only_view_reads_outside_a_database_transaction(reading_app):
    answer = reading_app.test_client().get("/test/read-only").get_json()

    assert answer == {"suppliers": 0, "in_transaction": False}


def test_any_other_get_still_reads_inside_a_transaction(reading_app):
    client = reading_app.test_client()
    client.get("/test/read-only")  # the pooled connection was lent without transactions

    assert client.get("/test/plain").get_json() == {"in_transaction": True}


def test_a_get_that_is_not_marked_read_only_still_commits_its_writes(reading_app):
    assert reading_app.test_client().get("/test/plain-writes").status_code == 200

    assert _suppliers() == ["一个写入的 GET"]


def test_a_read_only_view_that_adds_a_row_fails_and_writes_nothing(reading_app):
    response = reading_app.test_client().get("/test/read-only-adds")

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert _suppliers() == []


def test_a_read_only_view_that_updates_rows_fails_and_changes_nothing(reading_app):
    db.session.add(Supplier(name="原名"))
    db.session.commit()

    response = reading_app.test_client().get("/test/read-only-updates")

    assert response.status_code == 500
    assert _suppliers() == ["原名"]


def test_the_catalogue_reads_are_marked_read_only(app):
    for endpoint in ("catalog.read_categories", "catalog.read_products", "catalog.read_product"):
        assert app.view_functions[endpoint].read_only is True


def test_a_connection_idle_past_the_limit_is_pinged_and_replaced_when_dead(app, monkeypatch):
    from sqlalchemy import create_engine

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    ping_idle_connections(engine, idle_seconds=0)
    pings: list[str] = []

    def dead_once(dbapi_connection):
        pings.append("ping")
        if len(pings) == 1:
            raise ConnectionError("server closed the connection")
        return True

    with engine.connect() as connection:
        first = connection.connection.driver_connection
    monkeypatch.setattr(engine.dialect, "do_ping", dead_once)

    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        assert connection.connection.driver_connection is not first, "the dead one was replaced"
    assert pings == ["ping"], "a fresh connection is not pinged"
    engine.dispose()


def test_a_connection_back_from_use_a_moment_ago_is_not_pinged(app, monkeypatch):
    from sqlalchemy import create_engine

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    ping_idle_connections(engine, idle_seconds=60)
    pings: list[str] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda _c: pings.append("ping") or True)

    for _ in range(3):
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    assert pings == []
    engine.dispose()


def _limiter_app(limiter: Limiter) -> Flask:
    app = Flask("limits")
    limiter.init_app(app)

    @app.get("/open")
    def open_route():
        return "ok"

    _limit_only_where_limited(app, limiter)
    return app


def test_without_limits_for_every_route_the_limiter_checks_only_limited_views():
    limiter = Limiter(key_func=lambda: "k", default_limits=[], storage_uri="memory://")
    app = _limiter_app(limiter)

    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def test_a_default_limit_keeps_the_limiter_checking_every_route():
    limiter = Limiter(
        key_func=lambda: "k", default_limits=["2 per minute"], storage_uri="memory://"
    )
    app = _limiter_app(limiter)
    client = app.test_client()

    statuses = [client.get("/open").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_service_runs_without_the_limiters_per_request_hook(app):
    from miniapp_api.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def _random_page_cost(app: Flask) -> str:
    with app.app_context():
        value = db.session.execute(text("SHOW random_page_cost")).scalar_one()
        db.session.rollback()
        return value


def test_postgresql_connections_price_a_random_read_as_memory_does(fake_wechat, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL planner setting")

    ours = create_app(app_config(fake_wechat, database_url))
    servers = create_app(app_config(fake_wechat, database_url, PG_RANDOM_PAGE_COST=""))
    chosen = create_app(app_config(fake_wechat, database_url, PG_RANDOM_PAGE_COST="2"))

    assert _random_page_cost(ours) == "1.1"
    assert _random_page_cost(servers) == "4"  # PostgreSQL's default, left alone
    assert _random_page_cost(chosen) == "2"
    for app in (ours, servers, chosen):
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("cost", ["fast", "0", "-1"])
def test_a_bad_random_page_cost_stops_start_up_naming_it(fake_wechat, cost):
    from miniapp_api.config import ConfigurationError

    url = "postgresql+psycopg://postgres@127.0.0.1:5432/never-connected"
    with pytest.raises(ConfigurationError, match="PG_RANDOM_PAGE_COST"):
        create_app(app_config(fake_wechat, url, PG_RANDOM_PAGE_COST=cost))
