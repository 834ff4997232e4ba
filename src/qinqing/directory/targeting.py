"""Audiences: which firms a survey, a notice or an emergency addresses.

One definition for every app that sends something to firms. ``audience_create`` checks that
the author may address what they chose (their own regions, firms they can see) and stores
an :class:`~qinqing.directory.models.Audience`; ``audience_firms`` resolves it to a query of
firms with one indexed filter per dimension; ``audience_summary`` says it in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from ninja import Schema

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of, has_role
from qinqing.common.errors import ServiceError

from .models import (
    Audience,
    Chamber,
    Enterprise,
    FirmSize,
    IndustrySection,
    Region,
    RegionLevel,
)
from .selectors import enterprise_scope

SIZE_CONDITIONS: dict[str, Q] = {
    FirmSize.ABOVE_SCALE: Q(above_scale=True),
    FirmSize.BELOW_SCALE: Q(above_scale=False),
    FirmSize.MICRO: Q(employees__lt=20),
    FirmSize.SMALL: Q(employees__gte=20, employees__lt=300),
    FirmSize.MEDIUM: Q(employees__gte=300, employees__lt=1000),
    FirmSize.LARGE: Q(employees__gte=1000),
}


class AudienceIn(Schema):
    """An audience in the API: region codes, industry section letters, size classes,
    chamber ids and firms' USCCs."""

    regions: list[str] = []
    industries: list[str] = []
    sizes: list[str] = []
    chambers: list[int] = []
    firms: list[str] = []


class AudienceOut(AudienceIn):
    summary: str


