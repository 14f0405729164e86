"""Booking counted amounts: the only code that writes entries and totals (DOMAIN.md rules 4-7).

`book_entry` and `book_reversal` add one entry and, in the same transaction, add its amount to
the totals of its unit and of every unit above it. They flush but never commit: the caller's
transaction (an order completing, a voucher batch being paid, an import) commits the entry,
the totals and its own change together, or none of them.

Idempotency: an entry is keyed by (source, reference). Booking a reference that is already
booked raises `EntryDuplicate` (409 `entry_duplicate`) carrying the entry that is there, and
changes nothing, even when two transactions race (the insert is `ON CONFLICT DO NOTHING`, so
the loser waits for the winner's commit and then sees the row). A caller that may run twice
(a retried job, a duplicated payment notification) can either look first with
`find_entry(session, source, reference)` or catch `EntryDuplicate` and carry on.

Lock order: the totals rows a booking adds to are written deepest unit first, root last, so two
transactions never wait for each other in a circle, and the most shared row (the root's) is
held only for the moment before commit.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, NotFound
from miniapp_api.metrics import BOOKINGS, count_on_commit
from models.base import utcnow
from models.calendar import CHINA, counting_year  # noqa: F401  (CHINA: re-exported)
from models.ledger import SOURCES, TOTAL_SLOTS, Entry, UnitTotal
from models.unit import Unit

MAX_REFERENCE_LENGTH = 64
_UPSERT_CHUNK = 500
_INSERT_CHUNK = 500


class EntryDuplicate(Conflict):
    """This source and reference are booked already; `existing` is the entry that counts."""

    code = "entry_duplicate"
    message = "该笔金额已经计入，不能重复计入"

    def __init__(self, existing: Entry) -> None:
        self.existing = existing
        super().__init__(
            details={
                "entry_id": existing.id,
                "source": existing.source,
                "reference": existing.reference,
            }
        )


class ReversalRefused(Conflict):
    code = "reversal_refused"
    message = "冲销金额超过原入账金额的剩余部分"


@dataclass(frozen=True)
class NewEntry:
    """An entry about to be booked, already checked."""

    unit: Unit
    year: int
    source: str
    amount: int
    occurred_at: datetime
    reference: str
    employee_id: int | None = None
    reverses_id: int | None = None
    # an import's reversal of an entry booked earlier in the same batch: that entry's index
    reverses_index: int | None = None


def find_entry(session: Session, source: str, reference: str) -> Entry | None:
    """The entry booked for this source and reference, if any."""
    return session.scalars(
        select(Entry).where(Entry.source == source, Entry.reference == reference)
    ).one_or_none()


def book_entry(
    session: Session,
    *,
    unit_id: int,
    source: str,
    amount: int,
    occurred_at: datetime,
    reference: str,
    employee_id: int | None = None,
) -> Entry:
    """Count `amount` fen (positive) to a unit in the year of `occurred_at` (rules 5, 6, 7).

    Raises EntryDuplicate when (source, reference) is booked already, NotFound for an unknown
    unit, and ValueError for amounts or moments no caller should pass (zero, negative, naive).
    """
    _check(source, amount, occurred_at, reference)
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found", "单位不存在")
    entry = NewEntry(
        unit=unit,
        year=counting_year(occurred_at),
        source=source,
        amount=amount,
        occurred_at=occurred_at,
        reference=reference,
        employee_id=employee_id,
    )
    (entry_id,) = book_entries(session, [entry])
    return session.get(Entry, entry_id)  # type: ignore[return-value]


def book_reversal(
    session: Session, original: Entry, *, amount: int, occurred_at: datetime, reference: str
) -> Entry:
    """Reverse `amount` fen (positive; booked negative) of `original` (rule 4): same unit,
    same year and same source as the entry it reverses, whenever the refund happens. At most
    what is left of the original after earlier reversals; a reversal cannot be reversed."""
    _check(original.source, amount, occurred_at, reference)
    # Lock the original so that two refunds of one order cannot both take the last yuan.
    original = session.scalars(
        select(Entry)
        .where(Entry.id == original.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if original.reverses_id is not None or original.amount <= 0:
        raise ReversalRefused(
            "entry_not_reversible", "冲销记录不能再被冲销", details={"entry_id": original.id}
        )
    remaining = original.amount + reversed_amount(session, original.id)
    if amount > remaining:
        raise ReversalRefused(
            details={"entry_id": original.id, "remaining": remaining, "amount": amount}
        )
    reversal = NewEntry(
        unit=session.get(Unit, original.unit_id),  # type: ignore[arg-type]
        year=original.year,
        source=original.source,
        amount=-amount,
        occurred_at=occurred_at,
        reference=reference,
        employee_id=original.employee_id,
        reverses_id=original.id,
    )
    (entry_id,) = book_entries(session, [reversal])
    return session.get(Entry, entry_id)  # type: ignore[return-value]


def reversed_amount(session: Session, entry_id: int) -> int:
    """The (negative) sum of every reversal of an entry so far."""
    return session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(Entry.reverses_id == entry_id)
    )


def book_entries(session: Session, entries: Iterable[NewEntry]) -> list[int]:
    """Insert checked entries and add them to the totals; returns their ids in order.

    Entries go in by multi-row inserts (an import of many rows is a few statements), and each
    totals row changes once, in the lock order. Raises EntryDuplicate, leaving the caller to
    roll back, when a reference is booked already.
    """
    entries = list(entries)
    keys = [(entry.source, entry.reference) for entry in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("the same source and reference twice in one booking")
    ids: list[int] = []
    chunk: list[NewEntry] = []
    for entry in entries:
        # a reversal of an entry in this chunk needs that entry's id: close the chunk first
        starts_new = entry.reverses_index is not None and entry.reverses_index >= len(ids)
        if len(chunk) >= _INSERT_CHUNK or (chunk and starts_new):
            ids.extend(_insert_entries(session, chunk, ids))
            chunk = []
        chunk.append(entry)
    if chunk:
        ids.extend(_insert_entries(session, chunk, ids))

    changes: dict[tuple[int, int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        depth, unit_id = entry.unit.depth, entry.unit.id
        changes[(-depth, unit_id, entry.year, entry.source)][0] += entry.amount
        changes[(-depth, unit_id, entry.year, entry.source)][1] += entry.amount
        for ancestor_depth, ancestor_id in enumerate(entry.unit.ancestor_ids()):
            changes[(-ancestor_depth, ancestor_id, entry.year, entry.source)][1] += entry.amount
    _add_to_totals(session, changes)
    for source, count in Counter(entry.source for entry in entries).items():
        count_on_commit(session, BOOKINGS, (source,), count)
    return ids


def move_subtree_totals(
    session: Session, unit: Unit, old_ancestor_ids: list[int], new_ancestor_ids: list[int]
) -> None:
    """Rule 8: when `unit` moves under another superior, what its subtree counted leaves the
    subtree totals of the ancestors it leaves and joins those of the ancestors it gains. Every
    unit's own figures stay where they were earned."""
    moved = session.execute(
        select(UnitTotal.year, UnitTotal.source, func.sum(UnitTotal.subtree_amount))
        .where(UnitTotal.unit_id == unit.id)
        .group_by(UnitTotal.year, UnitTotal.source)
    ).all()
    changes: dict[tuple[int, int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for year, source, amount in moved:
        for sign, ancestors in ((-1, old_ancestor_ids), (1, new_ancestor_ids)):
            for depth, ancestor_id in enumerate(ancestors):
                changes[(-depth, ancestor_id, year, source)][1] += sign * int(amount)
    _add_to_totals(session, {key: change for key, change in changes.items() if change[1]})


def _insert_entries(session: Session, chunk: list[NewEntry], earlier_ids: list[int]) -> list[int]:
    """One INSERT .. ON CONFLICT DO NOTHING for the chunk; the ids in the chunk's order."""
    table = Entry.__table__
    rows = [
        {
            "unit_id": entry.unit.id,
            "year": entry.year,
            "source": entry.source,
            "amount": entry.amount,
            "reference": entry.reference,
            "occurred_at": entry.occurred_at,
            "reverses_id": entry.reverses_id
            if entry.reverses_index is None
            else earlier_ids[entry.reverses_index],
            "employee_id": entry.employee_id,
            "created_at": utcnow(),
        }
        for entry in chunk
    ]
    statement = (
        _dialect_insert(session)(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["source", "reference"])
        .returning(table.c.id, table.c.source, table.c.reference)
    )
    inserted = {(source, reference): id_ for id_, source, reference in session.execute(statement)}
    for entry in chunk:
        if (entry.source, entry.reference) not in inserted:
            raise EntryDuplicate(find_entry(session, entry.source, entry.reference))  # type: ignore[arg-type]
    return [inserted[(entry.source, entry.reference)] for entry in chunk]


def _add_to_totals(session: Session, changes: dict[tuple[int, int, int, str], list[int]]) -> None:
    """Upsert each changed totals row, deepest unit first (the lock order), in one slot."""
    slot = random.randrange(TOTAL_SLOTS)
    rows = [
        {
            "unit_id": unit_id,
            "year": year,
            "source": source,
            "slot": slot,
            "own_amount": own,
            "subtree_amount": subtree,
        }
        for (_, unit_id, year, source), (own, subtree) in sorted(changes.items())
    ]
    table = UnitTotal.__table__
    insert = _dialect_insert(session)
    for start in range(0, len(rows), _UPSERT_CHUNK):
        statement = insert(table).values(rows[start : start + _UPSERT_CHUNK])
        statement = statement.on_conflict_do_update(
            index_elements=["unit_id", "year", "source", "slot"],
            set_={
                "own_amount": table.c.own_amount + statement.excluded.own_amount,
                "subtree_amount": table.c.subtree_amount + statement.excluded.subtree_amount,
            },
        )
        session.execute(statement)


def _dialect_insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"the ledger needs PostgreSQL or SQLite, not {name}")


def _check(source: str, amount: int, occurred_at: datetime, reference: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; one of {SOURCES}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be positive int fen, got {amount!r}")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must carry its offset")
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise ValueError(f"reference must be 1..{MAX_REFERENCE_LENGTH} characters")
