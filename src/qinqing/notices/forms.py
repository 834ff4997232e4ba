"""Forms of notices: the notice with its audience, withdrawal, explanation, search."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind
from .services import NoticeData


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("正文"), widget=forms.Textarea(attrs={"rows": 8}))
    issuing_body = forms.CharField(label=_("发文机关（政策）"), max_length=120, required=False)
    document_number = forms.CharField(label=_("文号（政策）"), max_length=80, required=False)
    effective_on = forms.DateField(
        label=_("施行日期（政策）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    policy_expires_on = forms.DateField(
        label=_("政策失效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    event_starts_at = forms.DateTimeField(
        label=_("活动时间（活动）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    event_place = forms.CharField(label=_("活动地点（活动）"), max_length=200, required=False)
    pinned = forms.BooleanField(label=_("置顶"), required=False)
    expires_on = forms.DateField(
        label=_("展示截止日期（过后转入归档）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def data_object(self) -> NoticeData:
        d = self.cleaned_data
        return NoticeData(
            kind=d["kind"],
            title=d["title"],
            body=d["body"],
            issuing_body=d.get("issuing_body") or "",
            document_number=d.get("document_number") or "",
            effective_on=d.get("effective_on"),
            policy_expires_on=d.get("policy_expires_on"),
            event_starts_at=d.get("event_starts_at"),
            event_place=d.get("event_place") or "",
            pinned=bool(d.get("pinned")),
            expires_on=d.get("expires_on"),
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=300)


class ExplainForm(forms.Form):
    note = forms.CharField(
        label=_("解读说明"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("如：走访时当面讲解")}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False)
    kind = forms.ChoiceField(
        label=_("类别"), required=False, choices=[("", _("全部类别")), *Kind.choices]
    )
    published_from = forms.DateField(
        label=_("发布日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    published_to = forms.DateField(
        label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "query": d.get("q") or "",
            "kind": d.get("kind") or "",
            "published_from": d.get("published_from"),
            "published_to": d.get("published_to"),
        }


class UploadForm(forms.Form):
    attachments = forms.FileField(label=_("附件"), required=False)
