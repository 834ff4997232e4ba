"""Optimistic concurrency over HTTP for the objects that have a workflow and a ``version``.

A detail and every answer to an action carry ``ETag: W/"<version>"``; an action sent with
``If-Match`` is refused with 412 when the object has moved on since that version (the body's
``version`` field keeps working as before and answers 409 when stale).
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from qinqing.common.errors import ServiceError

_TAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


class PreconditionFailed(ServiceError):
    code = "precondition_failed"
    status = 412


def etag(version: int) -> str:
    return f'W/"{version}"'


def tag(response: HttpResponse, version: int) -> None:
    response["ETag"] = etag(version)


def check_if_match(request: HttpRequest, version: int) -> None:
    """Refuse when ``If-Match`` names another version than the object's current one."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return
    tags = [_TAG.match(part) for part in header.split(",")]
    if not any(m and int(m.group(1)) == version for m in tags):
        raise PreconditionFailed(
            _("该记录已被他人修改（当前版本 %(version)s），请刷新后重试。") % {"version": version}
        )
