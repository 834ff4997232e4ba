"""Forms of 协同监测 (the services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.demands.models import Category
from qinqing.directory.targeting import AudienceForm

from .models import Cadence, EmergencyKind, OperatingStatus


class EmergencyForm(AudienceForm):
    title = forms.CharField(label=_("名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=EmergencyKind.choices)
    cadence = forms.ChoiceField(label=_("报送频次"), choices=Cadence.choices)
    starts_on = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    supply_items = forms.CharField(
        label=_("物资储备项目（用顿号或逗号分隔）"), required=False, initial="口罩、消毒液"
    )
    reminder_hour = forms.IntegerField(
        label=_("未报送提醒时间（时）"), min_value=0, max_value=23, initial=10
    )
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = ["title", "kind", "cadence", "starts_on", "ends_on", "supply_items"]

    def supply_list(self) -> list[str]:
        text = self.cleaned_data.get("supply_items") or ""
        for sep in ("，", "、", ";", "；"):
            text = text.replace(sep, ",")
        return [t.strip() for t in text.split(",") if t.strip()]


class ReportForm(forms.Form):
    status = forms.ChoiceField(
        label=_("生产状态"), choices=OperatingStatus.choices, widget=forms.RadioSelect
    )
    staff_on_site = forms.IntegerField(
        label=_("在岗人数"), min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    staff_absent = forms.IntegerField(
        label=_("未返岗人数"), min_value=0, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    need_text = forms.CharField(
        label=_("紧急需求（没有可不填）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    need_item = forms.CharField(label=_("需求物资"), required=False, max_length=64)
    need_quantity = forms.IntegerField(
        label=_("需求数量"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, items: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for i, item in enumerate(items):
            self.fields[f"supply_{i}"] = forms.IntegerField(
                label=_("%(item)s 可用天数") % {"item": item},
                required=False,
                min_value=0,
                max_value=3650,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def supply_fields(self) -> list[Any]:
        return [self[f"supply_{i}"] for i in range(len(self.items))]

    def supplies(self) -> list[dict[str, Any]]:
        return [
            {"item": item, "days": self.cleaned_data.get(f"supply_{i}")}
            for i, item in enumerate(self.items)
        ]


class NeedToDemandForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("诉求类别"), queryset=Category.objects.filter(active=True).order_by("code")
    )
