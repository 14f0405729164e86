"""Is the service fit to answer: the database reachable and its schema at the migrations' head."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from miniapp_api.transaction import roll_back_early

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@dataclass
class Health:
    database: str = "ok"  # ok, unreachable
    migrations: str = "head"  # head, behind (or not the head), unknown
    current: list[str] = field(default_factory=list)
    head: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.migrations == "head"

    def problems(self) -> list[str]:
        found = []
        if self.database != "ok":
            found.append("数据库无法连接")
        elif self.migrations == "unknown":
            found.append("数据库尚未迁移（缺少迁移版本记录），请运行 miniapp db upgrade")
        elif self.migrations != "head":
            found.append("数据库迁移不是最新版本，请运行 miniapp db upgrade")
        return found


@lru_cache(maxsize=1)
def migration_heads() -> tuple[str, ...]:
    """The head revision(s) of the migration scripts this code ships (read once per process)."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()))


def check_health(session: Session) -> Health:
    """One query: the revision(s) Alembic recorded, compared with the scripts' head."""
    health = Health(head=list(migration_heads()))
    try:
        health.current = sorted(session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        roll_back_early(session, "the health probe recovers from a statement that failed")
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            roll_back_early(session, "the health probe recovers from a statement that failed")
            health.database, health.migrations = "unreachable", "unknown"
            return health
        health.migrations = "unknown"
        return health
    if health.current != health.head:
        health.migrations = "behind" if health.current else "unknown"
    return health
