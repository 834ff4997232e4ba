"""Forms of the survey pages: the survey's basics, a section, a question, the template."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import QuestionKind, QuestionTag


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("问卷标题"), required=False, max_length=200)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    closes_on = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("请填写有效日期（如 2026-03-01）。")},
    )
    anonymous = forms.BooleanField(
        label=_("匿名问卷（不记录答卷与企业的对应关系）"), required=False
    )
    reminder_days = forms.IntegerField(
        label=_("截止前几个工作日提醒未填答企业"), required=False, initial=2, min_value=0
    )


class TemplateForm(forms.Form):
    title = forms.CharField(label=_("问卷标题（留空用模板标题）"), required=False, max_length=200)
    closes_on = SurveyForm.base_fields["closes_on"]
    anonymous = forms.BooleanField(label=_("匿名问卷"), required=False, initial=True)


class SectionForm(forms.Form):
    title = forms.CharField(label=_("部分标题"), required=False, max_length=200)


class QuestionForm(forms.Form):
    section = forms.TypedChoiceField(label=_("所在部分"), coerce=int, required=False)
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("题目"), required=False, max_length=400)
    help_text = forms.CharField(label=_("填写说明"), required=False, max_length=400)
    required = forms.BooleanField(label=_("必答"), required=False)
    options = forms.CharField(
        label=_("选项（选择题，每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rows = forms.CharField(
        label=_("矩阵行（矩阵量表，每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tag = forms.ChoiceField(
        label=_("维度标签"),
        required=False,
        choices=[("", _("（无）")), *QuestionTag.choices],
    )
    show_if = forms.TypedChoiceField(
        label=_("仅当此题……"), coerce=int, required=False, empty_value=None
    )
    show_if_options = forms.CharField(
        label=_("……选择了这些选项（序号，逗号分隔）时显示"), required=False
    )

    def __init__(self, *args: Any, sections: list[Any], controllers: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["section"].choices = [(s.pk, s.title) for s in sections]  # type: ignore[attr-defined]
        self.fields["show_if"].choices = [("", _("（总是显示）"))] + [  # type: ignore[attr-defined]
            (q.pk, f"{q.position}. {q.text}") for q in controllers
        ]

    def option_numbers(self) -> list[int]:
        raw = (self.cleaned_data.get("show_if_options") or "").replace("，", ",")
        return [int(p) for p in raw.split(",") if p.strip().isdigit()]
