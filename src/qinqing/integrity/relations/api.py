"""The /api/v1/relations router: people, relations, conflict search, alerts, candidates,
import. Thin over ``services`` and ``selectors``: another person's id outside the caller's
scope answers 404; the services check permission (403) and input (422)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema, UploadedFile
from ninja.errors import HttpError

from qinqing.api.schemas import Error
from qinqing.common.pagination import page_fields_next, paginate

from . import selectors as sel
from . import services as svc
from .importexport import relations_import
from .models import ConflictAlert, FirmRelation, MatchCandidate, Person, PersonRelation
from .permissions import may_confirm_matches, may_maintain, may_use_graph

router = Router(tags=["关系图谱"])
PER_PAGE = 20


# --- schemas --------------------------------------------------------------------------------
class RelationPersonOut(Schema):
    id: int
    name: str
    gender: str
    id_last4: str
    user_id: int | None
    source: str


class PersonPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[RelationPersonOut]


class PersonIn(Schema):
    name: str
    gender: str = ""
    id_number: str = ""
    user_id: int | None = None
    note: str = ""


class RelationIn(Schema):
    from_person_id: int
    kind: str
    to_person_id: int | None = None
    enterprise_id: int | None = None
    percentage: str | None = None
    title: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class RelationOut(Schema):
    id: int
    type: str  # "person" | "firm"
    kind: str
    from_person_id: int
    to_person_id: int | None
    enterprise_id: int | None
    percentage: str | None
    title: str
    valid_from: dt.date | None
    valid_to: dt.date | None


class EndIn(Schema):
    valid_to: dt.date | None = None


class PathNodeOut(Schema):
    kind: str
    id: int
    label: str


class PathOut(Schema):
    nodes: list[PathNodeOut]
    relations: list[str]
    length: int
    enterprise_id: int | None
    user_id: int | None
    text: str


class SearchIn(Schema):
    user_id: int
    enterprise_ids: list[int] = []
    user_ids: list[int] = []
    max_hops: int = 3


class AlertOut(Schema):
    id: int
    official_id: int
    official_name: str
    enterprise_id: int | None
    other_user_id: int | None
    description: str
    context: str
    state: str
    reason: str
    paths: list[PathOut]
    created_at: dt.datetime


class AlertPage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[AlertOut]


class RecusalDecisionIn(Schema):
    recuse: bool
    reason: str = ""


class CandidateOut(Schema):
    id: int
    left_id: int
    left_name: str
    right_id: int
    right_name: str
    score: int
    reasons: list[str]
    state: str


class CandidatePage(Schema):
    count: int
    page: int
    pages: int
    next: str | None = None
    items: list[CandidateOut]


class CandidateIn(Schema):
    confirm: bool
    note: str = ""


class RowErrorOut(Schema):
    row: int
    key: str
    reasons: list[str]


class ImportOut(Schema):
    rows: int
    created: int
    people: int
    candidates: int
    failed: list[RowErrorOut]


# --- helpers --------------------------------------------------------------------------------
def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _person(p: Person) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "gender": p.gender,
        "id_last4": p.id_last4,
        "user_id": p.user_id,
        "source": p.source,
    }


def _relation(r: PersonRelation | FirmRelation) -> dict[str, Any]:
    if isinstance(r, FirmRelation):
        return {
            "id": r.pk,
            "type": "firm",
            "kind": r.kind,
            "from_person_id": r.person_id,
            "to_person_id": None,
            "enterprise_id": r.enterprise_id,
            "percentage": str(r.percentage) if r.percentage is not None else None,
            "title": r.title,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
        }
    return {
        "id": r.pk,
        "type": "person",
        "kind": r.kind,
        "from_person_id": r.from_person_id,
        "to_person_id": r.to_person_id,
        "enterprise_id": None,
        "percentage": None,
        "title": r.detail,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
    }


def _alert(a: ConflictAlert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "official_id": a.official_id,
        "official_name": str(a.official),
        "enterprise_id": a.enterprise_id,
        "other_user_id": a.other_user_id,
        "description": a.description,
        "context": a.context,
        "state": a.state,
        "reason": a.reason,
        "paths": a.path.get("paths", []),
        "created_at": a.created_at,
    }


def _candidate(c: MatchCandidate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "left_id": c.left_id,
        "left_name": c.left.name,
        "right_id": c.right_id,
        "right_name": c.right.name,
        "score": c.score,
        "reasons": list(c.reasons),
        "state": c.state,
    }


def _visible_person(user: Any, person_id: int) -> Person:
    person = sel.people_visible_to(user).filter(pk=person_id).first()
    if person is None:
        raise HttpError(404, "not found")
    return person


# --- people ---------------------------------------------------------------------------------
@router.get(
    "/people",
    response={200: PersonPage, 401: Error, 403: Error},
    summary="可见的人员（监督员、系统管理员：全部；干部：本人及本人申报的关系人）",
)
def person_list(request: HttpRequest, q: str = "", page: int = 1) -> dict[str, Any]:
    user = _user(request)
    if not may_use_graph(user):
        raise HttpError(403, "forbidden")
    qs = sel.people_visible_to(user).order_by("name", "pk")
    if q:
        qs = qs.filter(name__icontains=q)
    current = paginate(qs, page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_person(p) for p in current.object_list],
    }


@router.post(
    "/people",
    response={201: RelationPersonOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="登记人员（身份证号只存摘要和后四位；相近姓名进入疑似同一人，不合并）",
)
def person_create(request: HttpRequest, body: PersonIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    linked = None
    if body.user_id is not None:
        from qinqing.accounts.models import User

        linked = User.objects.filter(pk=body.user_id).first()
        if linked is None or not may_maintain(user):
            raise HttpError(404 if may_maintain(user) else 403, "not found")
    person = svc.person_create(
        actor=user,
        name=body.name,
        gender=body.gender,
        id_number=body.id_number,
        user=linked,
        note=body.note,
    )
    return 201, _person(person)


@router.get(
    "/people/me",
    response={200: RelationPersonOut, 401: Error, 403: Error},
    summary="本人（申报个人有关事项用；首次使用时创建）",
)
def person_me(request: HttpRequest) -> dict[str, Any]:
    return _person(svc.own_person(actor=_user(request)))


@router.get(
    "/people/{person_id}",
    response={200: RelationPersonOut, 401: Error, 404: Error},
    summary="一个人员",
)
def person_get(request: HttpRequest, person_id: int) -> dict[str, Any]:
    user = _user(request)
    person = _visible_person(user, person_id)
    svc.person_record_view(actor=user, person=person)
    return _person(person)


@router.get(
    "/people/{person_id}/relations",
    response={200: list[RelationOut], 401: Error, 404: Error},
    summary="一个人员的家庭关系与人企关系（含已终止的）",
)
def person_relations(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    person = _visible_person(_user(request), person_id)
    rows: list[PersonRelation | FirmRelation] = [
        *sel.person_relations(person),
        *sel.firm_relations(person),
    ]
    return [_relation(r) for r in rows]


@router.post(
    "/relations",
    response={201: RelationOut, 401: Error, 403: Error, 409: Error, 422: Error},
    summary="登记关系：家庭（to_person_id）或企业（enterprise_id；持股须填比例）",
)
def relation_create(request: HttpRequest, body: RelationIn) -> tuple[int, dict[str, Any]]:
    relation = svc.relation_create(actor=_user(request), **body.dict())
    return 201, _relation(relation)


@router.post(
    "/relations/{kind}/{relation_id}/end",
    response={200: RelationOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="终止关系（kind 为 person 或 firm）；历史保留",
)
def relation_end(request: HttpRequest, kind: str, relation_id: int, body: EndIn) -> dict[str, Any]:
    if kind not in ("person", "firm"):
        raise HttpError(404, "not found")
    relation = svc.relation_end(
        actor=_user(request), relation_id=relation_id, firm=kind == "firm", valid_to=body.valid_to
    )
    return _relation(relation)


@router.post(
    "/search",
    response={200: list[PathOut], 401: Error, 403: Error, 404: Error},
    summary="查找一名干部到企业或其他人员的关系路径（监督员、系统管理员）",
)
def search(request: HttpRequest, body: SearchIn) -> list[dict[str, Any]]:
    from qinqing.accounts.models import User

    if not may_maintain(_user(request)):
        raise HttpError(403, "forbidden")
    official = User.objects.filter(pk=body.user_id).first()
    if official is None:
        raise HttpError(404, "not found")
    paths = sel.find_conflicts(
        user=official,
        enterprise_ids=body.enterprise_ids,
        user_ids=body.user_ids,
        max_hops=max(1, min(body.max_hops, 5)),
    )
    return [p.as_json() for p in paths]


# --- alerts ---------------------------------------------------------------------------------
@router.get(
    "/alerts",
    response={200: AlertPage, 401: Error},
    summary="利益冲突预警（监督员：本辖区；干部：本人的）",
)
def alert_list(request: HttpRequest, state: str = "", page: int = 1) -> dict[str, Any]:
    qs = sel.alerts_visible_to(_user(request))
    if state:
        qs = qs.filter(state=state)
    current = paginate(qs, page, PER_PAGE)
    return {**page_fields_next(current, request), "items": [_alert(a) for a in current.object_list]}


@router.get("/alerts/{alert_id}", response={200: AlertOut, 401: Error, 404: Error})
def alert_get(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    alert = sel.alerts_visible_to(_user(request)).filter(pk=alert_id).first()
    if alert is None:
        raise HttpError(404, "not found")
    return _alert(alert)


@router.post(
    "/alerts/{alert_id}/decision",
    response={200: AlertOut, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
    summary="干部本人：申请回避（recuse=true），或说明理由后继续办理",
)
def alert_decision(request: HttpRequest, alert_id: int, body: RecusalDecisionIn) -> dict[str, Any]:
    user = _user(request)
    if not sel.alerts_visible_to(user).filter(pk=alert_id).exists():
        raise HttpError(404, "not found")
    return _alert(
        svc.alert_decide(actor=user, alert_id=alert_id, recuse=body.recuse, reason=body.reason)
    )


# --- candidates -----------------------------------------------------------------------------
@router.get(
    "/candidates",
    response={200: CandidatePage, 401: Error, 403: Error},
    summary="待确认的疑似同一人（监督员）",
)
def candidate_list(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    user = _user(request)
    if not may_confirm_matches(user):
        raise HttpError(403, "forbidden")
    current = paginate(sel.pending_candidates(user), page, PER_PAGE)
    return {
        **page_fields_next(current, request),
        "items": [_candidate(c) for c in current.object_list],
    }


@router.post(
    "/candidates/{candidate_id}/decision",
    response={200: CandidateOut, 401: Error, 403: Error, 404: Error, 409: Error},
    summary="确认或否定疑似同一人；确认后两人以“同一人”关联",
)
def candidate_decision(
    request: HttpRequest, candidate_id: int, body: CandidateIn
) -> dict[str, Any]:
    user = _user(request)
    if not may_confirm_matches(user):
        raise HttpError(403, "forbidden")
    if not sel.candidates_visible_to(user).filter(pk=candidate_id).exists():
        raise HttpError(404, "not found")
    candidate = svc.candidate_decide(
        actor=user, candidate_id=candidate_id, confirm=body.confirm, note=body.note
    )
    return _candidate(MatchCandidate.objects.select_related("left", "right").get(pk=candidate.pk))


# --- import ---------------------------------------------------------------------------------
@router.post(
    "/import",
    response={200: ImportOut, 401: Error, 403: Error, 422: Error},
    summary="导入家庭与持股数据（.xlsx/.csv，一次1个文件，按行报告错误，Excel 行号）",
)
def import_file(request: HttpRequest, file: UploadedFile = File(...)) -> dict[str, Any]:  # noqa: B008
    from qinqing.common.files import refuse_several

    refuse_several(request.FILES, field="file")
    result = relations_import(actor=_user(request), upload=file)
    return {
        "rows": result.report.total,
        "created": result.report.created,
        "people": result.people,
        "candidates": result.candidates,
        "failed": [
            {"row": i.row, "key": i.key, "reasons": i.reasons} for i in result.report.failed
        ],
    }
