"""The routing table in /api/v1/demands/routing-rules: region × category → department.

The twin of the web's /demands/routing/ page, for the coordinators of a region: the same
service sets or removes a rule, and only inside the coordinator's own region subtree.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import has_role
from qinqing.api.schemas import Error
from qinqing.common.errors import NotPermitted
from qinqing.common.pagination import page_fields_next, paginate

from . import selectors, services
from .models import RoutingRule

router = Router(tags=["demands"])
PER_PAGE = 50


class DemandRoutingRuleIn(Schema):
    department_id: int


class DemandRoutingRuleOut(Schema):
    id: int
    region_id: int
    region_code: str
    region_name: str
    category_id: int
    category_code: str
    category_name: str
    department_id: int
    department_name: str


class DemandRoutingRulePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None
    items: list[DemandRoutingRuleOut]


def _coordinator(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not has_role(user, Role.COORDINATOR):
        raise NotPermitted(_("您没有执行此操作的权限。"))
    return user


def _rule(r: RoutingRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "region_id": r.region_id,
        "region_code": r.region.code,
        "region_name": r.region.name,
        "category_id": r.category_id,
        "category_code": r.category.code,
        "category_name": r.category.name,
        "department_id": r.department_id,
        "department_name": r.department.name,
    }


def _visible(user: Any, region_id: int, category_id: int) -> RoutingRule:
    rule = (
        selectors.routing_rules_for(user=user)
        .filter(region_id=region_id, category_id=category_id)
        .first()
    )
    if rule is None:
        raise HttpError(404, "not found")
    return rule


@router.get(
    "",
    response={200: DemandRoutingRulePage, 401: Error, 403: Error, 422: Error},
    summary="本辖区的派单规则（区域×类别→责任部门；家园协调员）",
)
def rule_list(request: HttpRequest, page: int = Query(1, ge=1)) -> dict[str, Any]:
    user = _coordinator(request)
    current = paginate(selectors.routing_rules_for(user=user), page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [_rule(r) for r in current.object_list]}


@router.get(
    "/{region_id}/{category_id}",
    response={200: DemandRoutingRuleOut, 401: Error, 403: Error, 404: Error},
    summary="一条派单规则",
)
def rule_get(request: HttpRequest, region_id: int, category_id: int) -> dict[str, Any]:
    return _rule(_visible(_coordinator(request), region_id, category_id))


@router.put(
    "/{region_id}/{category_id}",
    response={200: DemandRoutingRuleOut, 401: Error, 403: Error, 404: Error, 422: Error},
    summary="设置派单规则（已有则改派；只能设置本辖区的区域，部门须服务该区域）",
)
def rule_set(
    request: HttpRequest, region_id: int, category_id: int, body: DemandRoutingRuleIn
) -> dict[str, Any]:
    user = _coordinator(request)
    rule = services.routing_rule_set(
        actor=user, region_id=region_id, category_id=category_id, department_id=body.department_id
    )
    assert rule is not None
    return _rule(_visible(user, rule.region_id, rule.category_id))


@router.delete(
    "/{region_id}/{category_id}",
    response={204: None, 401: Error, 403: Error, 404: Error},
    summary="删除派单规则（此后该区域该类别的诉求由协调员人工派单）",
)
def rule_remove(request: HttpRequest, region_id: int, category_id: int) -> tuple[int, None]:
    user = _coordinator(request)
    rule = _visible(user, region_id, category_id)
    services.routing_rule_set(
        actor=user, region_id=rule.region_id, category_id=rule.category_id, department_id=None
    )
    return 204, None
