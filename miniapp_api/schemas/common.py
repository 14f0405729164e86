"""Shapes shared by every feature: money, paging arguments and pages."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from miniapp_api.paging import DEFAULT_LIMIT, MAX_LIMIT
from models.money import MoneyFormatError, fen_to_yuan, yuan_to_fen


class Money(ma.fields.Field):
    """Integer fen inside, "12.50" outside (DOMAIN.md, "Money and numbers")."""

    def __init__(self, *, allow_negative: bool = False, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        # what is read: at most two decimals ("12", "12.5", "12.50"); answers have two always
        pattern = r"^-?\d+(\.\d{1,2})?$" if allow_negative else r"^\d+(\.\d{1,2})?$"
        metadata = {"type": "string", "pattern": pattern, "example": "12.50"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else fen_to_yuan(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str):
            raise ma.ValidationError('金额须为字符串，例如 "12.50"')
        try:
            return yuan_to_fen(value, allow_negative=self.allow_negative)
        except MoneyFormatError as exc:
            raise ma.ValidationError(str(exc)) from exc


class StrictBoolean(ma.fields.Boolean):
    """JSON's true or false only (marshmallow's own also takes 1, "yes", "on"...), as the
    document says."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# Moments read from a body: within these years (China time, whose offset before 1901 was not
# a whole minute, and no date far off is ever meant)
FIRST_MOMENT_YEAR, LAST_MOMENT_YEAR = 2000, 2100


class Moment(ma.fields.AwareDateTime):
    """An ISO-8601 time with its offset, between FIRST_MOMENT_YEAR and LAST_MOMENT_YEAR."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not FIRST_MOMENT_YEAR <= moment.year <= LAST_MOMENT_YEAR:
            raise ma.ValidationError(f"时间须在{FIRST_MOMENT_YEAR}年至{LAST_MOMENT_YEAR}年之间")
        return moment


MAX_ID = 2**31 - 1  # ids are INTEGER columns; anything larger names nothing


class Id(ma.fields.Integer):
    """A row id in a body or a query: a positive integer that fits the id columns, so that a
    huge number is a 422 naming the field, not an overflow in the database driver."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float):  # 1.5 would otherwise quietly become 1
            raise ma.ValidationError("须为整数")
        return super()._deserialize(value, attr, data, **kwargs)


class PageArgs(ma.Schema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=ma.validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=512),
        metadata={
            "description": "`next_cursor` of the page before, as it came: any other value is "
            "422 `invalid_request` naming `cursor`",
            "pattern": r"^[A-Za-z0-9_-]*=*$",
        },
    )


class PageSchema(ma.Schema):
    next_cursor = ma.fields.String(allow_none=True)
