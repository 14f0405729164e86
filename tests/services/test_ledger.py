"""Booking counted amounts: every yuan once, in the right unit and year (rules 4, 5, 7)."""

import contextlib
import random
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from miniapp_api.services.ledger import (
    EntryDuplicate,
    ReversalRefused,
    book_entry,
    book_reversal,
    counting_year,
)
from miniapp_api.services.totals import unit_figures, verify_totals
from models import Entry, UnitTotal, db
from models.ledger import SOURCES
from tests.factories import make_employee, make_entry, make_unit


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def tree():
    """A 4-level tree: province > city > county > two schools, and a city beside it."""
    province = make_unit("某省财政厅", budget_level="provincial")
    city = make_unit("某市财政局", province, budget_level="municipal")
    county = make_unit("某县财政局", city)
    school = make_unit("某县第一中学", county, budget_level="township")
    hospital = make_unit("某县人民医院", county, budget_level="township")
    other_city = make_unit("另一市财政局", province, budget_level="municipal")
    return province, city, county, school, hospital, other_city


def test_a_booking_counts_to_its_unit_and_to_the_subtree_of_every_unit_above(tree):
    province, city, county, school, hospital, other_city = tree

    make_entry(school, 120000, source="canteen")
    make_entry(school, 3050, source="personal")
    make_entry(hospital, 500, source="union")

    school_figures = unit_figures(db.session, school, 2026)
    assert (school_figures.own.canteen, school_figures.own.personal) == (120000, 3050)
    assert school_figures.subtree.total == 123050
    for superior in (county, city, province):
        figures = unit_figures(db.session, superior, 2026)
        assert figures.own.total == 0
        assert figures.subtree.amounts == {"canteen": 120000, "union": 500, "personal": 3050}
    assert unit_figures(db.session, other_city, 2026).subtree.total == 0
    assert verify_totals(db.session) == []


@pytest.mark.parametrize(
    ("moment", "year"),
    [
        ("2025-12-31T23:59:59+08:00", 2025),
        ("2026-01-01T00:00:00+08:00", 2026),
        ("2025-12-31T16:00:00+00:00", 2026),  # the same instant as midnight in Beijing
        ("2025-12-31T15:59:59+00:00", 2025),
    ],
)
def test_the_year_is_the_calendar_year_in_china(tree, moment, year):
    school = tree[3]

    entry = make_entry(school, 100, at(moment))

    assert counting_year(at(moment)) == year
    assert entry.year == year
    assert unit_figures(db.session, school, year).own.canteen == 100


def test_a_refund_next_year_reverses_in_the_unit_and_year_of_what_it_refunds(tree):
    school = tree[3]
    employee = make_employee()
    original = make_entry(
        school, 10000, "2025-12-31T20:00:00+08:00", source="personal", employee=employee
    )

    reversal = book_reversal(
        db.session,
        original,
        amount=4000,
        occurred_at=at("2026-01-05T09:00:00+08:00"),
        reference="RF0001",
    )
    db.session.commit()

    assert (reversal.unit_id, reversal.year, reversal.amount) == (school.id, 2025, -4000)
    assert reversal.reverses_id == original.id
    assert reversal.employee_id == employee.id
    assert unit_figures(db.session, school, 2025).own.personal == 6000
    assert unit_figures(db.session, tree[0], 2025).subtree.personal == 6000
    assert unit_figures(db.session, school, 2026).own.total == 0


def test_reversing_more_than_is_left_is_refused_and_changes_nothing(tree):
    school = tree[3]
    original = make_entry(school, 10000)
    book_reversal(
        db.session,
        original,
        amount=7000,
        occurred_at=at("2026-07-01T00:00:00+08:00"),
        reference="RF1",
    )
    db.session.commit()

    with pytest.raises(ReversalRefused) as refused:
        book_reversal(
            db.session,
            original,
            amount=3001,
            occurred_at=at("2026-07-02T00:00:00+08:00"),
            reference="RF2",
        )
    db.session.rollback()

    assert refused.value.details["remaining"] == 3000
    assert unit_figures(db.session, school, 2026).own.canteen == 3000
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 2


def test_a_reversal_cannot_itself_be_reversed(tree):
    original = make_entry(tree[3], 10000)
    reversal = book_reversal(
        db.session,
        original,
        amount=100,
        occurred_at=at("2026-07-01T00:00:00+08:00"),
        reference="RF1",
    )
    db.session.commit()

    with pytest.raises(ReversalRefused):
        book_reversal(
            db.session,
            reversal,
            amount=100,
            occurred_at=at("2026-07-01T00:00:00+08:00"),
            reference="RF2",
        )


