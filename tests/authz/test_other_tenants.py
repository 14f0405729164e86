"""Authorization generated from the URL map (API.md "Auth"): every route that names an object
in its path, called by every role at another tenant's object, answers 403 or 404 (401 where the
token is of the wrong kind), in the error envelope, and changes nothing."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from miniapp_api.services.voucher_codes import lookup_hash
from models import Address, Order, ReservedShare, Unit, Voucher, VoucherBatch, db
from tests.authz.cases import (
    BODY_CASES,
    CASES,
    NOT_TENANT_OWNED,
    PUBLIC_LISTS,
    Call,
    their_markers,
)
from tests.authz.world import EMPLOYEE, ROLES, World, build_world

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def _routes(app: Flask) -> list[tuple[str, str, object]]:
    return [
        (rule.endpoint, method, rule)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - SKIPPED_METHODS)
    ]


def test_every_route_with_a_variable_is_known(app: Flask):
    unknown = sorted(
        f"{method} {rule.rule} ({endpoint})"
        for endpoint, method, rule in _routes(app)
        if rule.arguments
        and endpoint not in CASES
        and endpoint not in NOT_TENANT_OWNED
        # the console is walked by test_console_tenants.py, logged in through its own form
        and not endpoint.startswith("console.")
    )
    assert not unknown, (
        "routes with no authorization case: say in tests/authz/cases.py how to call them at "
        "another tenant's object (CASES), or why no tenant owns them (NOT_TENANT_OWNED): "
        + ", ".join(unknown)
    )


def test_every_case_names_a_route(app: Flask):
    endpoints = {endpoint for endpoint, _, _ in _routes(app)}
    assert not (set(CASES) | set(BODY_CASES) | set(NOT_TENANT_OWNED)) - endpoints


def _expected(role: str, path: str) -> set[int]:
    admin_route = path.startswith("/api/v1/admin/")
    if admin_route != (role != EMPLOYEE):
        return {401}  # the other kind of token
    return {403, 404}


def _call(client, app: Flask, world: World, role: str, endpoint: str, method: str, call: Call):
    adapter = app.url_map.bind("localhost")
    path = adapter.build(endpoint, call.path_args, method=method)
    response = client.open(
        path, method=method, json=call.json, query_string=call.query, headers=world.headers[role]
    )
    body = response.get_json(silent=True)
    if response.status_code not in _expected(role, path):
        return f"{role} {method} {path}: {response.status_code} {str(body)[:160]}"
    if not (isinstance(body, dict) and set(body) == {"error"} and body["error"].get("code")):
        return f"{role} {method} {path}: {response.status_code} outside the error envelope"
    return None


@pytest.fixture
def world(client, fake) -> World:
    return build_world(client, fake.state)


def _walk(app, client, world, cases) -> list[str]:
    failures, called = [], set()
    for endpoint, method, _ in _routes(app):
        if endpoint not in cases:
            continue
        called.add(endpoint)
        for role in ROLES:
            if role == "platform_admin" and endpoint.startswith("admin_"):
                continue  # the platform reaches every tenant
            for call in cases[endpoint](world):
                failure = _call(client, app, world, role, endpoint, method, call)
                if failure:
                    failures.append(failure)
    assert called == set(cases), "cases for no route: " + ", ".join(set(cases) - called)
    return failures


def test_no_role_reaches_another_tenants_object_named_in_the_path(app, client, world):
    failures = _walk(app, client, world, CASES)

    assert not failures, "\n".join(failures)
    _nothing_of_theirs_changed(world)


def test_no_role_reaches_another_tenants_object_named_in_the_body(app, client, world):
    failures = _walk(app, client, world, BODY_CASES)

    assert not failures, "\n".join(failures)
    _nothing_of_theirs_changed(world)


def test_no_list_shows_another_tenants_data(app, client, world):
    markers = their_markers(world)
    failures = []
    for endpoint, method, rule in _routes(app):
        if method != "GET" or rule.arguments or endpoint in PUBLIC_LISTS:
            continue
        if not rule.rule.startswith("/api/v1/"):
            continue
        for role in ROLES:
            if role == "platform_admin" and endpoint.startswith("admin_"):
                continue
            response = client.get(rule.rule, headers=world.headers[role])
            text = response.get_data(as_text=True)
            failures += [
                f"{role} GET {rule.rule}: {response.status_code} shows {what}"
                for marker, what in markers.items()
                if marker in text
            ]

    assert not failures, "\n".join(failures)


def _nothing_of_theirs_changed(world: World) -> None:
    from flask import current_app

    from miniapp_api.services.voucher_codes import CodeKeys

    db.session.rollback()
    order = db.session.scalars(select(Order).where(Order.order_no == world.their_order_no)).one()
    assert order.status == "paid"
    assert db.session.get(Address, world.them.address_id) is not None
    assert all(db.session.get(Unit, u.id).status == "active" for u in world.other_units)
    assert db.session.get(VoucherBatch, world.their_unpaid_batch_id).status == "unpaid"
    assert db.session.scalars(select(ReservedShare)).all() == []
    assert db.session.get(Voucher, world.their_voucher_id).employee_id == world.them.employee.id
    keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])
    code = db.session.scalars(
        select(Voucher).where(Voucher.code_hash == lookup_hash(keys, world.their_code))
    ).one()
    assert code.status == "unredeemed"
    assert world.them.employee.current_binding is not None
