"""Web pages for 矛盾调解: list with counts, open a case, sessions, close with the agreement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from qinqing.accounts.models import Role, User
from qinqing.accounts.scopes import has_role
from qinqing.common.errors import ServiceError
from qinqing.common.forms import OneFileField
from qinqing.common.pagination import paginate
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Region

from . import mediation
from .models import DisputeType, MediationCase, MediationOutcome, PartyKind

PARTY_ROWS = 4


def _coordinator_regions(user: Any) -> list[Region]:
    return mediation.mediation_regions_for(user)


def _mediators(regions: list[Region]) -> list[User]:
    return mediation.mediators_for(regions)


class OpenForm(forms.Form):
    region = forms.TypedChoiceField(label=gettext_lazy("所在区域"), coerce=int)
    dispute_type = forms.ChoiceField(label=gettext_lazy("纠纷类型"), choices=DisputeType.choices)
    title = forms.CharField(label=gettext_lazy("案由"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("纠纷概况"), widget=forms.Textarea, max_length=5000
    )
    mediator = forms.TypedChoiceField(label=gettext_lazy("调解员"), coerce=int)


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(
        label=gettext_lazy("调解时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=120, required=False)
    notes = forms.CharField(label=gettext_lazy("调解记录"), widget=forms.Textarea, max_length=10000)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("调解结果"), choices=MediationOutcome.choices)
    note = forms.CharField(label=gettext_lazy("结果说明"), widget=forms.Textarea, max_length=5000)
    agreement = OneFileField(label=gettext_lazy("调解协议（PDF/JPG/PNG）"), required=False)


def _staff(request: HttpRequest) -> None:
    if not has_role(request.user, Role.COORDINATOR, Role.SUPERVISOR, Role.STEWARD):
        raise PermissionDenied


@login_required
@require_GET
def mediation_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    qs = mediation.mediations_visible_to(request.user)
    state = request.GET.get("state", "")
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state in MediationOutcome.values:
        qs = qs.filter(outcome=state)
    return render(
        request,
        "demands/mediation_list.html",
        {
            "page": paginate(qs, request.GET.get("page")),
            "summary": mediation.mediation_summary(user=request.user),
            "outcomes": MediationOutcome.choices,
            "state": state,
            "can_open": has_role(request.user, Role.COORDINATOR),
        },
    )


def _parties_from(post: Any) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    parties, rows = [], []
    for i in range(PARTY_ROWS):
        row = {
            k: (post.get(f"party-{i}-{k}") or "").strip() for k in ("kind", "name", "phone", "uscc")
        }
        rows.append(row)
        if not row["name"]:
            continue
        enterprise = mediation.party_enterprise(row["uscc"])
        parties.append(
            {
                "kind": row["kind"],
                "name": row["name"],
                "phone": row["phone"],
                "enterprise": enterprise,
            }
        )
    return parties, rows


@login_required
def mediation_open_view(request: HttpRequest) -> HttpResponse:
    regions = _coordinator_regions(request.user)
    if not regions:
        raise PermissionDenied
    mediators = _mediators(regions)
    form = OpenForm(request.POST or None)
    region_field = form.fields["region"]
    mediator_field = form.fields["mediator"]
    assert isinstance(region_field, forms.ChoiceField)
    assert isinstance(mediator_field, forms.ChoiceField)
    region_field.choices = [(r.pk, f"{'　' * (r.level - 3)}{r.name}") for r in regions]
    mediator_field.choices = [(u.pk, str(u)) for u in mediators]
    parties, rows = (
        _parties_from(request.POST)
        if request.method == "POST"
        else (
            [],
            [
                {"kind": "firm" if i == 0 else "worker", "name": "", "phone": "", "uscc": ""}
                for i in range(PARTY_ROWS)
            ],
        )
    )
    party_error = ""
    if request.method == "POST" and form.is_valid():
        try:
            case = mediation.mediation_open(
                actor=request.user,
                region=next(r for r in regions if r.pk == form.cleaned_data["region"]),
                dispute_type=form.cleaned_data["dispute_type"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                mediator=next(
                    (u for u in mediators if u.pk == form.cleaned_data["mediator"]), None
                ),
                parties=parties,
            )
        except ServiceError as exc:
            for field, errors in exc.field_errors.items():
                if field in form.fields:
                    form.add_error(field, errors)
                elif field == "parties":
                    party_error = errors[0]
            if not exc.field_errors:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("已受理调解案件 %(n)s。") % {"n": case.number})
            return redirect("mediation:detail", case_id=case.pk)
    return render(
        request,
        "demands/mediation_open.html",
        {
            "form": form,
            "rows": rows,
            "party_kinds": PartyKind.choices,
            "party_error": party_error,
        },
    )


def _case(request: HttpRequest, case_id: int) -> MediationCase:
    try:
        return mediation.mediation_detail(user=request.user, case_id=case_id)
    except MediationCase.DoesNotExist:
        raise Http404 from None


@login_required
def mediation_detail_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    session_form = SessionForm(prefix="s")
    close_form = CloseForm(prefix="c")
    if request.method == "POST":
        try:
            if "s-notes" in request.POST:
                session_form = SessionForm(request.POST, prefix="s")
                if session_form.is_valid():
                    held = session_form.cleaned_data["held_at"]
                    if held.tzinfo is None:
                        held = held.replace(tzinfo=SHANGHAI)
                    mediation.mediation_session_add(
                        actor=request.user,
                        case_id=case.pk,
                        held_at=held,
                        notes=session_form.cleaned_data["notes"],
                        place=session_form.cleaned_data["place"],
                    )
                    messages.success(request, _("已记录调解。"))
                    return redirect("mediation:detail", case_id=case.pk)
            else:
                close_form = CloseForm(request.POST, request.FILES, prefix="c")
                if close_form.is_valid():
                    mediation.mediation_close(
                        actor=request.user,
                        case_id=case.pk,
                        outcome=close_form.cleaned_data["outcome"],
                        note=close_form.cleaned_data["note"],
                        agreement=close_form.cleaned_data["agreement"],
                    )
                    messages.success(request, _("调解案件已结案。"))
                    return redirect("mediation:detail", case_id=case.pk)
        except ServiceError as exc:
            target = session_form if "s-notes" in request.POST else close_form
            target.add_error(None, exc.message)
    else:
        mediation.mediation_record_view(actor=request.user, case=case)
    return render(
        request,
        "demands/mediation_detail.html",
        {
            "case": case,
            "parties": case.parties.select_related("enterprise"),
            "sessions": case.sessions.select_related("recorded_by"),
            "session_form": session_form,
            "close_form": close_form,
            "can_act": case.closed_at is None,
            "now": datetime.now(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
        },
    )


@login_required
@require_GET
def mediation_agreement(request: HttpRequest, case_id: int) -> FileResponse:
    case = _case(request, case_id)
    if not case.agreement:
        raise Http404
    return FileResponse(
        case.agreement.open("rb"),
        as_attachment=True,
        filename=case.agreement.name.rsplit("/", 1)[-1],
    )