def test_booking_the_same_reference_twice_is_refused_and_counts_once(tree):
    school = tree[3]
    first = make_entry(school, 5000, reference="XD2026112330011271", source="personal")

    with pytest.raises(EntryDuplicate) as duplicate:
        book_entry(
            db.session,
            unit_id=school.id,
            source="personal",
            amount=5000,
            occurred_at=at("2026-06-01T10:00:00+08:00"),
            reference="XD2026112330011271",
        )
    db.session.rollback()

    assert duplicate.value.status == 409
    assert duplicate.value.existing.id == first.id
    assert unit_figures(db.session, school, 2026).own.personal == 5000
    assert verify_totals(db.session) == []


def test_the_same_reference_may_be_booked_once_per_source(tree):
    school = tree[3]
    make_entry(school, 100, reference="A1", source="canteen")
    make_entry(school, 200, reference="A1", source="union")

    assert unit_figures(db.session, school, 2026).own.total == 300


@pytest.mark.parametrize(
    ("amount", "moment", "source"),
    [
        (0, "2026-01-01T00:00:00+08:00", "canteen"),
        (-5, "2026-01-01T00:00:00+08:00", "canteen"),
        (100, "2026-01-01T00:00:00", "canteen"),
        (100, "2026-01-01T00:00:00+08:00", "gift"),
    ],
)
def test_amounts_moments_and_sources_no_caller_should_pass_are_refused(
    tree, amount, moment, source
):
    with pytest.raises(ValueError):
        book_entry(
            db.session,
            unit_id=tree[3].id,
            source=source,
            amount=amount,
            occurred_at=at(moment),
            reference="R1",
        )


def test_verify_names_a_totals_row_that_disagrees_with_the_entries(tree):
    province, _, _, school, _, _ = tree
    make_entry(school, 1000)
    db.session.execute(
        update(UnitTotal).where(UnitTotal.unit_id == province.id).values(subtree_amount=999)
    )
    db.session.commit()

    differences = verify_totals(db.session)

    assert [(d.unit_id, d.year, d.source, d.figure, d.expected, d.stored) for d in differences] == [
        (province.id, 2026, "canteen", "subtree", 1000, 999)
    ]


def test_a_caller_that_meets_a_duplicate_can_carry_on_in_the_same_transaction(tree):
    school = tree[3]
    make_entry(school, 5000, reference="XD1", source="personal")

    with contextlib.suppress(EntryDuplicate):  # a repeated completion: already counted
        book_entry(
            db.session,
            unit_id=school.id,
            source="personal",
            amount=5000,
            occurred_at=at("2026-06-01T10:00:00+08:00"),
            reference="XD1",
        )
    book_entry(
        db.session,
        unit_id=school.id,
        source="personal",
        amount=700,
        occurred_at=at("2026-06-01T10:00:00+08:00"),
        reference="XD2",
    )
    db.session.commit()

    assert unit_figures(db.session, school, 2026).own.personal == 5700


def test_a_long_random_story_of_bookings_and_refunds_keeps_every_figure_equal_to_its_entries():
    rng = random.Random(832)
    root = make_unit("某省财政厅", budget_level="provincial")
    units = [root]
    for _ in range(30):
        units.append(make_unit(None, rng.choice(units)))
    booked, expected = [], {}
    for number in range(300):
        if booked and rng.random() < 0.25:
            original = rng.choice(booked)
            left = original.amount + sum(
                e.amount
                for e in db.session.scalars(select(Entry).where(Entry.reverses_id == original.id))
            )
            if left <= 0:
                continue
            amount = rng.randint(1, left)
            book_reversal(
                db.session,
                original,
                amount=amount,
                occurred_at=at("2026-12-31T23:00:00+08:00"),
                reference=f"RF{number}",
            )
            key = (original.unit_id, original.year)
            expected[key] = expected.get(key, 0) - amount
        else:
            unit = rng.choice(units)
            moment = rng.choice(["2025-12-31T23:59:59+08:00", "2026-01-01T00:00:00+08:00"])
            entry = book_entry(
                db.session,
                unit_id=unit.id,
                source=rng.choice(SOURCES),
                amount=rng.randint(1, 10**7),
                occurred_at=at(moment),
                reference=f"R{number}",
            )
            booked.append(entry)
            expected[(unit.id, entry.year)] = expected.get((unit.id, entry.year), 0) + entry.amount
        db.session.commit()

    assert verify_totals(db.session) == []
    for year in (2025, 2026):
        assert unit_figures(db.session, root, year).subtree.total == sum(
            amount for (_, y), amount in expected.items() if y == year
        )
        for unit in units:
            assert unit_figures(db.session, unit, year).own.total == expected.get(
                (unit.id, year), 0
            )
