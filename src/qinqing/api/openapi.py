"""What every operation can answer because of the API itself, added to the document.

ninja validates path, query and body parameters before an endpoint runs and answers 422 in
the API's error format when they do not parse; an endpoint's own ``response=`` cannot know
that. The document is completed here, once, so an integrator's generated client knows every
status it can receive.
"""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: answers the API itself gives, whatever the endpoint
INVALID = {
    "description": "输入有误：参数或请求体不符合要求（field_errors 列出各字段的问题）",
    "content": {"application/json": {"schema": ERROR_REF}},
}


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Declare 422 on every operation that takes parameters or a body."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            declared = {str(code) for code in operation["responses"]}
            takes_input = bool(operation.get("parameters")) or "requestBody" in operation
            if takes_input and "422" not in declared:
                operation["responses"][422] = INVALID
    return document
