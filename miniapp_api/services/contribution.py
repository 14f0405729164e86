"""What an employee's purchases added to their unit this year (DOMAIN.md rules 1, 2, 4, 6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from miniapp_api.services.totals import personal_amount, unit_figures
from models.employee import Employee


def employee_contribution(session: Session, employee: Employee, year: int) -> dict[str, Any]:
    """The employee's completed personal purchases in `year`, net of refunds, wherever they
    counted (an order counts to the unit bound when it was placed, rule 2), and the figures of
    the unit bound now: its own annual total over every source (rule 6), its confirmed reserved
    share and the completion rate (null without a confirmed share)."""
    unit = employee.bound_unit
    answer: dict[str, Any] = {
        "year": year,
        "personal_amount": personal_amount(session, employee.id, year),
        "unit": None,
    }
    if unit is not None:
        figures = unit_figures(session, unit, year)
        answer["unit"] = {
            "id": unit.id,
            "name": unit.name,
            "annual_total": figures.own.total,
            "reserved_share": figures.reserved_share,
            "completion_rate": figures.completion_rate,
        }
    return answer
