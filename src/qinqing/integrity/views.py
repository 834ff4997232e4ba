"""The pages of 廉情监督: conduct lists, contact filings, approvals, registers, clean firms.

Thin: parse input, call a selector or a service, render. Ids from the client are looked up
inside the reader's scope, so another official's filing is simply "not found".
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.common.errors import ServiceError
from qinqing.common.files import file_download
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate
from qinqing.common.ranges import parse_date
from qinqing.common.spreadsheet import xlsx_response
from qinqing.directory.importexport import export_record
from qinqing.directory.models import Enterprise
from qinqing.integrity.relations.services import ConflictOfInterest

from . import permissions, selectors, services
from .models import (
    CleanCriterion,
    CleanEvidence,
    ContactKind,
    Filing,
    FilingStatus,
    Gift,
    GiftHandling,
    ListKind,
    Outcome,
    Payer,
    PlaceKind,
    Timing,
)


def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def _day(value: Any) -> date | None:
    return parse_date(str(value or ""))


def index(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and permissions.can_file(request.user):
        return redirect("integrity:filing_list")
    return redirect("integrity:lists")


# --- conduct lists --------------------------------------------------------------------------------
@require_GET
def lists(request: HttpRequest) -> HttpResponse:
    """The lists in force (public): on a given day with ``?on=YYYY-MM-DD``."""
    on = _day(request.GET.get("on")) or services.today()
    items = list(selectors.items_in_force(on))
    groups = [
        (label, [i for i in items if i.list_kind == kind]) for kind, label in ListKind.choices
    ]
    return render(
        request,
        "integrity/lists.html",
        {
            "groups": [(label, rows) for label, rows in groups if rows],
            "on": on,
            "can_edit": request.user.is_authenticated and permissions.can_edit_lists(request.user),
        },
    )


@require_GET
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    versions = list(selectors.item_versions(code))
    if not versions:
        raise Http404
    return render(
        request,
        "integrity/item_detail.html",
        {
            "item": versions[0],
            "versions": versions,
            "rule_json": [
                (v, json.dumps(v.rule, ensure_ascii=False, indent=1) if v.rule else "")
                for v in versions
            ],
            "can_edit": request.user.is_authenticated and permissions.can_edit_lists(request.user),
        },
    )


class ItemForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("要点"), max_length=120)
    text = forms.CharField(label=gettext_lazy("条文"), widget=forms.Textarea(attrs={"rows": 5}))
    source = forms.CharField(label=gettext_lazy("来源文件"), max_length=200)
    clause = forms.CharField(label=gettext_lazy("条款"), max_length=64, required=False)
    effective_from = forms.DateField(
        label=gettext_lazy("新版本生效日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    rule = forms.CharField(
        label=gettext_lazy("机器规则（JSON，可留空）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    note = forms.CharField(label=gettext_lazy("修订说明"), max_length=200)

    def clean_rule(self) -> Any:
        text = self.cleaned_data["rule"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("机器规则不是有效的 JSON。")) from None


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, code: str) -> HttpResponse:
    if not permissions.can_edit_lists(request.user):
        raise PermissionDenied
    latest = selectors.item_versions(code).first()
    if latest is None:
        raise Http404
    form = ItemForm(
        request.POST or None,
        initial={
            "title": latest.title,
            "text": latest.text,
            "source": latest.source,
            "clause": latest.clause,
            "effective_from": services.today(),
            "rule": json.dumps(latest.rule, ensure_ascii=False, indent=1) if latest.rule else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.conduct_item_revise(actor=request.user, code=code, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("已保存为新版本。"))
            return redirect("integrity:item", code=code)
    return render(
        request,
        "integrity/item_edit.html",
        {"item": latest, "form": form},
        status=422 if form.errors else 200,
    )


# --- filings --------------------------------------------------------------------------------------
class FilingForm(forms.Form):
    timing = forms.ChoiceField(
        label=gettext_lazy("报备方式"), choices=Timing.choices, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(label=gettext_lazy("交往类型"), choices=ContactKind.choices)
    contact_date = forms.DateField(
        label=gettext_lazy("交往日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200)
    place_kind = forms.ChoiceField(label=gettext_lazy("场所类型"), choices=PlaceKind.choices)
    firms = forms.CharField(
        label=gettext_lazy("交往企业（统一社会信用代码或企业全称，每行一个）"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    people = forms.CharField(label=gettext_lazy("企业方人员"), max_length=500, required=False)
    purpose = forms.CharField(
        label=gettext_lazy("事由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    companions = forms.CharField(label=gettext_lazy("同行人员"), max_length=500, required=False)
    payer = forms.ChoiceField(label=gettext_lazy("费用支付方"), choices=Payer.choices)
    amount = forms.DecimalField(
        label=gettext_lazy("费用金额（元）"),
        min_value=0,
        max_digits=12,  # as the model: PostgreSQL would overflow
        decimal_places=2,
        initial=0,
    )
    headcount = forms.IntegerField(
        label=gettext_lazy("用餐或出行人数"), min_value=1, max_value=500, initial=1
    )

    def clean_firms(self) -> list[Enterprise]:
        lines = [x.strip() for x in self.cleaned_data["firms"].splitlines() if x.strip()]
        if len(lines) > services.MAX_FIRMS:
            raise forms.ValidationError(_("一次最多报备%(n)d家企业。") % {"n": services.MAX_FIRMS})
        found = {
            key: f
            for f in Enterprise.objects.filter(
                Q(uscc__in=[x.upper() for x in lines]) | Q(name__in=lines)
            )
            for key in (f.uscc, f.name)
        }
        unknown = [x for x in lines if x not in found and x.upper() not in found]
        if unknown:
            raise forms.ValidationError(
                _("企业名录中没有：%(x)s。请填写统一社会信用代码或企业全称。")
                % {"x": "、".join(unknown)}
            )
        return [found.get(x) or found[x.upper()] for x in lines]


class GiftForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("礼品"), max_length=200, required=False)
    value = forms.DecimalField(
        label=gettext_lazy("价值（元）"),
        min_value=0,
        max_digits=12,  # as the model: PostgreSQL would overflow
        decimal_places=2,
        required=False,
    )
    handling = forms.ChoiceField(
        label=gettext_lazy("处理方式"),
        choices=[("", "—"), *GiftHandling.choices],
        required=False,
    )
    handed_in_to = forms.CharField(label=gettext_lazy("上交至"), max_length=200, required=False)
    handed_in_on = forms.DateField(
        label=gettext_lazy("上交日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


GiftFormSet = forms.formset_factory(GiftForm, extra=2, max_num=services.MAX_GIFTS)


def _gifts(formset: Any) -> list[services.GiftIn]:
    rows = []
    for f in formset.forms:
        d = f.cleaned_data
        if not d or not (d.get("description") or d.get("value") is not None):
            continue
        rows.append(
            services.GiftIn(
                d.get("description") or "",
                d.get("value") if d.get("value") is not None else "",
                d.get("handling") or "",
                d.get("handed_in_to") or "",
                d.get("handed_in_on"),
            )
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def filing_new(request: HttpRequest) -> HttpResponse:
    if not permissions.can_file(request.user):
        raise PermissionDenied
    posted = request.method == "POST"
    form = FilingForm(
        request.POST if posted else None,
        initial={"timing": Timing.BEFORE, "contact_date": services.today(), "payer": Payer.NONE},
    )
    gifts = GiftFormSet(request.POST if posted else None, prefix="gifts")
    if posted and form.is_valid() and gifts.is_valid():
        data = form.cleaned_data
        try:
            filing = services.filing_submit(
                actor=request.user,
                timing=data["timing"],
                kind=data["kind"],
                contact_date=data["contact_date"],
                place=data["place"],
                place_kind=data["place_kind"],
                firms=data["firms"],
                people=data["people"],
                purpose=data["purpose"],
                companions=data["companions"],
                payer=data["payer"],
                amount=data["amount"],
                headcount=data["headcount"],
                gifts=_gifts(gifts),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
            for name, errs in exc.field_errors.items():
                if name.startswith("gifts-"):
                    _prefix, index, field_name = name.split("-", 2)
                    target = gifts.forms[int(index)] if int(index) < len(gifts.forms) else None
                    if target is not None and field_name in target.fields:
                        for e in errs:
                            target.add_error(field_name, e)
        else:
            messages.success(request, _("报备已提交：%(n)s。") % {"n": filing.number})
            return redirect("integrity:filing", filing_id=filing.pk)
    return render(
        request,
        "integrity/filing_form.html",
        {"form": form, "gifts": gifts},
        status=422 if (form.errors or any(f.errors for f in gifts.forms)) else 200,
    )


def _filing(user: Any, filing_id: int) -> Filing:
    try:
        return selectors.filing_detail(user=user, filing_id=filing_id)
    except Filing.DoesNotExist:
        raise Http404 from None


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("审批意见"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=gettext_lazy("利益冲突时仍须本人审批的理由"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy(
            "仅在系统提示您与报备涉及的企业或报备人存在关联时填写；理由将报送监督员。"
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class HandInForm(forms.Form):
    handed_in_to = forms.CharField(label=gettext_lazy("上交至"), max_length=200)
    handed_in_on = forms.DateField(
        label=gettext_lazy("上交日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
@require_http_methods(["GET", "POST"])
def filing_detail(request: HttpRequest, filing_id: int) -> HttpResponse:
    filing = _filing(request.user, filing_id)
    can_decide = filing.status == FilingStatus.PENDING and permissions.can_decide(
        request.user, filing
    )
    form = DecisionForm(request.POST or None)
    conflict = None
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.filing_decide(
                    actor=request.user,
                    filing_id=filing.pk,
                    approve=request.POST.get("decision") == "approve",
                    reason=form.cleaned_data["reason"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except ConflictOfInterest as exc:
                # the path, the alert (to recuse) and the reason field to decide all the same
                conflict = exc
                form.add_error(None, exc.message)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("审批意见已保存。"))
                return redirect("integrity:filing", filing_id=filing.pk)
    matches = list(filing.matches.all())
    return render(
        request,
        "integrity/filing_detail.html",
        {
            "filing": filing,
            "matches": matches,
            "firms": list(filing.firms.all()),
            "gifts": list(filing.gifts.all()),
            "can_decide": can_decide,
            "form": form,
            "conflict": conflict,
            "is_filer": filing.filer_id == request.user.pk,
            "hand_in_form": HandInForm(initial={"handed_in_on": services.today()}),
        },
        status=409 if conflict else 422 if form.errors else 200,
    )


@login_required
@require_POST
def gift_hand_in(request: HttpRequest, gift_id: int) -> HttpResponse:
    gift = Gift.objects.filter(
        pk=gift_id, filing__in=selectors.filings_visible_to(request.user).values("pk")
    ).first()
    if gift is None:
        raise Http404
    form = HandInForm(request.POST)
    if form.is_valid():
        try:
            services.gift_hand_in(actor=request.user, gift_id=gift.pk, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记上交。"))
    else:
        messages.error(request, _("请填写上交单位和日期。"))
    return redirect("integrity:filing", filing_id=gift.filing_id)


def _filters(request: HttpRequest) -> dict[str, Any]:
    outcome = request.GET.get("outcome", "")
    return {
        "filer_id": _int(request.GET.get("filer")),
        "firm_id": _int(request.GET.get("firm")),
        "start": _day(request.GET.get("start")),
        "end": _day(request.GET.get("end")),
        "outcome": outcome if outcome in Outcome.values else "",
    }


@login_required
@require_GET
def filing_list(request: HttpRequest) -> HttpResponse:
    """报备登记: own filings; a superior's region subtree, by official, firm and period."""
    if not (permissions.can_file(request.user) or permissions.is_superior(request.user)):
        raise PermissionDenied
    filters = _filters(request)
    page = paginate(selectors.filing_list(user=request.user, **filters), request.GET.get("page"))
    superior = permissions.is_superior(request.user)
    return render(
        request,
        "integrity/filing_list.html",
        {
            "page": page,
            "filters": filters,
            "query": request.GET,
            "outcomes": Outcome.choices,
            "filers": list(selectors.filers_in_scope(request.user)[:200]) if superior else [],
            "superior": superior,
            "can_file": permissions.can_file(request.user),
        },
    )


