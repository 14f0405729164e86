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

Every rule about entries lives here, in `book_entries`, which every booking goes through: an
entry's year is the China year of its moment (rule 5); a reversal lands in the unit, year and
source of its original, never takes back more than is left of it (other reversals in the same
batch included), and is never itself reversed (rule 4; the check is services/reversals.py).

Locks, always in this order, so that bookings, moves and rebuilds never wait in a circle:
1. the originals a batch reverses, `FOR UPDATE` in id order (two refunds of one order queue
   here, and the second sees what the first took);
2. the booked units, `FOR SHARE` in id order, and their paths read after the lock: a move of
   the subtree (services/units.py `move_subtree`) locks those rows for update first, so it
   waits for bookings in flight, and bookings that come after it wait for it and then book
   under the new ancestors;
3. one totals slot for the whole transaction (`_totals_slot`): on PostgreSQL a transaction-level
   advisory lock, so two transactions never write the same totals row, however many bookings
   each makes and in whatever order. When every slot is taken, the next booker waits for one
   before touching any totals row.
On SQLite a writing transaction begins IMMEDIATE (miniapp_api/transaction.py), so bookings
are serialised and none of these locks is needed.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, NotFound
from miniapp_api.metrics import BOOKINGS, count_on_commit
from miniapp_api.services.dialect import dialect_insert
from miniapp_api.services.reversals import ReversalRefused as ReversalRefused  # re-exported
from miniapp_api.services.reversals import reversal_refusals
from models.base import utcnow
from models.calendar import CHINA, counting_year  # noqa: F401  (CHINA: re-exported)
from models.ledger import SOURCES, TOTAL_SLOTS, Entry, UnitTotal
from models.unit import Unit

MAX_REFERENCE_LENGTH = 64
_UPSERT_CHUNK = 500
_INSERT_CHUNK = 500
# advisory lock class (first key) of the totals slots; the tree lock is in services/units.py
_SLOT_LOCK_CLASS = 8320
_SLOT_KEY = "ledger_totals_slot"


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
    what is left of the original after earlier reversals; a reversal cannot be reversed.
    `book_entries` checks all of it, with the original locked."""
    _check(original.source, amount, occurred_at, reference)
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
    """Check, insert and count entries (rules 4, 5, 7); returns their ids in order.

    Every reversal is checked against its original, locked first (see the module docstring):
    ReversalRefused, carrying the batch `index` of the refused entry, when one breaks rule 4;
    nothing is written then. Entries go in by multi-row inserts (an import of many rows is a
    few statements), and each totals row changes once. Raises EntryDuplicate, leaving the
    caller to roll back, when a reference is booked already.
    """
    entries = list(entries)
    keys = [(entry.source, entry.reference) for entry in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("the same source and reference twice in one booking")
    _check_years(entries)
    refusals = reversal_refusals(session, entries)
    if refusals:
        raise refusals[min(refusals)]
    paths = _lock_units(session, {entry.unit.id for entry in entries})
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
        path_ids = [int(part) for part in paths[entry.unit.id].split("/")[:-1]]
        depth, unit_id = len(path_ids) - 1, entry.unit.id
        changes[(-depth, unit_id, entry.year, entry.source)][0] += entry.amount
        changes[(-depth, unit_id, entry.year, entry.source)][1] += entry.amount
        for ancestor_depth, ancestor_id in enumerate(path_ids[:-1]):
            changes[(-ancestor_depth, ancestor_id, entry.year, entry.source)][1] += entry.amount
    _add_to_totals(session, changes)
    for source, count in Counter(entry.source for entry in entries).items():
        count_on_commit(session, BOOKINGS, (source,), count)
    return ids


def _check_years(entries: list[NewEntry]) -> None:
    """Rule 5 for bookings, rule 4's sign for reversals: callers that pass anything else are
    wrong, not their users."""
    for entry in entries:
        reverses = entry.reverses_id is not None or entry.reverses_index is not None
        if reverses and entry.amount >= 0:
            raise ValueError(f"a reversal books a negative amount, got {entry.amount}")
        if not reverses and entry.amount <= 0:
            raise ValueError(f"an entry that reverses nothing must be positive: {entry.amount}")
        if not reverses and entry.year != counting_year(entry.occurred_at):
            raise ValueError(f"{entry.reference}: year {entry.year} is not its moment's year")


def _lock_units(session: Session, unit_ids: set[int]) -> dict[int, str]:
    """Lock the booked units FOR SHARE in id order and read their paths after the lock: a move
    of any of them waits for this transaction, or this one waits for the move (see above)."""
    paths: dict[int, str] = {}
    ordered = sorted(unit_ids)
    for start in range(0, len(ordered), _INSERT_CHUNK):
        chunk = ordered[start : start + _INSERT_CHUNK]
        rows = session.execute(
            select(Unit.id, Unit.path)
            .where(Unit.id.in_(chunk))
            .order_by(Unit.id)
            .with_for_update(read=True)
        )
        paths.update({id_: path for id_, path in rows})
    missing = set(ordered) - set(paths)
    if missing:
        raise NotFound("unit_not_found", "单位不存在", details={"unit_ids": sorted(missing)})
    return paths


def move_subtree_totals(
    session: Session, unit: Unit, old_ancestor_ids: list[int], new_ancestor_ids: list[int]
) -> None:
    """Rule 8: when `unit` moves under another superior, what its subtree counted leaves the
    subtree totals of the ancestors it leaves and joins those of the ancestors it gains. Every
    unit's own figures stay where they were earned. The caller holds the subtree's unit rows
    (services/units.py `move_subtree`), so no booking into it is in flight: the totals read
    here are final."""
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
        dialect_insert(session)(table)
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
    """Upsert each changed totals row, deepest unit first, in this transaction's slot."""
    if not changes:
        return
    slot = _totals_slot(session)
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
    insert = dialect_insert(session)
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


def _totals_slot(session: Session) -> int:
    """The totals slot this transaction writes in: on PostgreSQL one no other transaction holds
    (a transaction-level advisory lock), kept for every later booking of the transaction, so
    no two transactions ever write the same totals row and none can wait for another there.
    When every slot is held, wait for one (holding no totals row meanwhile)."""
    slots = list(range(TOTAL_SLOTS))
    random.shuffle(slots)
    if session.get_bind().dialect.name != "postgresql":
        return slots[0]  # SQLite: one writer at a time
    transaction = session.connection().get_transaction()  # this database transaction
    held = session.info.get(_SLOT_KEY)
    if held is not None and held[0] is transaction and held[1] in slots:
        slots.remove(held[1])
        slots.insert(0, held[1])  # re-taking a lock this transaction holds succeeds at once
    for slot in slots:
        if session.scalar(select(func.pg_try_advisory_xact_lock(_SLOT_LOCK_CLASS, slot))):
            session.info[_SLOT_KEY] = (transaction, slot)
            return slot
    session.execute(select(func.pg_advisory_xact_lock(_SLOT_LOCK_CLASS, slots[0])))
    session.info[_SLOT_KEY] = (transaction, slots[0])
    return slots[0]


def _check(source: str, amount: int, occurred_at: datetime, reference: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; one of {SOURCES}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be positive int fen, got {amount!r}")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must carry its offset")
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise ValueError(f"reference must be 1..{MAX_REFERENCE_LENGTH} characters")
