"""Budget units (预算单位) as a tree, and employees' bindings to them.

The tree is a materialised path: each unit stores the ids from the root down to itself,
"1/5/23/". A subtree is then one range scan on an index, `path >= "1/5/" AND path < "1/50"`
(every descendant's path starts with "1/5/", and "/" sorts just before "0"), which stays fast
at 100,000 units and any depth, on SQLite and PostgreSQL alike, without recursion.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, and_, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, path_string, utcnow

BUDGET_LEVELS = ("central", "provincial", "municipal", "county", "township")
ACTIVE, MERGED, REVOKED = "active", "merged", "revoked"
UNIT_STATUSES = (ACTIVE, MERGED, REVOKED)


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # ids from the root down to this unit, each followed by "/"; set once the id is known
    path: Mapped[str] = mapped_column(path_string(255), default="", index=True)
    depth: Mapped[int] = mapped_column(default=0)
    budget_level: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_mobile: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE, index=True)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # rule 8: the moments of the merge and of the revocation (None while it has not happened)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="joined", innerjoin=False
    )
    successor: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[successor_id])

    def place_under(self, parent: Unit | None) -> None:
        """Set parent, path and depth; the unit must have its id (flush first)."""
        assert self.id is not None, "flush the unit before placing it in the tree"
        self.parent_id = parent.id if parent else None
        self.path = f"{parent.path if parent else ''}{self.id}/"
        self.depth = parent.depth + 1 if parent else 0

    def ancestor_ids(self) -> list[int]:
        """The ids from the root down to this unit's parent."""
        return [int(part) for part in self.path.split("/")[:-2]]

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    def active_successor(self) -> Unit | None:
        """Where a merged unit lives on (rule 8): its successor, followed through later
        merges to the end; None when that end is not active."""
        seen = {self.id}
        current = self.successor
        while current is not None and current.status == MERGED and current.successor is not None:
            if current.id in seen:  # a loop would be a data error; stop rather than spin
                return None
            seen.add(current.id)
            current = current.successor
        return current if current is not None and current.is_active else None

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name}>"


def subtree_condition(path: str, column=Unit.path):
    """Rows whose path lies in the subtree rooted at the unit with this `path` (itself included)."""
    return and_(column >= path, column < path[:-1] + "0")


def subtree_unit_ids(path: str):
    """A SELECT of the ids of the subtree rooted at `path` (for use as a subquery)."""
    return select(Unit.id).where(subtree_condition(path))


class UnitBinding(db.Model):
    """An employee bound to a unit from one moment until another (None: still bound).

    Kept as history: an order copies the unit bound when it is placed (rule 2), and a later
    rebinding moves nothing.
    """

    __tablename__ = "unit_bindings"
    __table_args__ = (
        # at most one binding in force per employee, even under concurrent requests
        Index(
            "uq_unit_bindings_current",
            "employee_id",
            unique=True,
            sqlite_where=text("bound_to IS NULL"),
            postgresql_where=text("bound_to IS NULL"),
        ),
        Index("ix_unit_bindings_employee_id", "employee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    bound_from: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    bound_to: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")
