"""Forms of the exemption pages; the services do the real checking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.demands.forms import MultipleFileField

from .models import FactorAnswer, Finding, LinkKind, Outcome
from .selectors import DISTINCTION_QUESTIONS, FACTOR_LABELS

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class ApplicationForm(forms.Form):
    applicant = forms.TypedChoiceField(label=_("申请人"), coerce=int, required=False)
    matter = forms.CharField(label=_("事项"), max_length=120)
    actions = forms.CharField(label=_("做了什么、为什么这样做"), widget=TEXTAREA, max_length=5000)
    rules_at_time = forms.CharField(label=_("当时适用的规定"), widget=TEXTAREA, max_length=5000)
    outcome_harm = forms.CharField(label=_("后果与损失"), widget=TEXTAREA, max_length=5000)
    corrected = forms.BooleanField(label=_("已纠正"), required=False)
    correction = forms.CharField(
        label=_("纠正情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    enterprise_uscc = forms.CharField(
        label=_("受益企业的统一社会信用代码（如有）"), max_length=18, required=False
    )
    link_kind = forms.ChoiceField(
        label=_("关联对象类型"), choices=[("", "—"), *LinkKind.choices], required=False
    )
    link_id = forms.IntegerField(label=_("关联对象编号（ID）"), required=False, min_value=1)
    attachments = MultipleFileField(label=_("证据材料"))

    def __init__(self, *args: Any, applicants: list[tuple[int, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if applicants:
            self.fields["applicant"].choices = [("", _("本人")), *applicants]  # type: ignore[attr-defined]
        else:
            del self.fields["applicant"]


class EvidenceForm(forms.Form):
    attachments = MultipleFileField(label=_("证据材料"))


class AcceptForm(forms.Form):
    assessor = forms.TypedChoiceField(label=_("审查人"), coerce=int, required=False)

    def __init__(self, *args: Any, assessors: list[tuple[int, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["assessor"].choices = [("", _("本人")), *(assessors or [])]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("认定结果"), choices=[("", "—"), *Outcome.choices])
    reasons = forms.CharField(label=_("理由"), widget=TEXTAREA, max_length=5000)


class AssessmentForm(OutcomeForm):
    """The three distinctions as paired questions, the five factors, then the outcome."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        fields: dict[str, forms.Field] = {}
        for d, question in DISTINCTION_QUESTIONS.items():
            fields[f"{d}_finding"] = forms.ChoiceField(
                label=question["title"],
                choices=[
                    (Finding.TOLERABLE, question["tolerable"]),
                    (Finding.INTOLERABLE, question["intolerable"]),
                    (Finding.UNCLEAR, Finding.UNCLEAR.label),
                ],
                widget=forms.RadioSelect,
            )
            fields[f"{d}_findings"] = forms.CharField(
                label=_("查明的事实"), widget=forms.Textarea(attrs={"rows": 3}), max_length=3000
            )
            fields[f"{d}_evidence"] = forms.CharField(
                label=_("依据的证据"),
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=3000,
                required=False,
            )
        for factor, label in FACTOR_LABELS.items():
            fields[factor] = forms.ChoiceField(
                label=label, choices=FactorAnswer.choices, widget=forms.RadioSelect
            )
        fields["factors_note"] = forms.CharField(
            label=_("其他情节"), widget=forms.Textarea(attrs={"rows": 2}), required=False
        )
        outcome, reasons = self.fields.pop("outcome"), self.fields.pop("reasons")
        self.fields.update(fields)
        self.fields["outcome"], self.fields["reasons"] = outcome, reasons

    def distinction_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"{d}_finding"], self[f"{d}_findings"], self[f"{d}_evidence"])
            for d in DISTINCTION_QUESTIONS
        ]

    def factor_fields(self) -> list[Any]:
        return [self[f] for f in FACTOR_LABELS]


class CaseForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    text = forms.CharField(
        label=_("案例正文（匿名化后）"), widget=forms.Textarea(attrs={"rows": 16})
    )


class LibraryForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    outcome = forms.ChoiceField(
        label=_("结果"), choices=[("", _("全部")), *Outcome.choices], required=False
    )
    distinction = forms.ChoiceField(
        label=_("适用的区分"),
        choices=[
            ("", _("全部")),
            ("d1", _("区分一")),
            ("d2", _("区分二")),
            ("d3", _("区分三")),
        ],
        required=False,
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("开始日期"), required=False)
    end = forms.DateField(label=_("结束日期（不含）"), required=False)
    by = forms.ChoiceField(
        label=_("分组"),
        choices=[("region", _("按区域")), ("month", _("按月份"))],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("结束日期须晚于开始日期。"))
        return data
