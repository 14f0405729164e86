"""Errors in the console are pages in Chinese (or, for an htmx request, a message in place),
never a stack trace or the API's JSON envelope."""

from __future__ import annotations

import logging

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from miniapp_api.console.blueprint import bp
from miniapp_api.errors import DomainError

log = logging.getLogger("miniapp.console")

_HTTP_MESSAGES = {
    400: "页面已过期或请求有误，请刷新页面后重试",
    403: "您的账号无权访问此页面",
    404: "页面不存在，或不在您的管理范围内",
    405: "不支持该操作",
    413: "上传的文件过大",
}


def error_page(message: str, status: int, reasons: list[str] | None = None):
    template = "error_fragment.html" if request.headers.get("HX-Request") else "error.html"
    page = render_template(template, message=message, status=status, reasons=reasons or [])
    return page, status


def field_messages(details: dict) -> list[str]:
    """The Chinese messages in an error's details (`{field: [message, ...]}`)."""
    messages: list[str] = []
    for value in details.values():
        if isinstance(value, list):
            messages.extend(str(item) for item in value if isinstance(item, str))
        elif isinstance(value, str):
            messages.append(value)
    return messages


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    return error_page(error.message, error.status, field_messages(error.details))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.response is not None:  # an answer made already (the login limit's page)
        return error.response
    status = error.code or 500
    return error_page(_HTTP_MESSAGES.get(status, "请求未能完成，请稍后再试"), status)


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    log.exception("console page failed")
    return error_page("系统繁忙，请稍后再试", 500)
