from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Role


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名或手机号"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput, strip=False)
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, strip=False)
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password2"):
            raise forms.ValidationError(_("两次输入的新密码不一致。"))
        return data


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region_code = forms.CharField(label=_("区域编码"), required=False, max_length=32)
    department_id = forms.IntegerField(label=_("部门编号"), required=False, min_value=1)
    enterprise_uscc = forms.CharField(
        label=_("企业统一社会信用代码"), required=False, max_length=18
    )
    chamber_id = forms.IntegerField(label=_("商会编号"), required=False, min_value=1)
