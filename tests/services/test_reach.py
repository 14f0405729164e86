"""Rule 7: a superior reaches itself and everything below it, nothing else."""

import pytest

from miniapp_api.errors import Forbidden, NotFound
from miniapp_api.services.reach import reachable_unit
from models import Unit, db
from tests.factories import make_admin, make_supplier, make_unit


@pytest.fixture
def tree():
    province = make_unit("某省财政厅", budget_level="provincial")
    city = make_unit("某市财政局", province, budget_level="municipal")
    school = make_unit("某县第一中学", city)
    sibling = make_unit("某县人民医院", city)
    other_province = make_unit("另一省财政厅", budget_level="provincial")
    return province, city, school, sibling, other_province


def test_a_province_admin_reaches_a_school_below_it(tree):
    province, _, school, _, _ = tree
    admin = make_admin("finance_admin", unit=province)

    assert reachable_unit(db.session, admin, school.id) is school


def test_a_school_admin_cannot_reach_its_superior_or_a_sibling(tree):
    _, city, school, sibling, _ = tree
    admin = make_admin("unit_admin", unit=school)

    assert reachable_unit(db.session, admin, school.id) is school
    for outside in (city, sibling):
        with pytest.raises(NotFound):
            reachable_unit(db.session, admin, outside.id)


def test_another_province_admin_cannot_reach_the_school(tree):
    _, _, school, _, other_province = tree
    admin = make_admin("finance_admin", unit=other_province)

    with pytest.raises(NotFound):
        reachable_unit(db.session, admin, school.id)


def test_a_sibling_whose_id_starts_with_the_same_digits_is_outside(tree):
    province, *_ = tree
    first = make_unit("单位甲", province)
    # a sibling whose id begins with the first one's digits ("7/" against "70/")
    lookalike = Unit(id=first.id * 10, name="单位乙", budget_level="county")
    db.session.add(lookalike)
    db.session.flush()
    lookalike.place_under(province)
    db.session.commit()
    admin = make_admin("unit_admin", unit=first)

    with pytest.raises(NotFound):
        reachable_unit(db.session, admin, lookalike.id)


def test_union_admins_and_suppliers_reach_no_unit(tree):
    province, *_ = tree
    for admin in (
        make_admin("union_admin", unit=province),
        make_admin("supplier", supplier=make_supplier()),
    ):
        with pytest.raises(Forbidden):
            reachable_unit(db.session, admin, province.id)
