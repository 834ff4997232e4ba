"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at ``/open311/v2/``.

Methods (each as ``.json`` and ``.xml``; UTF-8; times ISO 8601 in ``+08:00``):

- ``GET discovery`` – the service discovery document.
- ``GET services`` – the active demand categories: ``service_code`` = ``Category.code``,
  ``service_name``, ``description`` (the category's deadlines), ``metadata`` false,
  ``type`` realtime, ``keywords`` (name, code, parent name), ``group`` (the parent's name; a
  top-level category is its own group).
- ``GET services/{service_code}`` – the definition: one optional attribute ``uscc``.
- ``POST requests`` – create a demand (channel ``open311``), form-encoded:
  ``api_key`` (required) is an API token (``POST /api/v1/auth/token``) of a user who may
  submit for the firm (the firm's own account, its grid steward or the town coordinator);
  ``service_code`` (required); ``description`` (required, 5–4000 characters; its first line,
  cut to 30 characters, becomes the title); the firm is named by its unified social credit
  code (USCC) in ``attribute[uscc]`` or, if that is absent, in ``account_id``. The location
  parameters (``lat``/``long``/``address_string``/``address_id``) are optional here and
  ignored: a demand is located at the firm's registered grid. ``email``, ``device_id``,
  ``first_name``, ``last_name``, ``phone`` and ``media_url`` are ignored and never stored.
  Answers 201 with ``[{service_request_id, service_notice, account_id}]``.
- ``GET requests`` – public list: ``service_request_id`` (comma list; overrides the rest),
  ``service_code`` (comma list), ``start_date``/``end_date`` (w3 ISO 8601; a missing bound is
  90 days from the other, both missing = the last 90 days; a wider span is refused),
  ``status`` (``open``, ``closed`` or both). At most 1000 requests, newest first.
- ``GET requests/{service_request_id}`` – one request (the readable number ``SQ-2026-000123``).

What the public methods publish. A firm's demand is not a public street report: it may
carry business secrets, and a firm's name next to a complaint about the tax office can harm
it. So the public answers carry only the case's *process*, never its content or its firm:
``service_request_id`` (the readable number), ``status`` (``open`` for every open state,
``closed`` for closed and withdrawn), ``status_notes`` (the state's label, and the number a
duplicate was merged into), ``service_name``/``service_code``, ``description`` (always the
fixed text ``PUBLIC_DESCRIPTION``, never the firm's words), ``agency_responsible`` (the
handling department's name), ``service_notice`` (the category's deadlines),
``requested_datetime``, ``updated_datetime`` (the closing time for closed cases),
``expected_datetime`` (the resolution deadline), ``address`` (the town/street name only) and
an empty ``zipcode``. Never published: the title, the description, the reply and ratings,
the firm's name, USCC, address, legal representative or phone, the submitting user, the
grid, and coordinates (``lat``/``long``, ``address_id`` and ``media_url`` are omitted).

Errors follow the spec: ``[{"code": 400, "description": "…"}]`` or
``<errors><error><code>400</code><description>…</description></error></errors>``, with HTTP
403 for a missing or invalid ``api_key`` (or a firm the key may not submit for), 404 for an
unknown service code or request, and 400 for anything else.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.csrf import csrf_exempt

from qinqing.accounts.selectors import user_for_token
from qinqing.common.errors import NotPermitted, ServiceError
from qinqing.common.ranges import date_in_range, date_range_message
from qinqing.common.uscc import normalize, uscc_error
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import RegionLevel
from qinqing.directory.selectors import enterprises_visible_to, regions_all

from .models import Category, Channel, Demand
from .selectors import categories_active
from .services import demand_submit
from .workflow import OPEN_STATES, State

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+08:00"
WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_DESCRIPTION = 4000
TITLE_LENGTH = 30
PUBLIC_DESCRIPTION = _l("企业诉求，具体内容依法不予公开。")
STATUSES = {"open": OPEN_STATES, "closed": [State.CLOSED, State.WITHDRAWN]}

#: list element → item element, for the XML form of the Spark convention
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering ------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        for child in value:
            element.append(_element(ITEMS.get(tag, "item"), child))
    else:
        element.text = _text(value)
    return element


def render(fmt: str, root: str, payload: Any, status: int = 200) -> HttpResponse:
    """The payload as JSON, or as XML under ``root`` (lists itemised per ``ITEMS``)."""
    if fmt == "xml":
        tree = _element(root, payload)
        ET.indent(tree)
        body = ET.tostring(tree, encoding="unicode")
        content = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    else:
        content = json.dumps(payload, ensure_ascii=False)
    return HttpResponse(content.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [{"code": status, "description": description}], status)


View = Callable[..., HttpResponse]


def open311_view(*methods: str) -> Callable[[View], View]:
    """Allow ``methods``; turn Open311Error into the spec's error format. No CSRF: the
    GET methods are public and POST authenticates by ``api_key``, not by a cookie."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(fmt, 405, _("不支持该请求方法。"))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.description)

        return wrapped

    return decorate


# --- reads: public, no personal data ------------------------------------------------------
def public_requests() -> QuerySet[Demand]:
    """Every case, loading only the columns the public may see (never title or content)."""
    return Demand.objects.select_related("category", "department", "merged_into").only(
        "number",
        "state",
        "region_path",
        "submitted_at",
        "updated_at",
        "closed_at",
        "resolve_due_at",
        "category",
        "category__code",
        "category__name",
        "category__acceptance_days",
        "category__resolution_days",
        "department",
        "department__name",
        "merged_into",
        "merged_into__number",
    )


def service_notice(category: Category) -> str:
    return _("受理时限%(a)d个工作日，办结时限%(r)d个工作日（按工作日计算，法定节假日顺延）。") % {
        "a": category.acceptance_days,
        "r": category.resolution_days,
    }


def _service(category: Category) -> dict[str, Any]:
    group = category.parent.name if category.parent else category.name
    keywords = [category.name, category.code] + ([category.parent.name] if category.parent else [])
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("%(name)s类企业诉求。") % {"name": category.name}
        + service_notice(category),
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": group,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _towns(demands: Iterable[Demand]) -> dict[str, str]:
    """Region code → name, for the towns on the demands' region paths (one query)."""
    codes = {code for d in demands for code in d.region_path.strip("/").split("/") if code}
    towns = regions_all().filter(code__in=codes, level=RegionLevel.TOWN)
    return {r.code: r.name for r in towns}


def _town(demand: Demand, towns: dict[str, str]) -> str:
    for code in reversed(demand.region_path.strip("/").split("/")):
        if code in towns:
            return towns[code]
    return ""


def _status_notes(demand: Demand) -> str:
    label = str(demand.get_state_display())
    if demand.merged_into_id and demand.merged_into:
        return _("%(state)s（重复诉求，已合并至%(n)s）") % {
            "state": label,
            "n": demand.merged_into.number,
        }
    return label


def _public(demand: Demand, towns: dict[str, str]) -> dict[str, Any]:
    closed = demand.state in STATUSES["closed"]
    return {
        "service_request_id": demand.number,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(demand),
        "service_name": demand.category.name,
        "service_code": demand.category.code,
        "description": str(PUBLIC_DESCRIPTION),
        "agency_responsible": demand.department.name if demand.department else "",
        "service_notice": service_notice(demand.category),
        "requested_datetime": _iso(demand.submitted_at),
        "updated_datetime": _iso(
            demand.closed_at if closed and demand.closed_at else demand.updated_at
        ),
        "expected_datetime": _iso(demand.resolve_due_at),
        "address": _town(demand, towns),
        "zipcode": "",
    }


def _publish(demands: list[Demand]) -> list[dict[str, Any]]:
    towns = _towns(demands)
    return [_public(d, towns) for d in demands]


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(value: str | None, name: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    # an unencoded "+08:00" in a query string arrives as " 08:00"
    value = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(
            400, _("%(name)s 须为 ISO 8601 时间，如 2026-01-01T00:00:00+08:00。") % {"name": name}
        ) from None
    if not date_in_range(moment):
        raise Open311Error(400, date_range_message())
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment


def _window(request: HttpRequest) -> tuple[datetime, datetime]:
    start = _moment(request.GET.get("start_date"), "start_date")
    end = _moment(request.GET.get("end_date"), "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > WINDOW:
        raise Open311Error(400, _("查询时间跨度不能超过90天。"))
    return start, end


# --- views ----------------------------------------------------------------------------------
@open311_view("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    return render(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": _("亲清政商关系平台"),
            "key_service": _("在平台上为您的账号申请 API 令牌（POST /api/v1/auth/token）。"),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base.rsplit("/", 1)[0],
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@open311_view("GET")
def services(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return render(fmt, "services", [_service(c) for c in categories_active()])


@open311_view("GET")
def service_definition(request: HttpRequest, service_code: str, *, fmt: str) -> HttpResponse:
    if not categories_active().filter(code=service_code).exists():
        raise Open311Error(404, _("没有该 service_code：%(c)s。") % {"c": service_code})
    return render(
        fmt,
        "service_definition",
        {
            "service_code": service_code,
            "attributes": [
                {
                    "variable": True,
                    "code": "uscc",
                    "datatype": "string",
                    "required": False,
                    "datatype_description": _("18位统一社会信用代码"),
                    "order": 1,
                    "description": _(
                        "提出诉求的企业的统一社会信用代码；未填写时取 account_id，二者必有其一。"
                    ),
                }
            ],
        },
    )


@open311_view("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    wanted = _split(request.GET.get("service_request_id"))
    qs = public_requests()
    if wanted:
        qs = qs.filter(number__in=wanted[:MAX_RESULTS])
    else:
        start, end = _window(request)
        qs = qs.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = _split(request.GET.get("service_code"))
        if codes:
            qs = qs.filter(category__code__in=codes)
        statuses = _split(request.GET.get("status"))
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise Open311Error(400, _("status 只能是 open 或 closed。"))
        if statuses:
            qs = qs.filter(state__in=[state for s in statuses for state in STATUSES[s]])
    demands = list(qs.order_by("-submitted_at", "-pk")[:MAX_RESULTS])
    return render(fmt, "service_requests", _publish(demands))


@open311_view("GET")
def request_detail(request: HttpRequest, service_request_id: str, *, fmt: str) -> HttpResponse:
    demand = public_requests().filter(number=service_request_id).first()
    if demand is None:
        raise Open311Error(404, _("没有该诉求：%(n)s。") % {"n": service_request_id})
    return render(fmt, "service_requests", _publish([demand]))


# --- POST requests: create a demand --------------------------------------------------------
def _title(description: str) -> str:
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return first if len(first) <= TITLE_LENGTH else first[: TITLE_LENGTH - 1] + "…"


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    user = user_for_token(data.get("api_key") or "") if data.get("api_key") else None
    if user is None:
        raise Open311Error(403, _("api_key 缺失或无效，无法提交诉求。"))
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    category = categories_active().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("没有该 service_code：%(c)s。") % {"c": code})
    raw_uscc = (data.get("attribute[uscc]") or data.get("account_id") or "").strip()
    if not raw_uscc:
        raise Open311Error(
            400, _("请在 attribute[uscc] 或 account_id 中填写企业的统一社会信用代码。")
        )
    uscc = normalize(raw_uscc)
    problem = uscc_error(uscc)
    if problem:
        raise Open311Error(400, problem)
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, _("description 不超过4000字。"))
    enterprise = enterprises_visible_to(user).filter(uscc=uscc).first()
    if enterprise is None:
        raise Open311Error(403, _("您不能为该企业提交诉求。"))
    try:
        demand = demand_submit(
            actor=user,
            enterprise=enterprise,
            category=category,
            title=_title(description),
            description=description,
            channel=Channel.OPEN311,
        )
    except NotPermitted as exc:
        raise Open311Error(403, exc.message) from None
    except ServiceError as exc:
        raise Open311Error(400, exc.message) from None
    return render(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": demand.number,
                "service_notice": service_notice(category),
                "account_id": uscc,
            }
        ],
        status=201,
    )