def _any_of(conditions: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def audience_condition(audience: Audience) -> Q:
    """The filter on Enterprise that ``audience`` stands for (three small queries)."""
    paths = list(audience.regions.values_list("path", flat=True))
    chamber_ids = list(audience.chambers.values_list("pk", flat=True))
    criteria = Q(pk__in=[])
    if paths or chamber_ids:
        criteria = Q()
        if paths:
            criteria &= _any_of(Q(grid__path__startswith=p) for p in paths)
        if chamber_ids:
            criteria &= Q(
                pk__in=Enterprise.objects.filter(
                    chambermembership__chamber_id__in=chamber_ids
                ).values("pk")
            )
        if audience.industries:
            criteria &= Q(industry_section__in=audience.industries)
        if audience.sizes:
            criteria &= _any_of(SIZE_CONDITIONS[s] for s in audience.sizes if s in SIZE_CONDITIONS)
    picked = Q(pk__in=audience.firms.values("pk"))
    return criteria | picked


def audience_firms(audience: Audience) -> QuerySet[Enterprise]:
    """The firms ``audience`` addresses, as a query (count it, page it, join it)."""
    return Enterprise.objects.filter(audience_condition(audience))


def audience_summary(audience: Audience) -> str:
    """The audience in words, for lists: 海曙区、北仑区 · 制造业 · 规上企业 · 另加指定企业 2 家."""
    parts: list[str] = []
    names = list(audience.regions.values_list("name", flat=True))
    if names:
        parts.append("、".join(names))
    chambers = list(audience.chambers.values_list("name", flat=True))
    if chambers:
        parts.append("、".join(chambers))
    if audience.industries:
        labels = dict(IndustrySection.choices)
        parts.append("、".join(str(labels.get(i, i)) for i in audience.industries))
    if audience.sizes:
        labels = dict(FirmSize.choices)
        parts.append("、".join(str(labels.get(s, s)) for s in audience.sizes))
    picked = audience.firms.count()
    if picked:
        parts.append(
            _("另加指定企业 %(n)d 家") % {"n": picked}
            if parts
            else _("指定企业 %(n)d 家") % {"n": picked}
        )
    return " · ".join(parts) or _("（无）")


def audience_as_schema(audience: Audience) -> dict[str, Any]:
    return {
        "regions": list(audience.regions.values_list("code", flat=True)),
        "industries": list(audience.industries),
        "sizes": list(audience.sizes),
        "chambers": list(audience.chambers.values_list("pk", flat=True)),
        "firms": list(audience.firms.values_list("uscc", flat=True)),
        "summary": audience_summary(audience),
    }


def regions_addressable_by(user: Any) -> QuerySet[Region]:
    """The regions ``user`` may send to: their own regions and everything below them."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return Region.objects.all()
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        region = a.region or (a.department.region if a.department is not None else None)
        if region is not None:
            condition |= Q(path__startswith=region.path)
    return Region.objects.filter(condition)


def _clean(
    actor: Any,
    *,
    regions: Sequence[Region | str],
    industries: Sequence[str],
    sizes: Sequence[str],
    chambers: Sequence[Chamber | int],
    firms: Sequence[Enterprise | str],
) -> tuple[list[Region], list[str], list[str], list[Chamber], list[Enterprise]]:
    errors: dict[str, list[str]] = {}
    codes = [r for r in regions if isinstance(r, str)]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        errors.setdefault("regions", []).append(
            _("没有这些区域代码：%(codes)s") % {"codes": "、".join(unknown)}
        )
    region_rows = [
        r if isinstance(r, Region) else found[r]
        for r in regions
        if not isinstance(r, str) or r in found
    ]
    allowed = set(
        regions_addressable_by(actor)
        .filter(pk__in=[r.pk for r in region_rows])
        .values_list("pk", flat=True)
    )
    outside = [r.name for r in region_rows if r.pk not in allowed]
    if outside:
        errors.setdefault("regions", []).append(
            _("您不能向本辖区以外的区域发送：%(names)s") % {"names": "、".join(outside)}
        )
    bad_industries = [i for i in industries if i not in IndustrySection.values]
    if bad_industries:
        errors["industries"] = [
            _("没有这些行业门类：%(codes)s") % {"codes": "、".join(bad_industries)}
        ]
    bad_sizes = [s for s in sizes if s not in FirmSize.values]
    if bad_sizes:
        errors["sizes"] = [_("没有这些企业规模：%(codes)s") % {"codes": "、".join(bad_sizes)}]
    chamber_ids = [c if isinstance(c, int) else c.pk for c in chambers]
    chamber_rows = list(Chamber.objects.filter(pk__in=chamber_ids))
    if len(chamber_rows) != len(set(chamber_ids)):
        errors["chambers"] = [_("所选商会不存在。")]
    usccs = [f for f in firms if isinstance(f, str)]
    firm_ids = [f.pk for f in firms if isinstance(f, Enterprise)]
    scope = enterprise_scope(actor)
    visible = Enterprise.objects.filter(
        Q(uscc__in=[u.strip().upper() for u in usccs]) | Q(pk__in=firm_ids)
    )
    if scope is not None:
        visible = visible.filter(pk__in=Enterprise.objects.filter(scope).values("pk"))
    firm_rows = list(visible)
    if len(firm_rows) != len(set(usccs)) + len(set(firm_ids)):
        seen = {f.uscc for f in firm_rows}
        missing = [u for u in usccs if u.strip().upper() not in seen]
        errors["firms"] = [
            _("这些企业不存在或不在您的服务范围内：%(codes)s")
            % {"codes": "、".join(missing) or _("（按编号指定的企业）")}
        ]
    if not errors and not region_rows and not chamber_rows and not firm_rows:
        errors["regions"] = [_("请至少选择一个区域、商会或指定企业。")]
    if errors:
        raise ServiceError(_("发送对象有误，请检查。"), field_errors=errors)
    return (
        region_rows,
        list(dict.fromkeys(industries)),
        list(dict.fromkeys(sizes)),
        chamber_rows,
        firm_rows,
    )


@transaction.atomic
def audience_create(
    *,
    actor: Any,
    regions: Sequence[Region | str] = (),
    industries: Sequence[str] = (),
    sizes: Sequence[str] = (),
    chambers: Sequence[Chamber | int] = (),
    firms: Sequence[Enterprise | str] = (),
) -> Audience:
    """Store an audience after checking that ``actor`` may address it.

    Regions may be given as rows or codes, firms as rows or USCCs. Raises ServiceError
    (with ``field_errors`` on regions, industries, sizes, chambers, firms) and stores
    nothing when anything is wrong. The caller audits the object that uses the audience.
    """
    region_rows, industry_list, size_list, chamber_rows, firm_rows = _clean(
        actor, regions=regions, industries=industries, sizes=sizes, chambers=chambers, firms=firms
    )
    audience = Audience.objects.create(industries=industry_list, sizes=size_list)
    audience.regions.set(region_rows)
    audience.chambers.set(chamber_rows)
    audience.firms.set(firm_rows)
    return audience


@transaction.atomic
def audience_update(
    audience: Audience,
    *,
    actor: Any,
    regions: Sequence[Region | str] = (),
    industries: Sequence[str] = (),
    sizes: Sequence[str] = (),
    chambers: Sequence[Chamber | int] = (),
    firms: Sequence[Enterprise | str] = (),
) -> Audience:
    """Replace what ``audience`` addresses, with the checks of ``audience_create``."""
    region_rows, industry_list, size_list, chamber_rows, firm_rows = _clean(
        actor, regions=regions, industries=industries, sizes=sizes, chambers=chambers, firms=firms
    )
    audience.industries = industry_list
    audience.sizes = size_list
    audience.save(update_fields=["industries", "sizes"])
    audience.regions.set(region_rows)
    audience.chambers.set(chamber_rows)
    audience.firms.set(firm_rows)
    return audience


class AudienceForm(forms.Form):
    """The audience part of a form: regions down to communities, industries, sizes,
    chambers, and hand-picked firms by USCC (one a line). Build it with the acting user so
    that the region choices are the ones they may address; pass ``audience_kwargs()`` to
    ``audience_create``."""

    regions = forms.MultipleChoiceField(label=_l("区域"), required=False)
    industries = forms.MultipleChoiceField(
        label=_l("行业门类"),
        required=False,
        choices=IndustrySection.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    sizes = forms.MultipleChoiceField(
        label=_l("企业规模"),
        required=False,
        choices=FirmSize.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    chambers = forms.ModelMultipleChoiceField(
        label=_l("商会"), required=False, queryset=Chamber.objects.order_by("name")
    )
    firms = forms.CharField(
        label=_l("指定企业（统一社会信用代码，每行一个）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = (
            regions_addressable_by(user)
            .filter(level__lte=RegionLevel.COMMUNITY)
            .order_by("path")
            .values_list("code", "name", "level")
        )
        field = self.fields["regions"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(code, "　" * (level - 1) + name) for code, name, level in rows]
        field.widget.attrs["size"] = 8

    def audience_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "regions": list(data.get("regions") or []),
            "industries": list(data.get("industries") or []),
            "sizes": list(data.get("sizes") or []),
            "chambers": list(data.get("chambers") or []),
            "firms": [
                line.strip() for line in (data.get("firms") or "").splitlines() if line.strip()
            ],
        }
