"""Reading the ledger: a unit's figures for a year, its children's, the entries behind them,
and `verify`, which recomputes every totals row from the entries (DOMAIN.md rules 6 and 7).

A figure is a sum over a unit's totals slots (models/ledger.py): own = what was booked to the
unit itself, subtree = the unit and everything below it. Neither reads the entries, so the
root's figures cost the same few index reads at 100,000 units and 10 million entries as at ten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Integer, cast, delete, func, insert, select, text
from sqlalchemy.orm import Session, aliased, scoped_session

from miniapp_api.errors import InvalidRequest
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.services.completion import completion_rate, confirmed_share
from miniapp_api.services.units import lock_tree
from models.calendar import FIRST_YEAR, current_year
from models.ledger import CANTEEN, PERSONAL, SOURCES, UNION, Entry, UnitTotal
from models.unit import Unit


def check_year(year: int) -> None:
    """Years the ledger answers for: 2019 up to next year (API.md)."""
    last = current_year() + 1
    if not FIRST_YEAR <= year <= last:
        raise InvalidRequest(details={"year": [f"年份须在{FIRST_YEAR}至{last}之间"]})


@dataclass
class Figures:
    """Amounts in fen by source, and their sum (rule 6: every source adds to the total)."""

    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))

    @property
    def canteen(self) -> int:
        return self.amounts[CANTEEN]

    @property
    def union(self) -> int:
        return self.amounts[UNION]

    @property
    def personal(self) -> int:
        return self.amounts[PERSONAL]

    @property
    def total(self) -> int:
        return sum(self.amounts.values())

    def add(self, other: Figures) -> None:
        for source, amount in other.amounts.items():
            self.amounts[source] += amount


@dataclass
class UnitFigures:
    unit: Unit
    year: int
    own: Figures
    subtree: Figures
    # the unit's confirmed reserved share and its own total's completion of it
    reserved_share: int | None = None
    completion_rate: str | None = None


def unit_figures(session: Session, unit: Unit, year: int) -> UnitFigures:
    """The unit's own figures and those of its whole subtree for `year` (rule 7), with its
    confirmed reserved share and the completion rate of its own total (rule 6)."""
    own, subtree = Figures(), Figures()
    rows = session.execute(
        select(
            UnitTotal.source,
            func.sum(UnitTotal.own_amount),
            func.sum(UnitTotal.subtree_amount),
        )
        .where(UnitTotal.unit_id == unit.id, UnitTotal.year == year)
        .group_by(UnitTotal.source)
    )
    for source, own_amount, subtree_amount in rows:
        own.amounts[source] = int(own_amount)
        subtree.amounts[source] = int(subtree_amount)
    share = confirmed_share(session, unit.id, year)
    return UnitFigures(unit, year, own, subtree, share, completion_rate(own.total, share))


def children_figures(session: Session, unit: Unit, year: int) -> list[UnitFigures]:
    """One UnitFigures per direct child, revoked and merged ones included (their past
    figures stay theirs, rule 8), in id order."""
    children = session.scalars(select(Unit).where(Unit.parent_id == unit.id).order_by(Unit.id))
    figures = {child.id: UnitFigures(child, year, Figures(), Figures()) for child in children}
    rows = session.execute(
        select(
            UnitTotal.unit_id,
            UnitTotal.source,
            func.sum(UnitTotal.own_amount),
            func.sum(UnitTotal.subtree_amount),
        )
        .join(Unit, Unit.id == UnitTotal.unit_id)
        .where(Unit.parent_id == unit.id, UnitTotal.year == year)
        .group_by(UnitTotal.unit_id, UnitTotal.source)
    )
    for unit_id, source, own_amount, subtree_amount in rows:
        figures[unit_id].own.amounts[source] = int(own_amount)
        figures[unit_id].subtree.amounts[source] = int(subtree_amount)
    return list(figures.values())


def own_entries(
    session: Session,
    unit: Unit,
    year: int,
    *,
    source: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[Entry], str | None]:
    """The entries behind the unit's own figure, newest booking first, paged by id."""
    query = select(Entry).where(Entry.unit_id == unit.id, Entry.year == year)
    if source is not None:
        query = query.where(Entry.source == source)
    if cursor:
        (after_id,) = decode_cursor(cursor, (ID,))
        query = query.where(Entry.id < after_id)
    rows = list(session.scalars(query.order_by(Entry.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda entry: [entry.id])


def personal_amount(session: Session, employee_id: int, year: int) -> int:
    """What an employee's completed purchases added in `year`, net of refunds (rules 1, 2, 4)."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Entry.amount), 0)).where(
                Entry.employee_id == employee_id,
                Entry.year == year,
                Entry.source == PERSONAL,
            )
        )
    )


@dataclass(frozen=True)
class Difference:
    unit_id: int
    year: int
    source: str
    figure: str  # "own" or "subtree"
    expected: int
    stored: int

    def __str__(self) -> str:
        return (
            f"unit {self.unit_id} year {self.year} {self.source} {self.figure}: "
            f"entries say {self.expected}, totals say {self.stored}"
        )


Key = tuple[int, int, str]


def expected_totals(session: Session) -> dict[Key, list[int]]:
    """(unit, year, source) -> [own, subtree] recomputed from the entries alone."""
    paths = {unit_id: path for unit_id, path in session.execute(select(Unit.id, Unit.path))}
    expected: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    rows = session.execute(
        select(Entry.unit_id, Entry.year, Entry.source, func.sum(Entry.amount)).group_by(
            Entry.unit_id, Entry.year, Entry.source
        )
    )
    for unit_id, year, source, amount in rows:
        amount = int(amount)
        expected[(unit_id, year, source)][0] += amount
        for part in paths[unit_id].split("/")[:-1]:
            expected[(int(part), year, source)][1] += amount
    return expected


def stored_totals(session: Session) -> dict[Key, list[int]]:
    rows = session.execute(
        select(
            UnitTotal.unit_id,
            UnitTotal.year,
            UnitTotal.source,
            func.sum(UnitTotal.own_amount),
            func.sum(UnitTotal.subtree_amount),
        ).group_by(UnitTotal.unit_id, UnitTotal.year, UnitTotal.source)
    )
    return {(u, y, s): [int(own), int(subtree)] for u, y, s, own, subtree in rows}


@dataclass(frozen=True)
class Finding:
    """An entry or a unit that breaks a rule the totals rely on (rules 4, 5 and 7)."""

    subject: str  # "entry 12", "unit 5"
    problem: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"


def verify_totals(session: Session) -> list[Difference | Finding]:
    """Every totals figure that does not equal the sum of the entries behind it, and every
    entry or unit the figures cannot be trusted on: an over-reversed original, a reversal in
    another unit, year or source than its original, a reversal of a reversal, a negative entry
    that reverses nothing, a year that is not the China year of the entry's moment (rule 5; a
    reversal's is its original's), and a unit whose path or depth disagrees with its parent's.

    All of it is read in one snapshot: call it first in its transaction (the CLI does), and on
    PostgreSQL the transaction is REPEATABLE READ, so bookings committing meanwhile cannot
    make entries and totals disagree on paper."""
    plain = session() if isinstance(session, scoped_session) else session
    if session.get_bind().dialect.name == "postgresql" and not plain.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    findings: list[Difference | Finding] = []
    findings.extend(_unit_findings(session))
    findings.extend(_entry_findings(session))
    expected = expected_totals(session)
    stored = stored_totals(session)
    for key in sorted(set(expected) | set(stored)):
        want, have = expected.get(key, [0, 0]), stored.get(key, [0, 0])
        for index, figure in enumerate(("own", "subtree")):
            if want[index] != have[index]:
                findings.append(Difference(*key, figure, want[index], have[index]))
    return findings


def _unit_findings(session: Session) -> list[Finding]:
    units = {
        id_: (parent_id, path, depth)
        for id_, parent_id, path, depth in session.execute(
            select(Unit.id, Unit.parent_id, Unit.path, Unit.depth)
        )
    }
    findings = []
    for id_, (parent_id, path, depth) in sorted(units.items()):
        parent_path, parent_depth = "", -1
        if parent_id is not None:
            parent_path, parent_depth = units[parent_id][1], units[parent_id][2]
        if path != f"{parent_path}{id_}/":
            findings.append(
                Finding(
                    f"unit {id_}",
                    f"path {path!r}, but its parent's path makes it "
                    f"{parent_path + str(id_) + '/'!r}",
                )
            )
        if depth != parent_depth + 1:
            findings.append(Finding(f"unit {id_}", f"depth {depth}, parent's {parent_depth}"))
    return findings


def _entry_findings(session: Session) -> list[Finding]:
    findings = []
    reversal, original = aliased(Entry), aliased(Entry)
    taken = func.sum(reversal.amount)
    over = session.execute(
        select(original.id, original.amount, taken)
        .join(reversal, reversal.reverses_id == original.id)
        .group_by(original.id, original.amount)
        .having(original.amount + taken < 0)
        .order_by(original.id)
    )
    for id_, amount, reversed_ in over:
        findings.append(
            Finding(f"entry {id_}", f"reversed by {-int(reversed_)}, more than its {amount}")
        )
    pairs = session.execute(
        select(reversal, original)
        .join(original, original.id == reversal.reverses_id)
        .where(
            (reversal.unit_id != original.unit_id)
            | (reversal.year != original.year)
            | (reversal.source != original.source)
            | original.reverses_id.is_not(None)
            | (original.amount <= 0)
            | (reversal.amount >= 0)
        )
        .order_by(reversal.id)
    )
    for mine, theirs in pairs:
        subject = f"entry {mine.id}"
        if theirs.reverses_id is not None or theirs.amount <= 0:
            findings.append(Finding(subject, f"reverses entry {theirs.id}, itself a reversal"))
        for name in ("unit_id", "year", "source"):
            if getattr(mine, name) != getattr(theirs, name):
                findings.append(
                    Finding(
                        subject,
                        f"reversal with {name} {getattr(mine, name)}, "
                        f"its original {theirs.id} has {getattr(theirs, name)}",
                    )
                )
        if mine.amount >= 0:
            problem = f"reversal of entry {theirs.id} with amount {mine.amount} (not negative)"
            findings.append(Finding(subject, problem))
    lone = session.scalars(
        select(Entry.id).where(Entry.reverses_id.is_(None), Entry.amount <= 0).order_by(Entry.id)
    )
    findings.extend(Finding(f"entry {id_}", "not positive, and reverses nothing") for id_ in lone)
    moment_year = _china_year(session, Entry.occurred_at)
    wrong_years = session.execute(
        select(Entry.id, Entry.year, moment_year)
        .where(Entry.reverses_id.is_(None), Entry.year != moment_year)
        .order_by(Entry.id)
    )
    for id_, year, true_year in wrong_years:
        findings.append(
            Finding(f"entry {id_}", f"year {year}, but its moment is in {int(true_year)} (China)")
        )
    return findings


def _china_year(session: Session, column):
    """The calendar year in China of a stored moment, in SQL (rule 5). China has kept UTC+8
    without daylight saving since 1991, long before the platform's first year."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("year", func.timezone("Asia/Shanghai", column))
    # SQLite's date functions round fractional seconds (23:59:59.999999 becomes the next
    # second, even the next year): read the stored text to the whole second first
    return cast(func.strftime("%Y", func.substr(column, 1, 19), "+8 hours"), Integer)


def rebuild_totals(session: Session) -> int:
    """Recompute every totals row from the entries (after a unit moved in the tree, or when
    `verify` found a difference); returns the number of rows written. Bookings wait meanwhile:
    on PostgreSQL the entries are locked against inserts and the totals against every write,
    and the tree lock keeps moves out (services/units.py). A booking in flight when it starts is
    waited for; a booking that starts meanwhile waits at its insert and counts after it."""
    lock_tree(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE ledger_entries IN SHARE MODE"))
        session.execute(text("LOCK TABLE unit_totals IN EXCLUSIVE MODE"))
    expected = expected_totals(session)
    session.execute(delete(UnitTotal))
    rows = [
        {
            "unit_id": unit_id,
            "year": year,
            "source": source,
            "slot": 0,
            "own_amount": own,
            "subtree_amount": subtree,
        }
        for (unit_id, year, source), (own, subtree) in sorted(expected.items())
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(UnitTotal.__table__), rows[start : start + 5000])
    return len(rows)
