"""The pages of policy drafts: the office's list and editing, firms' comments, answers,
closing and the final text, and the public page (no login)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qinqing.common.controlchars import posted_text
from qinqing.common.errors import ServiceError
from qinqing.common.forms import apply_service_error
from qinqing.common.pagination import paginate

from . import selectors, services
from .models import Answer, Comment, PolicyDraft, State
from .permissions import commenting_firms, is_office, may_manage


class DraftForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("草案名称"), max_length=200)
    office_name = forms.CharField(label=gettext_lazy("起草单位"), max_length=120, required=False)
    summary = forms.CharField(
        label=gettext_lazy("起草说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    opens_on = forms.DateField(
        label=gettext_lazy("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=gettext_lazy("截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(
        label=gettext_lazy("草案全文（按“第一条”“第二条”或按段落自动分条）"),
        widget=forms.Textarea(attrs={"rows": 12}),
    )


class CommentForm(forms.Form):
    clause = forms.TypedChoiceField(
        label=gettext_lazy("针对条款"), required=False, coerce=int, empty_value=None
    )
    body = forms.CharField(label=gettext_lazy("意见"), widget=forms.Textarea(attrs={"rows": 4}))


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(label=gettext_lazy("答复"), choices=Answer.choices)
    reason = forms.CharField(
        label=gettext_lazy("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FinalForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("定稿全文"), widget=forms.Textarea(attrs={"rows": 12})
    )
    note = forms.CharField(
        label=gettext_lazy("定稿说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _draft(request: HttpRequest, draft_id: int) -> PolicyDraft:
    try:
        return selectors.draft_for(user=request.user, draft_id=draft_id)
    except PolicyDraft.DoesNotExist:
        raise Http404 from None


def _joined(clauses: list[Any]) -> str:
    return "\n".join(f"{c.heading} {c.text}".strip() for c in clauses)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in State.values else ""
    qs = selectors.draft_list(user=request.user, state=state, query=request.GET.get("q", ""))
    page = paginate(qs, request.GET.get("page"), 20)
    return render(
        request,
        "drafts/list.html",
        {
            "page": page,
            "state": state,
            "states": State.choices,
            "can_draft": is_office(request.user),
            "q": request.GET.get("q", ""),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if not is_office(request.user):
        raise PermissionDenied
    form = DraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            draft = services.draft_create(
                actor=request.user,
                title=d["title"],
                text=d["text"],
                opens_on=d["opens_on"],
                closes_on=d["closes_on"],
                office_name=d.get("office_name") or "",
                summary=d.get("summary") or "",
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("草案已保存并已分条，请核对条文后发布征求意见。"))
            return redirect("drafts:detail", draft.pk)
    return render(
        request,
        "drafts/form.html",
        {"form": form, "min_days": services.MIN_WORKING_DAYS},
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Edit the clauses one by one (an emptied clause is removed), title and period."""
    draft = _draft(request, draft_id)
    if not may_manage(request.user, draft) or draft.state != State.DRAFT:
        raise PermissionDenied
    clauses = selectors.clauses_of(draft)
    error: ServiceError | None = None
    if request.method == "POST":
        count = min(int(request.POST.get("count", "0") or 0), 500)
        pieces = [
            (request.POST.get(f"heading-{i}", ""), request.POST.get(f"text-{i}", ""))
            for i in range(1, count + 1)
        ]
        extra = request.POST.get("text-new", "")
        if extra.strip():
            pieces.append((request.POST.get("heading-new", ""), extra))
        form = DraftForm(request.POST)
        form.fields["text"].required = False
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.draft_update(
                    actor=request.user,
                    draft_id=draft.pk,
                    title=d["title"],
                    summary=d.get("summary") or "",
                    opens_on=d["opens_on"],
                    closes_on=d["closes_on"],
                    clauses=pieces,
                )
            except ServiceError as exc:
                error = exc
                apply_service_error(form, exc)
            else:
                messages.success(request, _("草案已修改。"))
                return redirect("drafts:detail", draft.pk)
    else:
        form = DraftForm(
            initial={
                "title": draft.title,
                "office_name": draft.office_name,
                "summary": draft.summary,
                "opens_on": draft.opens_on,
                "closes_on": draft.closes_on,
            }
        )
        form.fields["text"].required = False
    return render(
        request,
        "drafts/edit.html",
        {"draft": draft, "form": form, "clauses": clauses, "error": error},
    )


