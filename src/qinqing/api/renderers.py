"""The API's JSON: every timestamp in Asia/Shanghai (ISO 8601 with +08:00), whatever the source.

Timestamps are stored in UTC; a response built from a model field would otherwise come out
as ``…Z`` while one built from ``timezone.localtime`` comes out as ``…+08:00``. The encoder
converts every aware ``datetime`` to the current time zone (``TIME_ZONE``) before it is
written, so one integrator's parser reads every field of every endpoint the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


class LocalTimeJSONEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
        return super().default(o)


class LocalTimeJSONRenderer(JSONRenderer):
    encoder_class = LocalTimeJSONEncoder