@login_required
@require_GET
def filing_export(request: HttpRequest) -> HttpResponse:
    if not permissions.is_superior(request.user):
        raise PermissionDenied
    filters = _filters(request)
    header = [
        _("编号"), _("报备人"), _("区域"), _("报备方式"), _("交往类型"), _("交往日期"),
        _("地点"), _("交往企业"), _("事由"), _("费用支付方"), _("金额（元）"), _("人均（元）"),
        _("审查结果"), _("涉及条目"), _("状态"),
    ]  # fmt: skip
    rows = [
        [
            f.number,
            str(f.filer),
            f.region.name,
            f.get_timing_display(),
            f.get_kind_display(),
            f.contact_date,
            f.place,
            "、".join(x.name for x in f.firms.all()),
            f.purpose,
            f.get_payer_display(),
            f.amount,
            f.amount_per_person,
            f.get_outcome_display(),
            " ".join(m.item.code for m in f.matches.all()),
            f.get_status_display(),
        ]
        for f in selectors.filing_list(user=request.user, **filters)
    ]
    response = xlsx_response(
        f"交往报备-{services.today():%Y%m%d}.xlsx", _("交往报备"), header, rows
    )
    export_record(
        actor=request.user,
        action="filing.export",
        fmt="xlsx",
        count=len(rows),
        filters={k: str(v) for k, v in filters.items() if v},
    )
    return response


