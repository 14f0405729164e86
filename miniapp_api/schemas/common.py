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
        metadata = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "12.50"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else fen_to_yuan(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float):
            raise ma.ValidationError('金额须为字符串，例如 "12.50"')
        try:
            return yuan_to_fen(value, allow_negative=self.allow_negative)
        except MoneyFormatError as exc:
            raise ma.ValidationError(str(exc)) from exc


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
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=512))


class PageSchema(ma.Schema):
    next_cursor = ma.fields.String(allow_none=True)
