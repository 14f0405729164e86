"""The demo loader books a few canteen purchases into the demo's leaf units, once."""

from miniapp_api.demo.ledger import load_demo_ledger
from miniapp_api.services.totals import current_year, unit_figures, verify_totals
from models import db
from tests.factories import make_unit


def test_without_units_the_demo_loader_does_nothing():
    assert load_demo_ledger(db.session) == []


def test_the_demo_loader_books_into_leaves_and_running_it_again_adds_nothing():
    root = make_unit("演示省财政厅", budget_level="provincial")
    make_unit("演示中学", root)
    make_unit("演示医院", root)

    lines = load_demo_ledger(db.session)
    first = unit_figures(db.session, root, current_year() - 1).subtree.total
    load_demo_ledger(db.session)

    assert any(f"/admin/units/{root.id}/totals" in line for line in lines)
    assert first > 0
    assert unit_figures(db.session, root, current_year() - 1).subtree.total == first
    assert unit_figures(db.session, root, current_year()).own.total == 0
    assert verify_totals(db.session) == []
