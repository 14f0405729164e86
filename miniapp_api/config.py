"""Configuration from the environment (API.md, "Configuration")."""

from __future__ import annotations

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
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "20 per minute"),
        # how long a worker serves a catalogue list again without asking the database (0: off)
        "CATALOG_CACHE_SECONDS": float(env("CATALOG_CACHE_SECONDS", "5")),
        # wrong admin passwords: per username from one address, and per address
        "ADMIN_LOGIN_FAILURE_LIMIT": env("ADMIN_LOGIN_FAILURE_LIMIT", "5 per 10 minutes"),
        "ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT": env(
            "ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT", "30 per 10 minutes"
        ),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "fixed-window",
        # a Redis outage must not take login down: limits fall back to each worker's memory
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


def check(config: dict[str, Any]) -> None:
    """Refuse to start with settings that would be unsafe in production."""
    relaxed = config.get("TESTING") or config.get("MINIAPP_ENV") in ("demo", "test")
    if not config.get("SECRET_KEY"):
        if not relaxed:
            raise ConfigurationError(
                "SECRET_KEY is not set: set the SECRET_KEY environment variable to a long random "
                "string (tokens are signed with it). Only `miniapp demo` and the tests run "
                "without it."
            )
        config["SECRET_KEY"] = "insecure-demo-and-test-key"
