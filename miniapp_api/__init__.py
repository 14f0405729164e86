"""The mini-program backend of the 832 platform: `create_app()` builds the Flask service."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from miniapp_api import config as settings
from miniapp_api.connections import planner_settings
from miniapp_api.request_parsing import use_service_parser
from miniapp_api.service_flask import ServiceFlask
from miniapp_api.transaction import begin_sqlite_transactions_ourselves

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_log = logging.getLogger("miniapp.request")
# before any blueprint module is imported: `@blp.arguments` binds the parser when it decorates
use_service_parser()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the service: configuration from the environment, then `config` on top."""
    app = ServiceFlask(__name__, instance_path=str(settings.INSTANCE_DIR))
    app.config.update(settings.from_environment())
    app.config.update(
        API_TITLE="832 mini-program API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # served from the installed swagger-ui-bundle: the docs work without the internet
        OPENAPI_SWAGGER_UI_URL="/api/docs/static/",
        # no ping on every checkout: miniapp_api/connections.py pings idle connections only
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False},
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.config.update(config or {})
    # Bound parameters (session keys, phone numbers, codes) never reach an error's text, whatever
    # the caller's engine options (miniapp_api.failures keeps the driver's own message out too).
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "hide_parameters": True,
    }
    planner_settings(app.config)
    # Chinese as UTF-8 text, fields in the order the schemas give them
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if app.config.get("REDIS_URL") and "RATELIMIT_STORAGE_URI" not in (config or {}):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    _configure_logging(app)
    settings.check(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]))  # type: ignore[method-assign]

    _bound_integer_urls(app)
    _bind_extensions(app)
    _register_request_id(app)
    _refuse_unstorable_text(app)
    _register_blueprints(app)
    _limit_only_where_limited(app)
    _serve_swagger_ui_assets(app)

    from miniapp_api.cli import register_commands

    register_commands(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Our lines at INFO on stderr, once: through the root handler when one exists already
    (pytest, Alembic's logging config), else through one we add there."""
    logging.getLogger("miniapp").setLevel(logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)


def _bound_integer_urls(app: Flask) -> None:
    """`<int:...>` in every route only matches ids that fit the id columns: a larger number
    is simply not found (404), never an overflow in the database driver."""
    from werkzeug.routing import IntegerConverter

    from miniapp_api.schemas.common import MAX_ID

    class IdConverter(IntegerConverter):
        def __init__(self, url_map, *args, **kwargs) -> None:
            kwargs.setdefault("max", MAX_ID)
            super().__init__(url_map, *args, **kwargs)

    app.url_map.converters["int"] = IdConverter


def _bind_extensions(app: Flask) -> None:
    import models  # noqa: F401  (registers every table on the metadata)
    from miniapp_api.config import PROJECT_ROOT
    from miniapp_api.connections import ping_idle_connections
    from miniapp_api.error_handlers import ServiceApi, register_error_handlers
    from miniapp_api.extensions import db, limiter, migrate
    from miniapp_api.response_cache import init_response_cache
    from miniapp_api.sms import sender_from_config
    from wx_client import WxClient
    from wx_client.pay import WeChatPayV2

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        settings.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine)
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    api = ServiceApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}
    )
    limiter.init_app(app)
    app.extensions["miniapp_api"] = api
    app.extensions["wx_client"] = app.config.get("WX_CLIENT") or WxClient.from_config(app.config)
    app.extensions["sms_sender"] = sender_from_config(app.config)
    app.extensions["wx_pay"] = app.config.get("WX_PAY") or WeChatPayV2.from_config(app.config)
    init_response_cache(app)
    register_error_handlers(app)


def _limit_only_where_limited(app: Flask, limiter: Any = None) -> None:
    """Flask-Limiter checks, before every request, the limits that apply to every route
    (default, application-wide and blueprint limits) and only then runs the view, whose own
    `@limiter.limit` checks itself when it is called. This service has no limits of the first
    kind, so that hook only costs time on every request: it is taken out while there are none
    (configure one, in code or by RATELIMIT_DEFAULT/APPLICATION/META, and it stays). This reads
    Flask-Limiter 4's internals; should they change shape, the hook simply stays."""
    if limiter is None:
        from miniapp_api.extensions import limiter
    manager = getattr(limiter, "limit_manager", None)
    hook = getattr(limiter, "_check_request_limit", None)
    everywhere = [
        getattr(manager, name, True)
        for name in ("default_limits", "application_limits", "_blueprint_limits")
    ]
    if hook is None or any(everywhere) or getattr(limiter, "_meta_limits", True):
        return
    if any(app.config.get(f"RATELIMIT_{kind}") for kind in ("DEFAULT", "APPLICATION", "META")):
        return
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [h for h in hooks if h != hook]


def _tune_sqlite(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver callback
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    begin_sqlite_transactions_ourselves(engine)


def _register_request_id(app: Flask) -> None:
    from miniapp_api.metrics import observe_request

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers[REQUEST_ID_HEADER] = request_id
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        observe_request(
            request.endpoint or "unmatched", request.method, response.status_code, elapsed
        )
        elapsed_ms = elapsed * 1000
        # The path only: query strings and bodies may carry codes that must not reach the log.
        request_log.info(
            "request_id=%s method=%s path=%s status=%s duration_ms=%.1f remote=%s",
            request_id,
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            request.remote_addr,
        )
        return response


def _unstorable(text: str) -> bool:
    """NUL (PostgreSQL cannot store or compare it) or a lone surrogate (`"\\ud800"` in JSON:
    not UTF-8 at all, the drivers cannot send it)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_unstorable_text(app: Flask) -> None:
    """Text no database can take (`_unstorable`) in the path, the query or a JSON body is 422
    `invalid_request` naming where, on every route, instead of a driver error and a 500; no
    field of ours has a use for it. (Uploaded files' cells are the importers' to check.)"""
    from miniapp_api.errors import InvalidRequest

    def first_unstorable(value: Any, where: str) -> str | None:
        if isinstance(value, str):
            return where if _unstorable(value) else None
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            return None
        for key, item in items:
            name = f"{where}.{key}" if where else str(key)
            if _unstorable(str(key)):
                return name
            if found := first_unstorable(item, name):
                return found
        return None

    @app.before_request
    def _check() -> None:
        found = (
            ("path" if _unstorable(request.path) else None)
            or first_unstorable({k: request.args.getlist(k) for k in request.args}, "")
            or (first_unstorable(request.get_json(silent=True), "") if request.is_json else None)
            or first_unstorable({k: request.form.getlist(k) for k in request.form}, "")
        )
        if found:
            raise InvalidRequest(details={found.split(".")[0] or "body": ["含有无法保存的字符"]})


def _serve_swagger_ui_assets(app: Flask) -> None:
    from flask import send_from_directory
    from swagger_ui_bundle import swagger_ui_path

    def swagger_ui_asset(filename: str):
        return send_from_directory(swagger_ui_path, filename)

    app.add_url_rule("/api/docs/static/<path:filename>", view_func=swagger_ui_asset)


def _register_blueprints(app: Flask) -> None:
    from miniapp_api.blueprints import BLUEPRINTS
    from miniapp_api.console import init_console
    from miniapp_api.health import blp as operations

    api = app.extensions["miniapp_api"]
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(operations)
    # the web console: the only place with a cookie session (the API has bearer tokens only)
    init_console(app)
