from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from ninja import Field, Schema
from pydantic import WithJsonSchema

#: every ``code`` an error body of the API can carry, and what it means (docs/api.md)
ERROR_CODES: dict[str, str] = {
    "invalid": "输入有误（field_errors 列出各字段）/ invalid input",
    "malformed_json": "请求体不是有效的 JSON / the body is not JSON",
    "control_characters": "文本含控制字符 / text carries control characters",
    "too_large": "请求内容过大 / the request is too large",
    "upload_refused": "文件未通过检查 / a file was refused",
    "upload_rejected": "导入文件无法读取 / an import file cannot be read",
    "unauthorized": "未登录或令牌无效 / no valid token",
    "login_failed": "用户名或密码错误，或账户已锁定 / sign-in failed",
    "forbidden": "无权执行此操作 / not permitted",
    "not_found": "未找到或无权查看 / not found (or not visible to you)",
    "method_not_allowed": "不支持该请求方法 / method not allowed",
    "conflict": "与当前状态冲突（如版本已过期） / conflicts with the current state",
    "precondition_failed": "If-Match 所示版本已过期 / the If-Match version is stale",
    "too_many": "请求过于频繁 / too many requests",
    "error": "其他错误 / another error",
}


class Error(Schema):
    detail: str = Field(..., description="给人看的说明，中文优先（随 Accept-Language）")
    code: str = Field(
        "error",
        description="机器可读的错误类别 / machine-readable kind: " + ", ".join(ERROR_CODES),
    )
    field_errors: dict[str, list[str]] = {}


def choices_schema(choices: type[TextChoices], *, nullable: bool = False) -> WithJsonSchema:
    """A field's choices written out in place (``Annotated[State, choices_schema(State)]``).

    Django's choice classes are named for their app (``State``, ``Action``, ``Kind``), and the
    document names a referenced enum by its class name alone: two apps' ``State`` would
    overwrite each other. Written in place, each field documents its own values.
    """
    schema: dict[str, Any] = {"type": "string", "enum": [str(v) for v in choices.values]}
    if nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return WithJsonSchema(schema)
