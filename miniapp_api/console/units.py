"""Unit pages for unit and finance admins (and the platform): the year's figures by source, own
and subtree, the confirmed reserved share and completion rate with a chart; the children with
drill-down; the entries behind a figure; the totals spreadsheet (DOMAIN.md rules 6 and 7).
Reach is `reachable_unit`'s, exactly as in the admin API."""

from __future__ import annotations

from flask import g, render_template, request

from miniapp_api.admin.downloads import xlsx_download
from miniapp_api.console.blueprint import bp
from miniapp_api.console.formatting import SOURCE_NAMES, year_argument
from miniapp_api.console.session import login_required
from miniapp_api.console.unit_changes import unit_page_extras
from miniapp_api.errors import InvalidRequest
from miniapp_api.extensions import db
from miniapp_api.services.admin_lists import units_in_reach
from miniapp_api.services.reach import admin_reaches, reachable_unit
from miniapp_api.services.totals import children_figures, own_entries, unit_figures
from miniapp_api.services.totals_sheet import totals_workbook
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.money import fen_to_yuan
from models.unit import Unit

UNIT_ROLES = (PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN)
ENTRIES_PER_PAGE = 50
UNITS_PER_PAGE = 50


def _chart(figures) -> dict:
    """The figures as ECharts options: own and subtree side by side, by source. Amounts go as
    yuan strings (ECharts reads them as numbers; no float ever touches the money itself)."""
    names = [*SOURCE_NAMES.values(), "合计"]

    def amounts(part) -> list[str]:
        return [fen_to_yuan(part.canteen), fen_to_yuan(part.union), fen_to_yuan(part.personal)] + [
            fen_to_yuan(part.total)
        ]

    series = [
        {"name": "本级", "type": "bar", "data": amounts(figures.own)},
        {"name": "本级及下级", "type": "bar", "data": amounts(figures.subtree)},
    ]
    if figures.reserved_share is not None:
        series[0]["markLine"] = {
            "data": [{"yAxis": fen_to_yuan(figures.reserved_share), "name": "预留份额"}],
            "label": {"formatter": "预留份额"},
        }
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": ["本级", "本级及下级"], "top": 0},
        "grid": {"left": 70, "right": 20, "top": 50, "bottom": 30},
        "xAxis": {"type": "category", "data": names},
        "yAxis": {"type": "value", "name": "元"},
        "series": series,
    }


def _ancestors(unit: Unit) -> list[Unit]:
    """The unit's superiors within the admin's reach, top first (the breadcrumb)."""
    chain: list[Unit] = []
    parent = unit.parent
    while parent is not None and admin_reaches(g.admin, parent):
        chain.append(parent)
        parent = parent.parent
    return list(reversed(chain))


@bp.route("/units", methods=["GET"])
@login_required(*UNIT_ROLES)
def unit_search():
    """Units within reach whose name or credit code contains `q` (the platform's way in)."""
    q = request.args.get("q", "").strip()
    units, next_cursor = units_in_reach(
        db.session, g.admin, q=q, limit=UNITS_PER_PAGE, cursor=request.args.get("cursor") or None
    )
    return render_template("units.html", units=units, q=q, next_cursor=next_cursor)


@bp.route("/units/<int:unit_id>", methods=["GET"])
@login_required(*UNIT_ROLES)
def unit_page(unit_id: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    year = year_argument()
    figures = unit_figures(db.session, unit, year)
    return render_template(
        "unit.html",
        unit=unit,
        year=year,
        figures=figures,
        children=children_figures(db.session, unit, year),
        chart=_chart(figures),
        ancestors=_ancestors(unit),
        sources=SOURCE_NAMES,
        **unit_page_extras(unit, year),
    )


@bp.route("/units/<int:unit_id>/entries", methods=["GET"])
@login_required(*UNIT_ROLES)
def unit_entries(unit_id: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    year = year_argument()
    source = request.args.get("source") or None
    if source is not None and source not in SOURCE_NAMES:
        raise InvalidRequest(details={"source": ["来源须为食堂采购、工会采购或职工个人采购"]})
    items, next_cursor = own_entries(
        db.session,
        unit,
        year,
        source=source,
        limit=ENTRIES_PER_PAGE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "entries.html",
        unit=unit,
        year=year,
        source=source,
        items=items,
        next_cursor=next_cursor,
        sources=SOURCE_NAMES,
    )


@bp.route("/units/<int:unit_id>/totals.xlsx", methods=["GET"])
@login_required(*UNIT_ROLES)
def unit_totals_sheet(unit_id: int):
    unit = reachable_unit(db.session, g.admin, unit_id)
    year = year_argument()
    content = totals_workbook(
        unit_figures(db.session, unit, year), children_figures(db.session, unit, year)
    )
    return xlsx_download(content, f"totals-{unit.id}-{year}.xlsx")