@login_required
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    if not permissions.is_superior(request.user):
        raise PermissionDenied
    page = paginate(selectors.approvals_for(request.user), request.GET.get("page"))
    return render(request, "integrity/approvals.html", {"page": page})


@login_required
@require_GET
def gift_register(request: HttpRequest) -> HttpResponse:
    if not (permissions.can_file(request.user) or permissions.is_superior(request.user)):
        raise PermissionDenied
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"))
    page = paginate(
        selectors.gifts_handed_in(user=request.user, start=start, end=end), request.GET.get("page")
    )
    return render(
        request, "integrity/gift_register.html", {"page": page, "start": start, "end": end}
    )


@login_required
@require_GET
def missing_register(request: HttpRequest) -> HttpResponse:
    if not (permissions.can_file(request.user) or permissions.is_superior(request.user)):
        raise PermissionDenied
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"))
    rows = selectors.missing_filings(user=request.user, start=start, end=end)
    page = paginate(rows, request.GET.get("page"))
    return render(
        request, "integrity/missing_register.html", {"page": page, "start": start, "end": end}
    )


# --- clean enterprises ----------------------------------------------------------------------------
@require_GET
def clean_public(request: HttpRequest) -> HttpResponse:
    page = paginate(selectors.clean_recognised(), request.GET.get("page"))
    return render(request, "integrity/clean_public.html", {"page": page})


