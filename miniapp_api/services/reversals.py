"""Rule 4 for the ledger: a reversal lands in the unit, year and source of its original, never
takes back more than is left of it, and is never itself reversed. Checked with the originals
locked; `services/ledger.py` `book_entries` refuses any batch this module refuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict
from models.ledger import Entry

if TYPE_CHECKING:
    from miniapp_api.services.ledger import NewEntry

_CHUNK = 500


class ReversalRefused(Conflict):
    """A reversal breaks rule 4; `index` is its position in the refused batch."""

    code = "reversal_refused"
    message = "冲销金额超过原入账金额的剩余部分"
    index: int | None = None

    def at(self, index: int) -> ReversalRefused:
        self.index = index
        return self


@dataclass
class _Original:
    """An entry as far as rule 4 is concerned: stored (and locked), or earlier in the batch."""

    unit_id: int
    year: int
    source: str
    amount: int
    is_reversal: bool = False
    remaining: int = 0  # what reversals may still take back


def reversal_refusals(session: Session, entries: list[NewEntry]) -> dict[int, ReversalRefused]:
    """Rule 4 for every reversal of a batch: the refusal of each one that breaks it, by its
    index in the batch. The originals are locked FOR UPDATE (in id order) first, and what is
    left of each counts the reversals committed before and those earlier in the batch.

    `book_entries` calls it and refuses the batch on the first refusal; an import may call it
    first, in the same transaction, to tell every refused row (the locks stay held)."""
    stored = _locked_originals(
        session, {entry.reverses_id for entry in entries if entry.reverses_id is not None}
    )
    in_batch: dict[int, _Original] = {}
    refusals: dict[int, ReversalRefused] = {}
    for index, entry in enumerate(entries):
        mine = _Original(entry.unit.id, entry.year, entry.source, entry.amount)
        if entry.reverses_index is None and entry.reverses_id is None:
            mine.remaining = entry.amount
            in_batch[index] = mine
            continue
        mine.is_reversal = True
        in_batch[index] = mine
        if entry.reverses_index is not None:
            if not 0 <= entry.reverses_index < index:
                raise ValueError("a reversal must come after the entry it reverses")
            original = in_batch[entry.reverses_index]
        else:
            original = stored.get(entry.reverses_id)  # type: ignore[arg-type]
        refusal = _refusal(entry, original, entry.reverses_id)
        if refusal is None:
            original.remaining += entry.amount  # type: ignore[union-attr]
        else:
            refusals[index] = refusal.at(index)
    return refusals


def _refusal(
    entry: NewEntry, original: _Original | None, original_id: int | None
) -> ReversalRefused | None:
    if original is None:
        return ReversalRefused(
            "entry_not_found", "被冲销的记录不存在", details={"entry_id": original_id}
        )
    if original.is_reversal:
        return ReversalRefused(
            "entry_not_reversible", "冲销记录不能再被冲销", details={"entry_id": original_id}
        )
    differs = [
        name
        for name, mine, theirs in (
            ("unit", entry.unit.id, original.unit_id),
            ("year", entry.year, original.year),
            ("source", entry.source, original.source),
        )
        if mine != theirs
    ]
    if differs:
        return ReversalRefused(
            "reversal_mismatch",
            "冲销须计入原入账的同一单位、同一年度、同一来源",
            details={"entry_id": original_id, "differs": differs},
        )
    if -entry.amount > original.remaining:
        return ReversalRefused(
            details={
                "entry_id": original_id,
                "remaining": original.remaining,
                "amount": -entry.amount,
            }
        )
    return None


def _locked_originals(session: Session, entry_ids: set[int]) -> dict[int, _Original]:
    """The stored originals, locked FOR UPDATE in id order, with what is left of each."""
    found: dict[int, _Original] = {}
    ordered = sorted(entry_ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = session.execute(
            select(
                Entry.id, Entry.unit_id, Entry.year, Entry.source, Entry.amount, Entry.reverses_id
            )
            .where(Entry.id.in_(chunk))
            .order_by(Entry.id)
            .with_for_update()
        )
        for id_, unit_id, year, source, amount, reverses_id in rows:
            is_reversal = reverses_id is not None or amount <= 0
            found[id_] = _Original(unit_id, year, source, amount, is_reversal)
        # read after the lock: every reversal committed before it is counted
        reversed_so_far = session.execute(
            select(Entry.reverses_id, func.sum(Entry.amount))
            .where(Entry.reverses_id.in_(chunk))
            .group_by(Entry.reverses_id)
        )
        taken = {id_: int(amount) for id_, amount in reversed_so_far}
        for id_ in chunk:
            if id_ in found:
                found[id_].remaining = found[id_].amount + taken.get(id_, 0)
    return found
