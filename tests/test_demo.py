"""The demo data: what `miniapp demo` loads must itself follow the rules it demonstrates."""

import re

from sqlalchemy import select

from miniapp_api.demo import load_demo_data
from miniapp_api.demo.units import DEMO_ADMINS
from models import Unit, db
from models.credit_code import is_valid_credit_code
from tests.factories import employee_headers, make_employee


def test_demo_units_have_valid_codes_and_a_consistent_tree(client):
    load_demo_data(db.session)

    units = db.session.scalars(select(Unit)).all()
    assert len(units) >= 15
    assert all(is_valid_credit_code(unit.credit_code) for unit in units)
    by_id = {unit.id: unit for unit in units}
    for unit in units:
        expected = (by_id[unit.parent_id].path if unit.parent_id else "") + f"{unit.id}/"
        assert unit.path == expected
    assert any(unit.name == "郑州市公安局" for unit in units)


def test_every_printed_demo_login_works(client):
    load_demo_data(db.session)

    for username, password, role, _ in DEMO_ADMINS:
        response = client.post(
            "/api/v1/admin/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, username
        assert response.get_json()["admin"]["role"] == role


def test_the_walkthroughs_admin_logins_are_shell_comments():
    lines = load_demo_data(db.session)

    text = "\n".join(lines)
    for username, *_ in DEMO_ADMINS:
        lines_naming = [line for line in text.splitlines() if f" {username} " in line]
        assert lines_naming  # the API's list and the console's
        for line in lines_naming:
            assert line.lstrip().startswith("#"), line


def test_the_walkthroughs_catalogue_examples_find_products(client):
    lines = load_demo_data(db.session)
    headers = employee_headers(make_employee())
    commands = " ".join(lines)
    category = re.search(r"products\?category=(\d+)", commands).group(1)

    searches = {
        "rice from priority counties": "/api/v1/products?q=米&priority_county=true&sort=price_asc",
        "a sub-category": f"/api/v1/products?category={category}",
        "mushrooms": "/api/v1/products?q=香菇",
    }
    for name, path in searches.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, name
        assert response.get_json()["items"], f"{name} finds nothing"


def test_the_walkthrough_numbers_its_steps_once_each_in_order(client):
    lines = load_demo_data(db.session)

    steps = [int(n) for n in re.findall(r"(?m)^  # (\d+)\. ", "\n".join(lines))]

    assert steps == list(range(5, 5 + len(steps))) and len(steps) >= 8
