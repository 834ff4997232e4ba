"""Forms of the demand pages: they parse input; the services validate and say what is wrong.

Text fields are optional here on purpose: an empty reply or a too-short description is
refused by the service, whose Chinese message is then shown next to the field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qinqing.directory.models import Department, Enterprise, Region

from .models import Category, Satisfaction


def category_choices(categories: Iterable[Category]) -> list[Any]:
    """The category tree as grouped choices: a root with children becomes an optgroup."""
    categories = list(categories)
    known = {c.pk for c in categories}
    children: dict[int, list[Category]] = defaultdict(list)
    roots: list[Category] = []
    for c in categories:
        if c.parent_id is not None and c.parent_id in known:
            children[c.parent_id].append(c)
        else:
            roots.append(c)

    def walk(node: Category, depth: int) -> list[tuple[int, str]]:
        options = [(node.pk, "　" * depth + node.name)]
        for child in children.get(node.pk, []):
            options.extend(walk(child, depth + 1))
        return options

    choices: list[Any] = [("", _("请选择类别"))]
    for root in roots:
        if children.get(root.pk):
            choices.append((root.name, walk(root, 0)))
        else:
            choices.append((root.pk, root.name))
    return choices


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one picker; the attachment service checks type, size and count."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .attachments import ACCEPT

        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = ACCEPT

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class SubmitForm(forms.Form):
    enterprise = forms.TypedChoiceField(
        label=_("企业"),
        coerce=int,
        error_messages={
            "required": _("请选择企业。"),
            "invalid_choice": _("您不能为该企业提交诉求。"),
        },
    )
    category = forms.TypedChoiceField(
        label=_("诉求类别"),
        coerce=int,
        error_messages={
            "required": _("请选择类别。"),
            "invalid_choice": _("该类别不存在或已停用，请重新选择。"),
        },
    )
    title = forms.CharField(
        label=_("标题"),
        required=False,
        widget=forms.TextInput(
            attrs={"maxlength": 120, "placeholder": _("一句话说明问题，如：用电增容审批卡了两个月")}
        ),
    )
    description = forms.CharField(
        label=_("详细描述"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "maxlength": 5000,
                "placeholder": _("经过、涉及的部门和事项、希望怎样解决"),
            }
        ),
    )

    attachments = MultipleFileField(label=_("附件（可选）"))

    def __init__(
        self,
        *args: Any,
        enterprises: Sequence[Enterprise],
        categories: Sequence[Category],
        attachments: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if attachments:
            self.fields["attachments"].widget.attrs["aria-describedby"] = "attachments-hint"
        else:
            del self.fields["attachments"]
        self.enterprises = {e.pk: e for e in enterprises}
        self.categories = {c.pk: c for c in categories}
        field = self.fields["enterprise"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("请选择企业"))] + [(e.pk, e.name) for e in enterprises]
        if len(enterprises) == 1:
            field.widget = forms.HiddenInput()
            self.initial["enterprise"] = enterprises[0].pk
        category = self.fields["category"]
        assert isinstance(category, forms.TypedChoiceField)
        category.choices = category_choices(categories)

    @property
    def single_enterprise(self) -> Enterprise | None:
        if len(self.enterprises) == 1:
            return next(iter(self.enterprises.values()))
        return None

    def clean_enterprise(self) -> Enterprise:
        return self.enterprises[self.cleaned_data["enterprise"]]

    def clean_category(self) -> Category:
        return self.categories[self.cleaned_data["category"]]


class NoteForm(forms.Form):
    """One text: a reason, a reply, a note; required or not is the service's decision."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, label: Any = "", rows: int = 3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].label = label or _("说明")
        self.fields["note"].widget.attrs.update({"rows": rows, "maxlength": 5000})


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.region.name}）"


class DispatchForm(forms.Form):
    department = DepartmentChoiceField(
        label=_("承办部门"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("请选择部门"),
        error_messages={"invalid_choice": _("请选择服务该区域的部门。")},
    )
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, departments: QuerySet[Department], note_label: Any = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        if note_label:
            self.fields["note"].label = note_label


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, required=False, widget=forms.RadioSelect
    )
    rating = forms.TypedChoiceField(
        label=_("评分"),
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("评价意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rating = self.fields["rating"]
        assert isinstance(rating, forms.TypedChoiceField)
        # built per request, so that the labels follow the reader's language
        rating.choices = [(i, gettext("%(n)d分") % {"n": i}) for i in range(1, 6)]


class ExtensionForm(forms.Form):
    days = forms.IntegerField(
        label=_("延期工作日"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 30, "inputmode": "numeric"}),
        error_messages={"invalid": _("请填写1到30之间的整数。")},
    )
    reason = forms.CharField(
        label=_("延期理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssistForm(forms.Form):
    department = DepartmentChoiceField(
        label=_("协办部门"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("请选择部门"),
        error_messages={"invalid_choice": _("请选择服务该区域的部门。")},
    )
    part = forms.CharField(
        label=_("协办事项"), required=False, widget=forms.TextInput(attrs={"maxlength": 255})
    )

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments


class AssistReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("协办意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class TimelineNoteForm(forms.Form):
    note = forms.CharField(
        label=_("留言"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    internal = forms.BooleanField(label=_("内部备注（企业看不到）"), required=False, initial=True)

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff:
            self.fields["note"].label = _("办理备注")
        else:
            del self.fields["internal"]
            self.fields["note"].label = _("补充说明")


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(label=_("选择文件"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].widget.attrs["aria-describedby"] = "panel-attach-detail"


class DecideForm(forms.Form):
    note = forms.CharField(
        label=_("审批意见"), required=False, widget=forms.TextInput(attrs={"maxlength": 500})
    )


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "　" * max(obj.level - 1, 0) + obj.name


class RoutingRuleForm(forms.Form):
    region = RegionChoiceField(
        label=_("区域"),
        queryset=Region.objects.none(),
        empty_label=_("请选择区域"),
        error_messages={
            "required": _("请选择区域。"),
            "invalid_choice": _("只能设置本辖区的派单规则。"),
        },
    )
    category = forms.ModelChoiceField(
        label=_("诉求类别"),
        queryset=Category.objects.none(),
        empty_label=_("请选择类别"),
        error_messages={"required": _("请选择类别。"), "invalid_choice": _("请重新选择类别。")},
    )
    department = DepartmentChoiceField(
        label=_("责任部门"),
        queryset=Department.objects.none(),
        empty_label=_("请选择部门"),
        error_messages={
            "required": _("请选择责任部门。"),
            "invalid_choice": _("请选择服务该区域的部门。"),
        },
    )

    def __init__(
        self,
        *args: Any,
        regions: QuerySet[Region],
        categories: QuerySet[Category],
        departments: QuerySet[Department],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("region", regions),
            ("category", categories),
            ("department", departments),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
