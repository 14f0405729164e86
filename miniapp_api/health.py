"""`GET /healthz` for the proxy and the orchestrator, `GET /metrics` for Prometheus: outside
/api/v1 and outside the OpenAPI document, as operators' endpoints."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request

from miniapp_api.error_handlers import envelope
from miniapp_api.errors import NotFound, Unauthenticated
from miniapp_api.extensions import db
from miniapp_api.metrics import CONTENT_TYPE, exposition
from miniapp_api.services.health import check_health

blp = Blueprint("operations", __name__)


@blp.get("/healthz")
def healthz():
    """200 `{status: ok, database: ok, migrations: head}`; 503 naming what is wrong."""
    health = check_health(db.session)
    if health.ok:
        return jsonify(status="ok", database="ok", migrations="head")
    return envelope(
        "unhealthy",
        "；".join(health.problems()),
        503,
        {
            "database": health.database,
            "migrations": health.migrations,
            "current": health.current,
            "head": health.head,
        },
    )


@blp.get("/metrics")
def metrics():
    """Prometheus text, for `Authorization: Bearer <METRICS_TOKEN>` only; 404 when no token
    is configured (the endpoint does not exist then)."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        raise NotFound()
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        raise Unauthenticated(
            "unauthenticated", "需要有效的监控令牌", details={"reason": "invalid_metrics_token"}
        )
    return Response(exposition(), mimetype=CONTENT_TYPE)