@login_required
@require_GET
def detail(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    manage = may_manage(request.user, draft)
    clauses = selectors.clauses_of(draft)
    comments = list(selectors.comments_for(user=request.user, draft=draft))
    by_clause: dict[int | None, list[Comment]] = {}
    for c in comments:
        by_clause.setdefault(c.clause_id, []).append(c)
    for clause in clauses:
        clause.shown_comments = by_clause.get(clause.pk, [])  # type: ignore[attr-defined]
    firms = [f for f in commenting_firms(request.user) if f.grid.path.startswith(draft.region.path)]
    comment_form = CommentForm()
    clause_field: Any = comment_form.fields["clause"]
    clause_field.choices = [("", _("整体意见"))] + [
        (c.pk, c.heading or _("第%(n)d段") % {"n": c.number}) for c in clauses
    ]
    context = {
        "draft": draft,
        "manage": manage,
        "clauses": clauses,
        "general": by_clause.get(None, []),
        "can_comment": bool(firms) and services.is_taking_comments(draft),
        "comment_form": comment_form,
        "answer_choices": Answer.choices,
        "stats": selectors.draft_stats(draft),
        "final_form": FinalForm(initial={"text": _joined(clauses)}),
        "unanswered": sum(1 for c in comments if not c.answer),
    }
    return render(request, "drafts/detail.html", context)


def _act(request: HttpRequest, draft: PolicyDraft, call: Any, done: str) -> HttpResponseBase:
    try:
        call()
    except ServiceError as exc:
        messages.error(request, exc.message)
        for errors in exc.field_errors.values():
            for e in errors:
                if e != exc.message:
                    messages.error(request, e)
    else:
        messages.success(request, done)
    return redirect("drafts:detail", draft.pk)


@login_required
@require_POST
def open_draft(request: HttpRequest, draft_id: int) -> HttpResponseBase:
    draft = _draft(request, draft_id)
    return _act(
        request,
        draft,
        lambda: services.draft_open(actor=request.user, draft_id=draft.pk),
        _("草案已发布，开始征求意见。"),
    )


@login_required
@require_POST
def comment(request: HttpRequest, draft_id: int) -> HttpResponseBase:
    draft = _draft(request, draft_id)
    clause = request.POST.get("clause", "")
    clause_id = int(clause) if clause.isdigit() else None
    return _act(
        request,
        draft,
        lambda: services.comment_add(
            actor=request.user,
            draft_id=draft.pk,
            clause_id=clause_id,
            body=posted_text(request.POST, "body"),
        ),
        _("意见已提交，起草单位答复后将随定稿公布。"),
    )


@login_required
@require_POST
def answer(request: HttpRequest, draft_id: int, comment_id: int) -> HttpResponseBase:
    draft = _draft(request, draft_id)
    try:
        item = selectors.comment_for(user=request.user, comment_id=comment_id)
    except Comment.DoesNotExist:
        raise Http404 from None
    if item.draft_id != draft.pk:
        raise Http404
    return _act(
        request,
        draft,
        lambda: services.comment_answer(
            actor=request.user,
            comment_id=item.pk,
            answer=posted_text(request.POST, "answer"),
            reason=posted_text(request.POST, "reason"),
        ),
        _("已答复。"),
    )


@login_required
@require_POST
def close(request: HttpRequest, draft_id: int) -> HttpResponseBase:
    draft = _draft(request, draft_id)
    return _act(
        request,
        draft,
        lambda: services.draft_close(actor=request.user, draft_id=draft.pk),
        _("征求意见已截止。"),
    )


@login_required
@require_POST
def finalize(request: HttpRequest, draft_id: int) -> HttpResponseBase:
    draft = _draft(request, draft_id)
    return _act(
        request,
        draft,
        lambda: services.draft_finalize(
            actor=request.user,
            draft_id=draft.pk,
            text=posted_text(request.POST, "text"),
            note=posted_text(request.POST, "note"),
        ),
        _("定稿已公布。"),
    )


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    page = paginate(selectors.public_drafts(), request.GET.get("page"), 20)
    return render(request, "drafts/public_list.html", {"page": page})


@require_GET
def public_detail(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = selectors.public_drafts().filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    return render(request, "drafts/public.html", {"draft": draft, **selectors.public_view(draft)})
