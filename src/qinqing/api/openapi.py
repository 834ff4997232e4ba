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


#: answers to a body the API cannot read, whatever the endpoint
BODY_ANSWERS = {
    "400": {
        "description": "请求体不是有效的 JSON",
        "content": {"application/json": {"schema": ERROR_REF}},
    },
    "413": {
        "description": "请求内容过大",
        "content": {"application/json": {"schema": ERROR_REF}},
    },
}


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Declare 422 on every operation that takes parameters or a body, and 400 and 413 on
    every one that takes a body."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            declared = {str(code) for code in operation["responses"]}
            takes_input = bool(operation.get("parameters")) or "requestBody" in operation
            if takes_input and "422" not in declared:
                operation["responses"][422] = INVALID
            if "requestBody" in operation:
                for code, answer in BODY_ANSWERS.items():
                    if code not in declared:
                        operation["responses"][int(code)] = answer
    return document
