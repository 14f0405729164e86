"""Extensions, created unbound here and bound to the app in create_app().

The flask-smorest Api is made per app in create_app(): its OpenAPI spec belongs to one app.
"""

import functools
import logging
import math
import time
from collections.abc import Callable

from flask import Response, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_migrate import Migrate

from models.base import db


def client_address() -> str:
    # Behind a proxy, ProxyFix (configured in create_app) has already put the client in
    # remote_addr; we never trust X-Forwarded-For ourselves.
    return request.remote_addr or "unknown"


def seconds_until(reset_at: float) -> int:
    """Whole seconds until a limit's window resets (at least 1): the one figure both the
    `Retry-After` header and the `retry_after` detail carry."""
    return max(1, math.ceil(reset_at - time.time()))


def too_many_attempts(limit: RequestLimit) -> Response:
    """The answer past a limit on wrong guesses (passwords, voucher codes): 429
    `too_many_attempts` in the envelope, with Retry-After in seconds."""
    from miniapp_api.error_handlers import envelope

    retry_after = seconds_until(limit.reset_at)
    return envelope(
        "too_many_attempts",
        "尝试次数过多，请稍后再试",
        429,
        {"retry_after": retry_after},
        {"Retry-After": str(retry_after)},
    )


migrate = Migrate()
limiter = Limiter(key_func=client_address, default_limits=[])


def limit_wrong_guesses(
    setting: str,
    failed: Callable[[Response], bool],
    key_func: Callable[[], str] = client_address,
    on_breach: Callable[[RequestLimit], Response] = too_many_attempts,
) -> Callable[[Callable], Callable]:
    """Limit wrong guesses (admin passwords, voucher codes) to the app's `setting` (e.g.
    "10 per hour") per `key_func` (default: the client address). Only answers that `failed`
    calls wrong use the limit up; past it every attempt is 429 `too_many_attempts` with
    Retry-After (`on_breach` makes that answer: an HTML page for the console). Counts live
    in RATELIMIT_STORAGE_URI (Redis in production), so every worker
    shares them. Place it under the auth decorator when `key_func` reads the caller."""
    return limiter.limit(
        lambda: current_app.config[setting],
        key_func=key_func,
        deduct_when=failed,
        on_breach=on_breach,
    )


def shared_limits_required(view: Callable) -> Callable:
    """Fail closed for a guessing limit: while the limits' shared storage (Redis) does not
    answer, flask-limiter counts in each worker's memory (so that logins go on), which would
    multiply the guesses allowed by the number of workers; a view under this decorator answers
    503 `limits_unavailable` instead. Place it under the limit decorators."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if not _shared_storage_answers():
            from miniapp_api.errors import DomainError

            raise DomainError(
                "limits_unavailable",
                "服务暂时不可用，请稍后再试",
                status=503,
                headers={"Retry-After": "30"},
            )
        return view(*args, **kwargs)

    return checked


def _shared_storage_answers() -> bool:
    if str(current_app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        return True  # one process (tests, demo): its memory is the whole count
    try:
        answers = bool(limiter.storage.check())
    except Exception:  # noqa: BLE001 - a storage that cannot even be asked is down
        answers = False
    if not answers:
        logging.getLogger("miniapp.limits").warning("rate limit storage down: failing closed")
    return answers


__all__ = ["db", "limiter", "migrate"]
