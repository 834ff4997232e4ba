"""Forms of the conflict graph pages (validation rules live in the services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.common.forms import OneFileField

from .models import FirmRole, Gender, Kinship

FAMILY_KINDS = [(v, label) for v, label in Kinship.choices if v != Kinship.SAME_AS]


class PersonForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class FamilyForm(forms.Form):
    kind = forms.ChoiceField(label=_("关系"), choices=FAMILY_KINDS)
    name = forms.CharField(label=_("关系人姓名"), max_length=64)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)
    valid_from = forms.DateField(label=_("起始日期"), required=False)


class FirmForm(forms.Form):
    kind = forms.ChoiceField(label=_("关系"), choices=FirmRole.choices)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    percentage = forms.CharField(label=_("持股比例（%）"), max_length=10, required=False)
    title = forms.CharField(label=_("职务"), max_length=64, required=False)
    valid_from = forms.DateField(label=_("起始日期"), required=False)


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ImportForm(forms.Form):
    file = OneFileField(label=_("文件（.xlsx 或 .csv）"))
