"""The one place that turns every error into API.md's envelope:

{"error": {"code": "voucher_not_found", "message": "提货券不存在", "details": {...}}}
"""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Flask, g, jsonify
from flask_smorest import Api
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from miniapp_api.errors import DomainError
from miniapp_api.failures import log_failure
from wx_client import WxError

log = logging.getLogger("miniapp.errors")


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "stable English code"})
    message = ma.fields.String(required=True, metadata={"description": "Chinese, fit to show"})
    details = ma.fields.Dict(metadata={"description": "bad fields and other particulars"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求有误"),
    401: ("unauthenticated", "请先登录"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "当前状态不允许该操作"),
    413: ("payload_too_large", "上传内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("invalid_request", "请求参数有误"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
}


def envelope(
    code: str, message: str, status: int, details: dict | None = None, headers: dict | None = None
):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors under their location ("json", "query", ...); clients want fields."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, problems in fields.items():
                key = name if name != "_schema" else location
                flat[key] = problems
        else:
            flat[location] = fields
    return flat


def _rate_limit_particulars(error: HTTPException) -> tuple[dict, dict]:
    """The limit that was hit, and when to try again: `retry_after` in the details and the
    `Retry-After` header are the same number of seconds (flask-limiter's own headers are
    off, see config.py, so nothing rewrites the header afterwards)."""
    from miniapp_api.extensions import limiter, seconds_until

    details: dict[str, Any] = {}
    current = limiter.current_limit
    if current is None:
        return details, {}
    details["limit"] = _limit_in_words(current.limit)
    details["retry_after"] = seconds_until(current.reset_at)
    return details, {"Retry-After": str(details["retry_after"])}


_UNITS = {
    "second": "秒",
    "minute": "分钟",
    "hour": "小时",
    "day": "天",
    "month": "月",
    "year": "年",
}


def _limit_in_words(item: Any) -> str:
    """`5 per 10 minutes` as a person reads it: 每10分钟最多5次."""
    unit = _UNITS.get(item.GRANULARITY.name, item.GRANULARITY.name)
    every = f"{item.multiples}{unit}" if item.multiples != 1 else unit
    return f"每{every}最多{item.amount}次"


class ServiceApi(Api):
    """flask-smorest's Api, answering every HTTP error in our envelope."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        status = error.code or 500
        if status == 429 and getattr(error, "response", None) is not None:
            return error.response  # a limit's own answer (too_many_attempts), enveloped
        code, message = _HTTP_CODES.get(status, ("http_error", "请求失败"))
        details: dict[str, Any] = {}
        headers: dict[str, str] = {}
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        if messages:
            details = _flatten_locations(messages)
            if status == 400 and "json" in messages:
                code, message = "invalid_json", "请求体不是合法的 JSON"
        if status == 429:
            details, limit_headers = _rate_limit_particulars(error)
            headers.update(limit_headers)
        valid_methods = getattr(error, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        headers.update(data.get("headers") or {})
        return envelope(code, message, status, details, headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return envelope(error.code, error.message, error.status, error.details, error.headers)

    @app.errorhandler(WxError)
    def _wechat_error(error: WxError):
        return envelope(error.code, error.message, error.status, error.details)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return app.extensions["miniapp_api"].handle_http_exception(error)
        request_id = g.get("request_id", "")
        log_failure(log, "unhandled error request_id=%s", request_id, error=error)
        if isinstance(error, OperationalError):
            # the database went away mid-request, or a deadlock was lost twice: nothing was
            # written (the unit of work rolled back), and asking again may well work
            return envelope(
                "service_unavailable",
                "服务繁忙，请稍后再试",
                503,
                {"request_id": request_id},
                {"Retry-After": "1"},
            )
        return envelope(
            "internal_error",
            "服务器开小差了，请稍后再试",
            500,
            {"request_id": request_id},
        )
