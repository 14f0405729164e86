"""Reserved-share filing on the wire: the filing body and answer, returns, share policies, the
superior's summary and the SMS outbox. Amounts are money strings, ratios percent strings
("20" or "12.50" in, "20.00" out); every message names its field in Chinese."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from miniapp_api.schemas.common import Money, PageArgs, PageSchema, StrictBoolean
from miniapp_api.schemas.units import UnitRefSchema
from models.calendar import FIRST_YEAR, current_year
from models.ratio import RatioFormatError, hundredths_to_percent, percent_to_hundredths
from models.reserved_share import FILING_ACTIONS, FILING_STATUSES, REMARK_MAX, STATUS_LABELS
from models.sms import SMS_STATUSES

MOBILE = r"^1[3-9]\d{9}$"
LANDLINE = r"^0\d{2,3}-\d{7,8}$"


def _messages(label: str) -> dict[str, str]:
    return {
        "required": f"请填写{label}",
        "null": f"请填写{label}",
        "invalid": f"{label}格式不正确",
    }


class Ratio(ma.fields.Field):
    """A percent with at most two decimals: "12.50" means 12.5%; kept as hundredths (1250)."""

    def __init__(self, label: str, *, maximum: int = 10_000, **kwargs: Any) -> None:
        self.label, self.maximum = label, maximum
        metadata = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,2})?$", "example": "20.00"}
        metadata.update(kwargs.pop("metadata", {}))
        kwargs.setdefault("error_messages", _messages(label))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else hundredths_to_percent(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float):
            raise ma.ValidationError(f'{self.label}须为字符串，例如 "20" 或 "12.50"')
        try:
            hundredths = percent_to_hundredths(value)
        except RatioFormatError as exc:
            raise ma.ValidationError(f"{self.label}{exc}") from exc
        if not 0 < hundredths <= self.maximum:
            limit = hundredths_to_percent(self.maximum)
            raise ma.ValidationError(f"{self.label}须大于0且不超过{limit}")
        return hundredths


class LabelledMoney(Money):
    """Money whose messages name the field in Chinese."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        self.label = label
        kwargs.setdefault("error_messages", _messages(label))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError as exc:
            raise ma.ValidationError(f"{self.label}：{exc.messages[0]}") from exc


def _flag(label: str, **kwargs: Any) -> ma.fields.Boolean:
    messages = {"required": f"请选择{label}", "null": f"请选择{label}"}
    messages["invalid"] = f"{label}须为 true 或 false"
    return StrictBoolean(error_messages=messages, **kwargs)


def _text(label: str, maximum: int, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(max=maximum, error=f"{label}最多{maximum}个字"),
        error_messages=_messages(label),
        **kwargs,
    )


class ChineseSchema(ma.Schema):
    error_messages = {"unknown": "不支持的字段", "type": "请求体须为 JSON 对象"}


class FilingBodySchema(ChineseSchema):
    has_canteen = _flag("是否有食堂", required=True)
    canteen_total = LabelledMoney("年度食堂食材采购总额", load_default=None, allow_none=True)
    reserved_ratio = Ratio("预留比例", load_default=None, allow_none=True)
    has_union_need = _flag("是否有工会采购需求", load_default=False)
    union_total = LabelledMoney("年度工会采购总额", load_default=None, allow_none=True)
    union_ratio = Ratio("工会采购预留比例", load_default=None, allow_none=True)
    remark = _text(
        "备注",
        REMARK_MAX,
        load_default=None,
        allow_none=True,
        metadata={"description": "无食堂时必填：无食堂、共用XX单位食堂 或 共用XX食堂"},
    )
    contact_name = _text("联系人", 50, required=True, metadata={"pattern": r"\S"})
    contact_mobile = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(MOBILE, error="联系人手机号须为11位手机号码"),
        error_messages=_messages("联系人手机号"),
    )
    contact_phone = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Regexp(LANDLINE, error="固定电话须为“区号-号码”，例如 0371-12345678"),
        error_messages=_messages("固定电话"),
    )

    @ma.post_load
    def _trimmed(self, data: dict, **kwargs: Any) -> dict:
        if not data["contact_name"].strip():
            raise ma.ValidationError("请填写联系人", "contact_name")
        data["contact_name"] = data["contact_name"].strip()
        if data.get("contact_phone") == "":
            data["contact_phone"] = None
        return data


class FilingHistorySchema(ma.Schema):
    action = ma.fields.String(metadata={"enum": list(FILING_ACTIONS)})
    by = ma.fields.String(attribute="admin_username")
    at = ma.fields.AwareDateTime()
    reason = ma.fields.String(allow_none=True)


