"""The API's request parser: JSON bodies, query strings and form bodies, checked as read.

Every text value that reaches an endpoint passes through here, whatever its schema:

- a body that is not JSON is refused with ``MalformedBody`` (400, ``code: "malformed_json"``);
- a control character anywhere (a value or a key, at any depth) is refused with
  ``ControlCharacters`` (422), whose ``field_errors`` are keyed by the field's path
  (``title``, ``items.0.note``), like the schema errors.

Ninja wraps what ``parse_body`` raises in a 400 ``HttpError``; ``qinqing.api.api`` unwraps it
(the original is the ``__cause__``) so that the client gets the error it is owed.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from qinqing.common import controlchars
from qinqing.common.errors import ServiceError


class MalformedBody(ServiceError):
    code = "malformed_json"
    status = 400


class ControlCharacters(ServiceError):
    code = "control_characters"
    status = 422


def refuse_control(data: Any) -> None:
    errors = controlchars.field_errors(data)
    if errors:
        raise ControlCharacters(_("输入不能包含控制字符，请删除后重试。"), field_errors=errors)


class CheckedParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise MalformedBody(_("请求体不是有效的 JSON，请检查后重试。")) from None
        refuse_control(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        refuse_control({k: v for k, v in result.items() if isinstance(v, str | list)})
        return result
