"""The audit chain in /api/v1: the audit admin verifies it (the twin of the web's
"校验审计链" button). Thin over ``services``: the same check, the same audit record."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from qinqing.api.schemas import Error

from .services import REASONS, verify_chain, verify_message

router = Router(tags=["audit"])


class AuditVerifyOut(Schema):
    ok: bool = Field(..., description="审计链是否完整")
    checked: int = Field(..., description="已校验的记录条数")
    first_bad_seq: int | None = Field(None, description="第一条有问题的记录序号（完整时为空）")
    reason: str = Field(
        "", description="问题类别：changed（被修改）、missing（缺失）、broken_link（链接断裂）"
    )
    reason_label: str = Field("", description="问题类别的说明")
    head_seq: int = Field(..., description="链头记录的序号")
    message: str = Field(..., description="给人看的结论")


@router.post(
    "/verify",
    response={200: AuditVerifyOut, 401: Error, 403: Error},
    summary="校验审计链（仅审计管理员）：完整与否、第一条有问题的记录、已校验条数",
)
def verify(request: HttpRequest) -> dict[str, Any]:
    result = verify_chain(actor=request.auth)  # type: ignore[attr-defined]
    return {
        "ok": result.ok,
        "checked": result.checked,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
        "reason_label": str(REASONS.get(result.reason, result.reason)) if result.reason else "",
        "head_seq": result.head_seq,
        "message": verify_message(result),
    }