class AnswerForm(forms.Form):
    level = forms.TypedChoiceField(
        label=gettext_lazy("自评"),
        choices=[
            (0, gettext_lazy("未建立")),
            (1, gettext_lazy("部分建立")),
            (2, gettext_lazy("已建立并有效运行")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=1000, required=False)


def _own_firm(user: Any) -> Enterprise:
    ids = permissions.firms_of(user)
    firm = Enterprise.objects.filter(pk__in=ids).select_related("grid").first()
    if firm is None:
        raise PermissionDenied
    return firm


@login_required
@require_http_methods(["GET", "POST"])
def clean_self(request: HttpRequest) -> HttpResponse:
    """The firm's self-assessment: answer each item with evidence, then submit."""
    firm = _own_firm(request.user)
    criteria = list(selectors.criteria_active())
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.POST.get("action") == "submit":
            try:
                services.clean_submit(actor=request.user, enterprise=firm)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("自评已提交，等待商会或纪检监察部门评审。"))
            return redirect("integrity:clean_self")
        criterion = next((c for c in criteria if c.code == request.POST.get("criterion")), None)
        if criterion is None:
            raise Http404
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.clean_answer(
                    actor=request.user,
                    enterprise=firm,
                    criterion=criterion,
                    level=form.cleaned_data["level"],
                    note=form.cleaned_data["note"],
                    files=request.FILES.getlist("files"),
                )
            except ServiceError as exc:
                errors[criterion.code] = exc.message
            else:
                messages.success(request, _("已保存：%(t)s") % {"t": criterion.code})
                return redirect(f"{request.path}#c-{criterion.code}")
        else:
            errors[criterion.code] = _("请选择自评等级。")
    assessment = selectors.assessment_of(firm)
    answers = selectors.answers_of(assessment)
    rows = [(c, answers.get(c.pk), errors.get(c.code, "")) for c in criteria]
    done = {k: a.level for k, a in answers.items()}
    return render(
        request,
        "integrity/clean_self.html",
        {
            "firm": firm,
            "assessment": assessment,
            "rows": rows,
            "score": services.score_of(done, criteria),
            "pass_score": services.PASS_SCORE,
            "editable": assessment is None or assessment.status in ("draft", "returned"),
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def clean_reviews(request: HttpRequest) -> HttpResponse:
    if not permissions.is_clean_reviewer(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "submitted")
    page = paginate(selectors.reviews_for(request.user, status=status), request.GET.get("page"))
    return render(request, "integrity/clean_reviews.html", {"page": page, "status": status})


class ReviewForm(forms.Form):
    comments = forms.CharField(
        label=gettext_lazy("评审意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    valid_until = forms.DateField(
        label=gettext_lazy("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def clean_review(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = selectors.assessments_visible_to(request.user).filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404
    can_review = permissions.can_review_clean(
        request.user, assessment.enterprise
    ) and not permissions.can_fill_checklist(request.user, assessment.enterprise)
    form = ReviewForm(
        request.POST or None,
        initial={"valid_until": services.today().replace(year=services.today().year + 2)},
    )
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.clean_review(
                    actor=request.user,
                    assessment_id=assessment.pk,
                    recognise=request.POST.get("decision") == "recognise",
                    comments=form.cleaned_data["comments"],
                    valid_until=form.cleaned_data["valid_until"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("评审结果已保存。"))
                return redirect("integrity:clean_review", assessment_id=assessment.pk)
    criteria = list(CleanCriterion.objects.filter(active=True))
    answers = selectors.answers_of(assessment)
    return render(
        request,
        "integrity/clean_review.html",
        {
            "assessment": assessment,
            "rows": [(c, answers.get(c.pk)) for c in criteria],
            "can_review": can_review and assessment.status == "submitted",
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def clean_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    visible = selectors.assessments_visible_to(request.user).values("pk")
    item = CleanEvidence.objects.filter(pk=file_id, answer__assessment__in=visible).first()
    if item is None:
        raise Http404
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    from qinqing.audit.services import record

    record(actor=request.user, action="clean.file_download", obj=item.answer.assessment)
    return file_download(handle, name=item.name, content_type=item.content_type)
