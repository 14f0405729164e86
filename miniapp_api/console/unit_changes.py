"""Changing a unit in the console: merging it into another and revoking it (rule 8, platform
and finance admins through `changeable_unit`), its minimum-ratio policy (the platform and the
unit's own finance admin, `may_set_policy`), and the employees bound to it with ending a
binding. Each through the service the admin API calls (services.units, services.share_policy,
services.admin_lists), with the same reach checks and audit log. Merging, revoking and ending a
binding each have a page of their own that asks to confirm; nothing changes before it."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.console.blueprint import bp
from miniapp_api.console.formatting import year_argument
from miniapp_api.console.forms import field_errors, form_body, form_values
from miniapp_api.console.session import login_required
from miniapp_api.errors import Conflict, Forbidden, InvalidRequest, NotFound
from miniapp_api.extensions import db
from miniapp_api.schemas.reserved_shares import SharePolicyBodySchema
from miniapp_api.schemas.units import MergeUnitSchema
from miniapp_api.services.admin_lists import (
    bound_employee,
    bound_employees,
    end_binding,
    units_in_reach,
)
from miniapp_api.services.reach import changeable_unit, import_scope, reachable_unit
from miniapp_api.services.share_policy import (
    effective_policy,
    may_set_policy,
    own_policy,
    set_share_policy,
)
from miniapp_api.services.units import merge_unit, revoke_unit
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.base import utcnow
from models.ratio import hundredths_to_percent
from models.unit import Unit

SCOPED = (PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN)
CHANGERS = (PLATFORM_ADMIN, FINANCE_ADMIN)
EMPLOYEES_PER_PAGE = 20
SUCCESSORS_PER_PAGE = 20
POLICY_FIELDS = ("year", "min_ratio", "not_below_last_year")


def _passes(check, *args) -> bool:
    """Whether a check that raises Forbidden lets the admin act: it decides which forms a page
    shows; the action itself is checked again when it is posted."""
    try:
        check(*args)
    except Forbidden:
        return False
    return True


def _may_change(unit: Unit) -> bool:
    return _passes(changeable_unit, db.session, g.admin, unit.id) and unit.is_active


def _may_import_units(unit: Unit) -> bool:
    """The imports page is linked from the unit the admin's units import writes below."""
    if g.admin.role == PLATFORM_ADMIN:
        return True
    return _passes(import_scope, g.admin) and unit.id == g.admin.unit_id


def policy_in_force(unit: Unit, year: int) -> dict:
    """The unit's own policy for `year` and the one its filings must meet (the API's GET)."""
    own = own_policy(db.session, unit, year)
    effective = effective_policy(db.session, unit, year)
    return {
        "own": own,
        "own_min_ratio": hundredths_to_percent(own.min_ratio) if own else None,
        "effective": effective,
        "min_ratio": hundredths_to_percent(effective.min_ratio),
        "min_ratio_from": effective.source_name(effective.min_ratio_from),
        "not_below_last_year_from": effective.source_name(effective.not_below_last_year_from),
        "may_set": _passes(may_set_policy, g.admin, unit),
    }


def _policy_values(policy: dict, year: int) -> dict[str, str]:
    own = policy["own"]
    return {
        "year": str(year),
        "min_ratio": policy["own_min_ratio"] or "",
        "not_below_last_year": "true" if own is not None and own.not_below_last_year else "",
    }


def unit_page_extras(unit: Unit, year: int) -> dict:
    """What the unit page shows beside the figures: the unit's changes (merge, revoke), its
    policy and the first page of its bound employees."""
    employees, next_cursor = bound_employees(
        db.session, unit, now=utcnow(), limit=EMPLOYEES_PER_PAGE, cursor=None
    )
    policy = policy_in_force(unit, year)
    return {
        "may_change": _may_change(unit),
        "may_import": _may_import_units(unit),
        "policy": policy,
        "policy_values": _policy_values(policy, year),
        "policy_errors": {},
        "employees": employees,
        "employees_cursor": next_cursor,
    }


# --- merge and revoke (rule 8) ---


def _successors(unit: Unit, q: str) -> tuple[list[Unit], bool]:
    """Active units within reach, other than `unit`, whose name or code contains `q` (the
    units_in_reach of GET /admin/units?q=); and whether there were more to show."""
    found, next_cursor = units_in_reach(
        db.session, g.admin, q=q, limit=SUCCESSORS_PER_PAGE, cursor=None
    )
    return [u for u in found if u.is_active and u.id != unit.id], next_cursor is not None


def _merge_page(unit: Unit, *, into: Unit | None = None, errors=None, status: int = 200):
    q = request.values.get("q", "").strip()[:100]
    successors, more = _successors(unit, q) if into is None else ([], False)
    template = "_successors.html" if request.headers.get("HX-Request") else "unit_merge.html"
    page = render_template(
        template,
        unit=unit,
        into=into,
        q=q,
        successors=successors,
        more=more,
        errors=errors or {},
    )
    return page, status


