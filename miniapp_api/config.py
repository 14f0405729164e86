"""Configuration from the environment (API.md, "Configuration")."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


class ConfigurationError(RuntimeError):
    """Start-up cannot go on: the message says which setting is missing or wrong."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def from_environment() -> dict[str, Any]:
    """Every setting the service reads, with its default."""
    env = os.environ.get
    database_url = env("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'miniapp.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = env("REDIS_URL") or None
    return {
        "MINIAPP_ENV": env("MINIAPP_ENV", "production"),
        "SECRET_KEY": env("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        # PostgreSQL's planner: a random read's price (miniapp_api/connections.py); "" keeps
        # the server's setting
        "PG_RANDOM_PAGE_COST": env("PG_RANDOM_PAGE_COST", "1.1"),
        "WECHAT_APPID": env("WECHAT_APPID", ""),
        "WECHAT_SECRET": env("WECHAT_SECRET", ""),
        "WECHAT_API_BASE": env("WECHAT_API_BASE", "https://api.weixin.qq.com/"),
        "WECHAT_TIMEOUT_SECONDS": float(env("WECHAT_TIMEOUT_SECONDS", "4")),
        "WECHAT_MCH_ID": env("WECHAT_MCH_ID", ""),
        "WECHAT_PAY_API_KEY": env("WECHAT_PAY_API_KEY", ""),
        "WECHAT_PAY_API_BASE": env("WECHAT_PAY_API_BASE", "https://api.mch.weixin.qq.com/"),
        "WECHAT_PAY_NOTIFY_URL": env("WECHAT_PAY_NOTIFY_URL", ""),
        # the merchant certificate refunds need (the fake WeChat does not check it)
        "WECHAT_PAY_CERT_FILE": env("WECHAT_PAY_CERT_FILE") or None,
        "WECHAT_PAY_KEY_FILE": env("WECHAT_PAY_KEY_FILE") or None,
        "WECHAT_PAY_TIMEOUT_SECONDS": float(env("WECHAT_PAY_TIMEOUT_SECONDS", "5")),
        "EMPLOYEE_TOKEN_TTL_SECONDS": _int("EMPLOYEE_TOKEN_TTL_SECONDS", 7 * 24 * 3600),
        "ADMIN_TOKEN_TTL_SECONDS": _int("ADMIN_TOKEN_TTL_SECONDS", 12 * 3600),
        "PAYMENT_TIMEOUT_MINUTES": _int("PAYMENT_TIMEOUT_MINUTES", 30),
        "AUTO_COMPLETE_DAYS": _int("AUTO_COMPLETE_DAYS", 10),
        # "outbox" (messages stay in the outbox only) or "package.module:factory" of a provider
        "SMS_SENDER": env("SMS_SENDER", "outbox"),
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "20 per minute"),
        # GET /metrics answers only with this bearer token, and is 404 without one
        "METRICS_TOKEN": env("METRICS_TOKEN") or None,
        # how long a worker serves a catalogue list again without asking the database (0: off)
        "CATALOG_CACHE_SECONDS": float(env("CATALOG_CACHE_SECONDS", "5")),
        # 1: the workers share those answers through Redis (REDIS_URL); off by default, see
        # docs/performance.md: on one 2-core host its round trips cost more than its hits save
        "CATALOG_SHARED_CACHE": env("CATALOG_SHARED_CACHE", "0") in ("1", "true", "yes"),
        # where in Redis: services sharing one Redis database each need their own
        "CATALOG_SHARED_CACHE_PREFIX": env("CATALOG_SHARED_CACHE_PREFIX", "miniapp:answers:"),
        # wrong admin passwords: per username from one address, and per address
        "ADMIN_LOGIN_FAILURE_LIMIT": env("ADMIN_LOGIN_FAILURE_LIMIT", "5 per 10 minutes"),
        "ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT": env(
            "ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT", "30 per 10 minutes"
        ),
        # the key behind voucher codes' keyed hashes and their encryption (at least 32 bytes)
        "VOUCHER_CODE_KEY": env("VOUCHER_CODE_KEY") or None,
        # wrong voucher codes: per employee, and per client address
        "VOUCHER_REDEEM_FAILURE_LIMIT": env("VOUCHER_REDEEM_FAILURE_LIMIT", "10 per hour"),
        "VOUCHER_REDEEM_ADDRESS_FAILURE_LIMIT": env(
            "VOUCHER_REDEEM_ADDRESS_FAILURE_LIMIT", "50 per hour"
        ),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # off: flask-limiter would rewrite Retry-After after our answer, one second off the
        # `retry_after` our 429 bodies carry; every 429 sets both itself (error_handlers.py)
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_STRATEGY": "fixed-window",
        # a Redis outage must not take login down: limits fall back to each worker's memory
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


ENVIRONMENTS = ("production", "demo", "test")
# The settings production must be given, and what each is for (the error says it).
KEY_SETTINGS = {
    "SECRET_KEY": "tokens are signed with it",
    "VOUCHER_CODE_KEY": "voucher codes are hashed and encrypted with it",
}
KEY_MIN_BYTES = 32
# Fixed, public keys: only ever used with MINIAPP_ENV=demo or test, and start-up says so.
DEMO_KEYS = {
    "SECRET_KEY": "insecure-demo-and-test-key-never-use-in-production",
    "VOUCHER_CODE_KEY": "insecure-demo-and-test-voucher-key-never-use-in-production",
}
log = logging.getLogger("miniapp.config")


def check(config: dict[str, Any]) -> None:
    """Refuse to start with settings that would be unsafe in production: in production (the
    default) SECRET_KEY and VOUCHER_CODE_KEY of at least 32 bytes and REDIS_URL are required.
    Only MINIAPP_ENV=demo or test fills missing keys with fixed demo keys (and logs a warning
    saying so) and lets the rate limits count in each worker's memory."""
    environment = config.get("MINIAPP_ENV")
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"MINIAPP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}"
        )
    relaxed = environment in ("demo", "test")
    for name, purpose in KEY_SETTINGS.items():
        value = config.get(name)
        if not value:
            if not relaxed:
                raise ConfigurationError(
                    f"{name} is not set: set the {name} environment variable to a random string "
                    f"of at least {KEY_MIN_BYTES} bytes ({purpose}). Only `miniapp demo` and "
                    "the tests run without it."
                )
            config[name] = DEMO_KEYS[name]
            log.warning(
                "MINIAPP_ENV=%s: using the fixed, public demo %s; never run production like this",
                environment,
                name,
            )
        elif not relaxed and len(str(value).encode()) < KEY_MIN_BYTES:
            raise ConfigurationError(
                f"{name} is too short: it must be at least {KEY_MIN_BYTES} bytes of random text "
                f"({purpose}); generate one with `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`"
            )
    if not relaxed and not config.get("REDIS_URL"):
        raise ConfigurationError(
            "REDIS_URL is not set: production needs Redis (redis://host:port/db) so that every "
            "worker counts the same login and guessing limits and shares the WeChat access "
            "token. Only `miniapp demo` and the tests run without it."
        )