class FilingSchema(ma.Schema):
    unit = ma.fields.Nested(UnitRefSchema)
    year = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(FILING_STATUSES)})
    status_label = ma.fields.String(metadata={"description": "待上级确认 and the like"})
    has_canteen = ma.fields.Boolean(allow_none=True)
    canteen_total = Money(allow_none=True)
    reserved_ratio = Ratio("预留比例", allow_none=True)
    reserved_share = Money(allow_none=True, metadata={"description": "canteen total × ratio"})
    has_union_need = ma.fields.Boolean(allow_none=True)
    union_total = Money(allow_none=True)
    union_ratio = Ratio("工会采购预留比例", allow_none=True)
    union_planned = Money(allow_none=True, metadata={"description": "kept apart (rule 6)"})
    remark = ma.fields.String(allow_none=True)
    contact_name = ma.fields.String(allow_none=True)
    contact_mobile = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    return_reason = ma.fields.String(allow_none=True)
    min_ratio = Ratio("最低预留比例", metadata={"description": "the strictest policy in force"})
    not_below_last_year = ma.fields.Boolean()
    last_year_share = Money(allow_none=True, metadata={"description": "last year's confirmed"})
    history = ma.fields.List(ma.fields.Nested(FilingHistorySchema))

    @ma.pre_dump
    def _flatten(self, view: Any, **kwargs: Any) -> dict:
        filing = view.filing
        answer: dict[str, Any] = {name: getattr(filing, name, None) for name in self.fields}
        answer.update(
            unit=view.unit,
            year=view.year,
            status=view.status,
            status_label=STATUS_LABELS[view.status],
            min_ratio=view.policy.min_ratio,
            not_below_last_year=view.policy.not_below_last_year,
            last_year_share=view.last_year_share,
            history=filing.events if filing is not None else [],
        )
        return answer


class FilingReturnSchema(ChineseSchema):
    reason = _text("退回原因", 200, required=True, metadata={"pattern": r"\S"})


class SharePolicyBodySchema(ChineseSchema):
    year = ma.fields.Integer(
        required=True,
        error_messages=_messages("年度"),
        metadata={"minimum": FIRST_YEAR, "maximum": current_year() + 1},
    )
    min_ratio = Ratio("最低预留比例", required=True)
    not_below_last_year = _flag("不低于上年度数额", load_default=False)


class EffectiveSharePolicySchema(ma.Schema):
    min_ratio = Ratio("最低预留比例")
    min_ratio_from = ma.fields.Nested(UnitRefSchema, allow_none=True)
    not_below_last_year = ma.fields.Boolean()
    not_below_last_year_from = ma.fields.Nested(UnitRefSchema, allow_none=True)


class SharePolicySchema(ma.Schema):
    unit = ma.fields.Nested(UnitRefSchema)
    year = ma.fields.Integer()
    min_ratio = Ratio(
        "最低预留比例", allow_none=True, metadata={"description": "null: none of its own"}
    )
    not_below_last_year = ma.fields.Boolean()
    effective = ma.fields.Nested(
        EffectiveSharePolicySchema,
        metadata={"description": "the strictest along the path, never below the national 10"},
    )


class FilingSummaryArgs(PageArgs):
    include_self = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "include the unit itself (本级) in rows, counts and label"},
    )
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(FILING_STATUSES),
        metadata={"enum": list(FILING_STATUSES), "description": "rows of this status only"},
    )


class FilingSummaryRowSchema(ma.Schema):
    unit = ma.fields.Nested(UnitRefSchema)
    parent = ma.fields.Nested(UnitRefSchema, allow_none=True)
    status = ma.fields.String(metadata={"enum": list(FILING_STATUSES)})
    status_label = ma.fields.String()
    has_canteen = ma.fields.Boolean(allow_none=True)
    canteen_total = Money(allow_none=True)
    reserved_ratio = Ratio("预留比例", allow_none=True)
    reserved_share = Money(allow_none=True)
    union_planned = Money(allow_none=True)
    remark = ma.fields.String(allow_none=True)
    contact_name = ma.fields.String(allow_none=True)
    contact_mobile = ma.fields.String(allow_none=True)
    contact_phone = ma.fields.String(allow_none=True)
    annual_total = Money(allow_negative=True, metadata={"description": "own, every source"})
    completion_rate = ma.fields.String(allow_none=True, metadata={"description": "confirmed"})

    @ma.pre_dump
    def _flatten(self, row: Any, **kwargs: Any) -> dict:
        filing = row.filing
        answer: dict[str, Any] = {name: getattr(filing, name, None) for name in self.fields}
        answer.update(
            unit=row.unit,
            parent=row.unit.parent,
            status=row.status,
            status_label=STATUS_LABELS[row.status],
            annual_total=row.annual_total,
            completion_rate=row.completion_rate,
        )
        return answer


class FilingStatusCountsSchema(ma.Schema):
    unfiled = ma.fields.Integer()
    draft = ma.fields.Integer()
    submitted = ma.fields.Integer()
    confirmed = ma.fields.Integer()
    returned = ma.fields.Integer()
    total = ma.fields.Integer()


class FilingSummaryPageSchema(PageSchema):
    year = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(FilingSummaryRowSchema))
    counts = ma.fields.Nested(FilingStatusCountsSchema, metadata={"description": "whole subtree"})
    all_confirmed = ma.fields.Boolean()
    label = ma.fields.String(metadata={"enum": ["未全部完成", "已全部完成"]})


class SmsMessageSchema(ma.Schema):
    id = ma.fields.Integer()
    phone = ma.fields.String()
    text = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    status = ma.fields.String(metadata={"enum": list(SMS_STATUSES)})
    attempts = ma.fields.Integer()
    sent_at = ma.fields.AwareDateTime(allow_none=True)


class SmsOutboxPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(SmsMessageSchema))
