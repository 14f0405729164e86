"""How the console shows money, times and the ledger's sources."""

from __future__ import annotations

from datetime import datetime

from flask import request

from miniapp_api.console.blueprint import bp
from miniapp_api.errors import InvalidRequest
from miniapp_api.services.totals import check_year
from models.calendar import CHINA, current_year
from models.ledger import CANTEEN, PERSONAL, UNION
from models.money import fen_to_yuan

SOURCE_NAMES = {CANTEEN: "食堂采购", UNION: "工会采购", PERSONAL: "职工个人采购"}


@bp.app_template_filter("yuan")
def yuan(fen: int | None) -> str:
    return "—" if fen is None else fen_to_yuan(fen)


@bp.app_template_filter("china_time")
def china_time(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("source_name")
def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def year_argument() -> int:
    """The `year` of the query string (this year in China by default), checked like the API
    checks it; a bad one is a page saying so."""
    text = request.args.get("year", "").strip()
    if not text:
        return current_year()
    if not (text.isascii() and text.isdigit()):  # "²".isdigit() is true too
        raise InvalidRequest(details={"year": ["年份须为数字"]})
    check_year(int(text))
    return int(text)
