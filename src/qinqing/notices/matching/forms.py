"""Forms of 供需对接 (the services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.directory.models import Enterprise

from .models import Kind, Side, WorkTime
from .permissions import firms_acted_for


class ListingForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    side = forms.ChoiceField(label=_("供需"), choices=Side.choices, widget=forms.RadioSelect)
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices, widget=forms.RadioSelect)
    item = forms.CharField(label=_("物资/岗位"), max_length=64)
    specification = forms.CharField(label=_("规格/要求"), max_length=200, required=False)
    quantity = forms.IntegerField(label=_("数量/人数"), min_value=1)
    unit = forms.CharField(label=_("单位"), max_length=16, required=False)
    unit_price = forms.DecimalField(
        label=_("单价/月薪（元）"), max_digits=12, decimal_places=2, required=False, min_value=0
    )
    skills = forms.CharField(label=_("技能要求"), max_length=200, required=False)
    work_time = forms.ChoiceField(
        label=_("用工形式"), choices=[("", "—"), *WorkTime.choices], required=False
    )
    valid_until = forms.DateField(
        label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    note = forms.CharField(
        label=_("备注"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    need = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enterprise"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Enterprise.objects.filter(firms_acted_for(user)).order_by("name")


class ProposeForm(forms.Form):
    counterpart = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("对接数量"), min_value=1)


class DeliverForm(forms.Form):
    delivered = forms.IntegerField(label=_("累计已交付"), min_value=1)
