"""marshmallow's validation messages in Chinese, installed once before any schema is defined.

marshmallow copies a field's `default_error_messages` and a validator's message templates
when the field or validator is created, that is when a schema class is defined. So they are
set here, from `miniapp_api.schemas/__init__.py`, which Python runs before any schema module:
every schema of the service then answers in Chinese without naming a message anywhere.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

FIELD_MESSAGES: dict[type, dict[str, str]] = {
    fields.Field: {
        "required": "缺少必填字段",
        "null": "不能为空",
        "validator_failed": "值无效",
    },
    fields.Nested: {"type": "须为对象"},
    fields.List: {"invalid": "须为列表"},
    fields.Tuple: {"invalid": "须为列表"},
    fields.String: {"invalid": "须为字符串", "invalid_utf8": "须为 UTF-8 字符串"},
    fields.UUID: {"invalid_uuid": "不是有效的 UUID"},
    fields.Number: {"invalid": "须为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "须为整数"},
    fields.Float: {"special": "不能是 NaN 或无穷大"},
    fields.Decimal: {"special": "不能是 NaN 或无穷大"},
    fields.Boolean: {"invalid": "须为布尔值（true 或 false）"},
    fields.DateTime: {
        "invalid": "时间格式无效，须为 ISO-8601，例如 2026-01-01T08:00:00+08:00",
        "invalid_awareness": "时间须带时区偏移，例如 2026-01-01T08:00:00+08:00",
        "format": "无法格式化为时间",
    },
    fields.Date: {"invalid": "日期格式无效，须为 YYYY-MM-DD", "format": "无法格式化为日期"},
    fields.Time: {"invalid": "时间格式无效，须为 HH:MM:SS", "format": "无法格式化为时间"},
    fields.TimeDelta: {"invalid": "时长无效", "format": "无法格式化为时长"},
    fields.Mapping: {"invalid": "须为对象"},
    fields.Url: {"invalid": "不是有效的网址"},
    fields.Email: {"invalid": "不是有效的电子邮箱"},
    fields.IP: {"invalid_ip": "不是有效的 IP 地址"},
    fields.Enum: {"unknown": "须为以下之一：{choices}"},
}
SCHEMA_MESSAGES = {"type": "输入类型无效，须为 JSON 对象", "unknown": "未知字段"}


def install_chinese_messages() -> None:
    """Replace marshmallow's English defaults with Chinese ones (idempotent)."""
    for field_class, messages in FIELD_MESSAGES.items():
        # each class's own dict, so that a subclass's own keys keep precedence as before
        field_class.default_error_messages = {
            **field_class.__dict__.get("default_error_messages", {}),
            **messages,
        }
    ma.Schema._default_error_messages = dict(SCHEMA_MESSAGES)
    validate.Range.message_gte = "不小于"
    validate.Range.message_gt = "大于"
    validate.Range.message_lte = "不大于"
    validate.Range.message_lt = "小于"
    validate.Range.message_min = "须{min_op} {{min}}"
    validate.Range.message_max = "须{max_op} {{max}}"
    validate.Range.message_all = "须{min_op} {{min}} 且{max_op} {{max}}"
    validate.Length.message_min = "长度不能少于 {min}"
    validate.Length.message_max = "长度不能超过 {max}"
    validate.Length.message_all = "长度须在 {min} 到 {max} 之间"
    validate.Length.message_equal = "长度须为 {equal}"
    validate.OneOf.default_message = "须为以下之一：{choices}"
    validate.NoneOf.default_message = "不能是以下之一：{values}"
    validate.ContainsOnly.default_message = "只能包含：{choices}"
    validate.ContainsNoneOf.default_message = "不能包含：{values}"
    validate.Equal.default_message = "须等于 {other}"
    validate.Regexp.default_message = "格式不正确"
    validate.Predicate.default_message = "值无效"
    validate.URL.default_message = "不是有效的网址"
    validate.Email.default_message = "不是有效的电子邮箱"
