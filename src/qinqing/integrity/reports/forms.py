from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.accounts.models import User
from qinqing.directory.models import Region, RegionLevel

from .models import Category, IntegrityNote
from .workflow import Outcome


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiFileField(forms.FileField):
    widget = MultiFileInput

    def clean(self, data: Any, initial: Any = None) -> Any:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultiFileField, self).clean(item, initial) for item in items]


def report_regions() -> Any:
    return Region.objects.filter(level__lte=RegionLevel.TOWN).order_by("path")


class PowMixin(forms.Form):
    pow_challenge = forms.CharField(widget=forms.HiddenInput, required=False)
    pow_nonce = forms.CharField(widget=forms.HiddenInput, required=False)


class ReportForm(PowMixin):
    region = forms.ModelChoiceField(
        label=_("发生地（区县或镇街）"), queryset=Region.objects.none(), empty_label=_("请选择")
    )
    category = forms.ChoiceField(label=_("类别"), choices=[("", _("请选择")), *Category.choices])
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(
        label=_("举报内容"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("时间、地点、经过、涉及金额；请勿写入与事实无关的个人信息。"),
    )
    accused_people = forms.CharField(
        label=_("被举报人（姓名、职务）"), max_length=500, required=False
    )
    accused_firms = forms.CharField(
        label=_("涉及企业（名称或信用代码）"), max_length=500, required=False
    )
    named = forms.BooleanField(label=_("实名举报"), required=False)
    name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    email = forms.EmailField(label=_("电子邮箱"), max_length=128, required=False)
    unit = forms.CharField(label=_("工作单位"), max_length=128, required=False)
    protect_firm = forms.ChoiceField(label=_("申请对本企业的打击报复监测"), required=False)
    evidence = MultiFileField(label=_("证据材料"), required=False)

    def __init__(self, *args: Any, firms: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = report_regions()  # type: ignore[attr-defined]
        self.fields["region"].label_from_instance = lambda r: r.name  # type: ignore[attr-defined]
        cast(forms.ChoiceField, self.fields["protect_firm"]).choices = [("", _("不申请"))] + [
            (str(f.pk), f.name) for f in (firms or [])
        ]
        if not firms:
            del self.fields["protect_firm"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("named") and not (data.get("name") or "").strip():
            self.add_error("name", _("实名举报请填写姓名。"))
        return data


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("回执码"),
        max_length=32,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class FollowUpForm(PowMixin):
    receipt = forms.CharField(widget=forms.HiddenInput, max_length=32)
    body = forms.CharField(
        label=_("补充内容"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence = MultiFileField(label=_("补充材料"), required=False)


class UnlockForm(forms.Form):
    password = forms.CharField(label=_("登录密码"), widget=forms.PasswordInput, strip=False)
    old_password = forms.CharField(
        label=_("原密码（修改密码后找回原有授权时填写）"),
        widget=forms.PasswordInput,
        strip=False,
        required=False,
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("内容"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    internal = forms.BooleanField(label=_("仅内部可见（不向举报人显示）"), required=False)


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("调查结论"), choices=[("", _("请选择")), *Outcome.choices])
    serious = forms.BooleanField(label=_("情节严重"), required=False)
    responsible: forms.ModelMultipleChoiceField[User] = forms.ModelMultipleChoiceField(
        label=_("认定的责任人（平台用户）"),
        queryset=None,
        required=False,
        help_text=_(
            "仅在结论为“属实”时填写。所选人员将以明文记录（编号、日期、区域、是否情节严重），"
            "供其容错免责申请的审查参考；举报内容不会因此公开。"
        ),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    confirm_responsible = forms.BooleanField(
        label=_("我确认上述人员经调查被认定负有责任，并知悉该认定将以明文记录、记入审计日志"),
        required=False,
    )

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["responsible"])
        field.queryset = candidates if candidates is not None else User.objects.none()
        field.label_from_instance = lambda u: str(u.display_name or u.username)  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("responsible"):
            if data.get("outcome") != Outcome.SUBSTANTIATED:
                self.add_error("responsible", _("只有作出“属实”结论时才能认定责任人。"))
            elif not data.get("confirm_responsible"):
                self.add_error("confirm_responsible", _("认定责任人须勾选确认。"))
        return data


class AssignForm(forms.Form):
    supervisor = forms.ChoiceField(label=_("承办监督员"))

    def __init__(self, *args: Any, supervisors: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["supervisor"]).choices = [("", _("请选择"))] + [
            (str(u.pk), u.display_name or u.username) for u in supervisors
        ]


class IdentityForm(forms.Form):
    reason = forms.CharField(
        label=_("查看理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    enterprise = forms.ChoiceField(label=_("以哪家企业的名义"), required=False)
    region = forms.ModelChoiceField(
        label=_("所在区域"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("按企业所在地"),
    )
    tone = forms.ChoiceField(label=_("性质"), choices=IntegrityNote.Tone.choices)
    subject = forms.CharField(label=_("事项"), max_length=120)
    body = forms.CharField(
        label=_("内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, firms: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["enterprise"]).choices = [("", _("不以企业名义"))] + [
            (str(f.pk), f.name) for f in firms
        ]
        self.fields["region"].queryset = report_regions()  # type: ignore[attr-defined]
        self.fields["region"].label_from_instance = lambda r: r.name  # type: ignore[attr-defined]
