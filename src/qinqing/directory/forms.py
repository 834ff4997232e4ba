from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.common.forms import OneFileField, OneFileInput

from .importexport import ON_EXISTING_SKIP, ON_EXISTING_UPDATE


class EnterpriseImportForm(forms.Form):
    prefix = "enterprises"

    file = OneFileField(
        label=_("企业文件（.xlsx 或 .csv）"),
        widget=OneFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    on_existing = forms.ChoiceField(
        label=_("统一社会信用代码已存在时"),
        choices=[
            (ON_EXISTING_UPDATE, _("更新该企业（须在您的管辖范围内）")),
            (ON_EXISTING_SKIP, _("不更新，在报告中列出")),
        ],
        initial=ON_EXISTING_UPDATE,
        widget=forms.RadioSelect,
    )


class PeopleImportForm(forms.Form):
    prefix = "people"

    file = OneFileField(
        label=_("人员文件（.xlsx 或 .csv）"),
        widget=OneFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
