"""The ledger on the wire: figures by source, a unit's totals, the entries behind them."""

from __future__ import annotations

import marshmallow as ma

from miniapp_api.schemas.accounts import UnitRefSchema
from miniapp_api.schemas.common import Money, PageArgs, PageSchema
from models.calendar import CHINA, FIRST_YEAR, current_year
from models.ledger import SOURCES


def _check_year(year: int) -> None:
    last = current_year() + 1
    if not FIRST_YEAR <= year <= last:
        raise ma.ValidationError(f"年份须在{FIRST_YEAR}至{last}之间")


class YearArgs(ma.Schema):
    year = ma.fields.Integer(
        load_default=current_year,
        validate=_check_year,
        metadata={
            "description": "calendar year in China time, 2019 to next year; default: this year",
            "minimum": FIRST_YEAR,
            # next year as of start-up: a server running past New Year accepts one year more
            "maximum": current_year() + 1,
        },
    )


class EntriesArgs(PageArgs, YearArgs):
    source = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(SOURCES), metadata={"enum": list(SOURCES)}
    )


class FiguresSchema(ma.Schema):
    canteen = Money(allow_negative=True)
    union = Money(allow_negative=True)
    personal = Money(allow_negative=True)
    total = Money(allow_negative=True)


class TotalsSchema(ma.Schema):
    unit = ma.fields.Nested(UnitRefSchema)
    year = ma.fields.Integer()
    own = ma.fields.Nested(FiguresSchema, metadata={"description": "booked to the unit itself"})
    subtree = ma.fields.Nested(
        FiguresSchema, metadata={"description": "the unit and every unit below it (本级及下级)"}
    )
    reserved_share = Money(
        allow_none=True,
        metadata={"description": "the unit's confirmed reserved share; null until confirmed"},
    )
    completion_rate = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "own total ÷ confirmed reserved share, percent with two decimals "
            '("104.17"); null without a confirmed share or when it is zero'
        },
    )


class ChildTotalsSchema(ma.Schema):
    unit = ma.fields.Nested(UnitRefSchema)
    own = ma.fields.Nested(FiguresSchema)
    subtree = ma.fields.Nested(FiguresSchema)


class ChildrenTotalsSchema(ma.Schema):
    year = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(ChildTotalsSchema))


class ChinaTime(ma.fields.AwareDateTime):
    """A moment shown in China Standard Time, the clock the counting year is read on."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.astimezone(CHINA).isoformat()


class EntrySchema(ma.Schema):
    id = ma.fields.Integer()
    source = ma.fields.String(metadata={"enum": list(SOURCES)})
    amount = Money(allow_negative=True, metadata={"description": "negative for a reversal"})
    year = ma.fields.Integer()
    occurred_at = ChinaTime()
    reference = ma.fields.String(
        metadata={"description": "order number, voucher batch or import reference"}
    )
    reverses = ma.fields.Integer(
        attribute="reverses_id", allow_none=True, metadata={"description": "reversed entry id"}
    )


class EntryPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(EntrySchema))


class ContributionUnitSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    annual_total = Money(allow_negative=True)
    reserved_share = Money(allow_none=True, metadata={"description": "confirmed share or null"})
    completion_rate = ma.fields.String(
        allow_none=True, metadata={"description": "annual_total ÷ reserved_share, percent"}
    )


class ContributionSchema(ma.Schema):
    year = ma.fields.Integer()
    personal_amount = Money(allow_negative=True)
    unit = ma.fields.Nested(ContributionUnitSchema, allow_none=True)
