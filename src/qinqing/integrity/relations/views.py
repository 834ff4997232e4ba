"""Pages of the conflict graph: people, alerts, match candidates, import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.spreadsheet import csv_response, xlsx_response
from qinqing.directory.importexport import UploadRejected

from . import selectors as sel
from . import services as svc
from .forms import DecisionForm, FamilyForm, FirmForm, ImportForm, PersonForm
from .graph import FIRM, PERSON
from .importexport import COLUMNS, TEMPLATE_ROWS, relations_import
from .models import AlertState, ConflictAlert, Person
from .permissions import may_confirm_matches, may_declare, may_maintain, may_read_alerts
from .svg import neighbourhood_svg


def _ctx(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "maintainer": may_maintain(user),
        "confirmer": may_confirm_matches(user),
        "declarer": may_declare(user),
        "alert_reader": may_read_alerts(user),
        **extra,
    }


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_maintain(user):
        if may_declare(user):
            person = svc.own_person(actor=user)
            return redirect("relations:person_detail", person.pk)
        raise PermissionDenied
    q = (request.GET.get("q") or "").strip()
    people = sel.people_visible_to(user).order_by("name", "pk")
    if q:
        people = people.filter(Q(name__icontains=q) | Q(name_key__icontains=q))
    page = paginate(people, request.GET.get("page"))
    return render(
        request,
        "relations/index.html",
        _ctx(request, page=page, q=q, form=PersonForm(), open_alerts=sel.open_alerts(user)[:5]),
    )


@login_required
@require_POST
def person_new(request: HttpRequest) -> HttpResponse:
    if not may_maintain(request.user):
        raise PermissionDenied
    form = PersonForm(request.POST)
    if form.is_valid():
        try:
            person = svc.person_create(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("relations:person_detail", person.pk)
    page = paginate(sel.people_visible_to(request.user).order_by("name", "pk"), 1)
    return render(
        request, "relations/index.html", _ctx(request, page=page, q="", form=form), status=422
    )


def _person_page(
    request: HttpRequest,
    person: Person,
    *,
    family_form: FamilyForm | None = None,
    firm_form: FirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    conflicts = []
    if person.user_id is not None:
        conflicts = sel.find_conflicts(
            user=person.user, enterprise_ids=sel.contact_firm_ids(person.user_id)
        )
    highlight = {(n.kind, n.id) for p in conflicts for n in p.nodes}
    relations = sel.person_relations(person)
    # link only the people the reader may open (an official sees the relatives they declared)
    others = {r.to_person_id for r in relations} | {r.from_person_id for r in relations}
    openable = set(
        sel.people_visible_to(request.user).filter(pk__in=others).values_list("pk", flat=True)
    )
    return render(
        request,
        "relations/person_detail.html",
        _ctx(
            request,
            person=person,
            relations=relations,
            openable=openable,
            firms=sel.firm_relations(person),
            contacts=sel.platform_contacts(person),
            conflicts=conflicts,
            picture=neighbourhood_svg(person.pk, highlight=highlight),
            family_form=family_form or FamilyForm(),
            firm_form=firm_form or FirmForm(),
            may_edit=svc._may_edit_person(request.user, person),
            today=timezone.localdate(),
            PERSON=PERSON,
            FIRM=FIRM,
        ),
        status=status,
    )


def _visible_person(request: HttpRequest, person_id: int) -> Person:
    person = sel.people_visible_to(request.user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person


@login_required
@require_GET
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _visible_person(request, person_id)
    svc.person_record_view(actor=request.user, person=person)
    return _person_page(request, person)


@login_required
@require_POST
def relative_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _visible_person(request, person_id)
    form = FamilyForm(request.POST)
    if form.is_valid():
        try:
            svc.relative_add(actor=request.user, person_id=person.pk, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已登记。"))
            return redirect("relations:person_detail", person.pk)
    return _person_page(request, person, family_form=form, status=422)


@login_required
@require_POST
def firm_add(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _visible_person(request, person_id)
    form = FirmForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        firm = sel.enterprise_by_uscc(data["uscc"])
        try:
            if firm is None:
                raise ServiceError(
                    _("找不到该企业。"), field_errors={"uscc": [_("找不到该企业。")]}
                )
            svc.relation_create(
                actor=request.user,
                from_person_id=person.pk,
                kind=data["kind"],
                enterprise_id=firm.pk,
                percentage=data["percentage"],
                title=data["title"],
                valid_from=data["valid_from"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已登记。"))
            return redirect("relations:person_detail", person.pk)
    return _person_page(request, person, firm_form=form, status=422)


@login_required
@require_POST
def relation_end(request: HttpRequest, person_id: int, kind: str, relation_id: int) -> HttpResponse:
    person = _visible_person(request, person_id)
    try:
        svc.relation_end(actor=request.user, relation_id=relation_id, firm=kind == "firm")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("关系已终止。"))
    return redirect("relations:person_detail", person.pk)


# --- alerts ---------------------------------------------------------------------------------
@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = sel.alerts_visible_to(request.user)
    state = request.GET.get("state") or ""
    if state in AlertState.values:
        alerts = alerts.filter(state=state)
    if request.GET.get("format") in ("xlsx", "csv"):
        if not may_read_alerts(request.user):
            raise PermissionDenied
        header = [_("时间"), _("干部"), _("企业"), _("事项"), _("关系路径"), _("状态"), _("理由")]
        rows = [
            [
                timezone.localtime(a.created_at).strftime("%Y-%m-%d %H:%M"),
                str(a.official),
                a.enterprise.name if a.enterprise else "",
                a.context,
                a.description,
                a.get_state_display(),
                a.reason,
            ]
            for a in alerts
        ]
        svc.alerts_export_record(actor=request.user, rows=len(rows))
        name = f"conflict-alerts-{timezone.localdate():%Y%m%d}"
        if request.GET["format"] == "csv":
            return csv_response(f"{name}.csv", header, rows)
        return xlsx_response(f"{name}.xlsx", _("利益冲突预警"), header, rows)
    page = paginate(alerts, request.GET.get("page"))
    return render(
        request,
        "relations/alert_list.html",
        _ctx(request, page=page, state=state, states=AlertState.choices),
    )


def _visible_alert(request: HttpRequest, alert_id: int) -> ConflictAlert:
    alert = sel.alerts_visible_to(request.user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return alert


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _visible_alert(request, alert_id)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            svc.alert_decide(
                actor=request.user,
                alert_id=alert.pk,
                recuse=request.POST.get("decision") == "recuse",
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            status = 422 if exc.status == 422 else exc.status
        else:
            messages.success(request, _("已记录您的决定。"))
            return redirect("relations:alert_detail", alert.pk)
    return render(
        request,
        "relations/alert_detail.html",
        _ctx(
            request,
            alert=alert,
            form=form,
            paths=alert.path.get("paths", []),
            mine=alert.official_id == request.user.pk,
        ),
        status=status,
    )


# --- match candidates -----------------------------------------------------------------------
@login_required
@require_GET
def candidate_list(request: HttpRequest) -> HttpResponse:
    if not may_confirm_matches(request.user):
        raise PermissionDenied
    page = paginate(sel.pending_candidates(request.user), request.GET.get("page"))
    return render(request, "relations/candidate_list.html", _ctx(request, page=page))


@login_required
@require_POST
def candidate_decide(request: HttpRequest, candidate_id: int) -> HttpResponse:
    if not may_confirm_matches(request.user):
        raise PermissionDenied
    candidate = sel.candidates_visible_to(request.user).filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404
    confirm = request.POST.get("decision") == "confirm"
    try:
        svc.candidate_decide(
            actor=request.user,
            candidate_id=candidate.pk,
            confirm=confirm,
            note=posted_text(request.POST, "note"),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认为同一人。") if confirm else _("已标记为不同的人。"))
    return redirect("relations:candidate_list")


# --- import ---------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    if not may_maintain(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = relations_import(actor=request.user, upload=form.cleaned_data["file"])
        except UploadRejected as exc:
            apply_service_error(form, exc)
            status = 422
    return render(
        request,
        "relations/import.html",
        _ctx(request, form=form, result=result, columns=COLUMNS),
        status=status,
    )


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    if not may_maintain(request.user):
        raise PermissionDenied
    if request.GET.get("format") == "csv":
        return csv_response("relations-template.csv", COLUMNS, TEMPLATE_ROWS)
    return xlsx_response("relations-template.xlsx", _("关系数据"), COLUMNS, TEMPLATE_ROWS)
