"""The declarative base, the Flask-SQLAlchemy handle and the column types every model shares."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def new_token_key() -> str:
    """A random key for an account's tokens (miniapp_api.auth): made once with the row, never
    reused, so that a token cannot name whoever later gets the same id."""
    import secrets

    return secrets.token_hex(16)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A moment in time: stored as UTC, always read back timezone-aware.

    SQLite has no timezone-aware type; storing naive UTC there and aware values on PostgreSQL
    keeps comparisons and ordering identical on both.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def path_string(length: int) -> String:
    """A string column compared byte by byte (materialised paths, codes used in range scans).

    PostgreSQL's default collation may ignore punctuation when sorting; "C" keeps a prefix
    range scan on a btree index exact. SQLite compares bytes already.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")
