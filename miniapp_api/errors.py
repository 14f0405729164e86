"""Our own errors: a rule said no. Raised by services, which import no Flask; the HTTP
answer for each lives in miniapp_api.error_handlers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. Raised by services; the handler below answers it."""

    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(
        self,
        code: str | None = None,
        message: str | None = None,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code or self.code
        self.message = message or self.message
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(f"{self.code}: {self.message}")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "资源不存在"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "当前状态不允许该操作"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    message = "请先登录"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = "无权访问"


class InvalidRequest(DomainError):
    """A field is wrong in a way only the rules can tell (details name the field)."""

    status = 422
    code = "invalid_request"
    message = "请求参数有误"