@bp.route("/units/<int:unit_id>/merge", methods=["GET"])
@login_required(*CHANGERS)
def unit_merge_page(unit_id: int):
    """Choose the successor (searched within reach; htmx answers just the choices), then
    confirm: `into` names the chosen unit."""
    unit = changeable_unit(db.session, g.admin, unit_id)
    text = request.args.get("into", "").strip()
    if not text:
        if "into" in request.args:
            return _merge_page(unit, errors={"into_unit_id": "请选择合并后的单位"}, status=422)
        return _merge_page(unit)
    try:
        into_id = MergeUnitSchema().load({"into_unit_id": text})["into_unit_id"]
        into = reachable_unit(db.session, g.admin, into_id)
    except ma.ValidationError:
        return _merge_page(unit, errors={"into_unit_id": "请选择合并后的单位"}, status=422)
    except NotFound as error:
        return _merge_page(unit, errors={"into_unit_id": error.message}, status=404)
    return _merge_page(unit, into=into)


@bp.route("/units/<int:unit_id>/merge", methods=["POST"])
@login_required(*CHANGERS)
def unit_merge(unit_id: int):
    unit = changeable_unit(db.session, g.admin, unit_id)
    into = None
    try:
        body = MergeUnitSchema().load(form_body(("into_unit_id",)))
        into = reachable_unit(db.session, g.admin, body["into_unit_id"])
        merge_unit(db.session, unit, into, by=g.admin)
    except ma.ValidationError:
        return _merge_page(unit, errors={"into_unit_id": "请选择合并后的单位"}, status=422)
    except InvalidRequest as error:
        return _merge_page(unit, into=into, errors=field_errors(error), status=error.status)
    except (NotFound, Conflict) as error:
        about_into = into is None or (error.details.get("unit") or {}).get("id") == into.id
        field = "into_unit_id" if about_into else "_form"
        return _merge_page(unit, into=into, errors={field: error.message}, status=error.status)
    flash(f"已将“{unit.name}”合并至“{into.name}”")
    return redirect(url_for("console.unit_page", unit_id=unit.id))


def _revoke_page(unit: Unit, errors=None, status: int = 200):
    return render_template("unit_revoke.html", unit=unit, errors=errors or {}), status


@bp.route("/units/<int:unit_id>/revoke", methods=["GET"])
@login_required(*CHANGERS)
def unit_revoke_page(unit_id: int):
    return _revoke_page(changeable_unit(db.session, g.admin, unit_id))


@bp.route("/units/<int:unit_id>/revoke", methods=["POST"])
@login_required(*CHANGERS)
def unit_revoke(unit_id: int):
    unit = changeable_unit(db.session, g.admin, unit_id)
    try:
        revoke_unit(db.session, unit, by=g.admin)
    except Conflict as error:
        return _revoke_page(unit, {"_form": error.message}, error.status)
    flash(f"已撤销“{unit.name}”")
    return redirect(url_for("console.unit_page", unit_id=unit.id))


# --- minimum-ratio policy ---


def _policy_page(unit: Unit, year: int, values=None, errors=None, status: int = 200):
    policy = policy_in_force(unit, year)
    page = render_template(
        "share_policy.html",
        unit=unit,
        year=year,
        policy=policy,
        policy_values=values if values is not None else _policy_values(policy, year),
        policy_errors=errors or {},
    )
    return page, status


@bp.route("/units/<int:unit_id>/share-policy", methods=["GET"])
@login_required(*SCOPED)
def share_policy_page(unit_id: int):
    return _policy_page(reachable_unit(db.session, g.admin, unit_id), year_argument())


@bp.route("/units/<int:unit_id>/share-policy", methods=["POST"])
@login_required(*SCOPED)
def share_policy_save(unit_id: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    may_set_policy(g.admin, unit)
    try:
        schema = SharePolicyBodySchema()
        body = schema.load(form_body(POLICY_FIELDS, schema))
        set_share_policy(db.session, g.admin, unit, **body)
    except (ma.ValidationError, InvalidRequest) as error:
        values = form_values(POLICY_FIELDS)
        return _policy_page(unit, year_argument(), values, field_errors(error), 422)
    flash(f"已设置{body['year']}年起的最低预留比例")
    return redirect(url_for("console.unit_page", unit_id=unit.id, year=body["year"]))


# --- bound employees ---


@bp.route("/units/<int:unit_id>/employees", methods=["GET"])
@login_required(*SCOPED)
def unit_employees(unit_id: int):
    """The employees bound to the unit, paged; htmx asks for the next page's table only."""
    unit = reachable_unit(db.session, g.admin, unit_id)
    employees, next_cursor = bound_employees(
        db.session,
        unit,
        now=utcnow(),
        limit=EMPLOYEES_PER_PAGE,
        cursor=request.args.get("cursor") or None,
    )
    template = "_employees.html" if request.headers.get("HX-Request") else "employees.html"
    return render_template(template, unit=unit, employees=employees, employees_cursor=next_cursor)


@bp.route("/units/<int:unit_id>/employees/<int:employee_id>/end", methods=["GET"])
@login_required(*SCOPED)
def binding_end_page(unit_id: int, employee_id: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    employee = bound_employee(db.session, unit, employee_id)
    return render_template("binding_end.html", unit=unit, employee=employee)


@bp.route("/units/<int:unit_id>/employees/<int:employee_id>/end", methods=["POST"])
@login_required(*SCOPED)
def binding_end(unit_id: int, employee_id: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    employee = bound_employee(db.session, unit, employee_id)
    end_binding(db.session, g.admin, unit, employee_id)
    flash(f"已解除职工 {employee.phone or employee.id} 与“{unit.name}”的绑定")
    return redirect(url_for("console.unit_page", unit_id=unit.id))
