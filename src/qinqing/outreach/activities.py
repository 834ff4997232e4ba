"""活动参与 (activities): policy briefings, investment promotion, trade exchanges, training.

An activity targets firms by region, industry (GB/T 4754 sections), size and chamber; only a
firm inside the target may register. Registration closes at a set time; beyond the capacity
firms join a waiting list in order, and a cancellation promotes the first one waiting. The
organizer (a coordinator of the region, or the system admin) checks firms in on the day, and
only a firm that checked in may leave feedback.

Services write (permission check, row lock, audit record, notice after commit); selectors
read, scoped to the reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.scopes import assignments_of, has_role, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import (
    Chamber,
    ChamberMembership,
    Enterprise,
    IndustrySection,
    Region,
)
from qinqing.directory.permissions import covers, region_paths

from .models import Activity, ActivityKind, Registration

for _action, _label in [
    ("activity.create", gettext_lazy("发布活动")),
    ("activity.register", gettext_lazy("活动报名")),
    ("activity.cancel", gettext_lazy("取消活动报名")),
    ("activity.promote", gettext_lazy("候补转正式报名")),
    ("activity.check_in", gettext_lazy("活动签到")),
    ("activity.feedback", gettext_lazy("活动反馈")),
    ("activity.export", gettext_lazy("导出活动报名")),
]:
    register(_action, _label)

#: the size targets an activity may carry
SIZE_CHOICES = [
    ("", gettext_lazy("不限规模")),
    ("above", gettext_lazy("规上企业")),
    ("below", gettext_lazy("规下企业")),
]
MAX_CAPACITY = 10_000
#: region roles that see the activities of their area (and of the areas above it)
REGION_READERS = {Role.COORDINATOR, Role.STEWARD, Role.SUPERVISOR, Role.OFFICIAL}


# --- who ------------------------------------------------------------------------------------
def ancestor_paths(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]``: the region and every region above it."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def firms_of(user: Any, *roles: str) -> list[Enterprise]:
    """The firms ``user`` holds one of ``roles`` for (enterprise users, observers)."""
    wanted = roles or (Role.ENTERPRISE,)
    return [
        a.enterprise for a in assignments_of(user) if a.role in wanted and a.enterprise is not None
    ]


def is_member_of(user: Any, enterprise_id: int | None) -> bool:
    return enterprise_id is not None and any(
        a.role == Role.ENTERPRISE and a.enterprise_id == enterprise_id for a in assignments_of(user)
    )


def firm_users(enterprise_id: int) -> list[Any]:
    """The enterprise users of a firm (whom a notice about the firm's affairs goes to)."""
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.ENTERPRISE, enterprise_id=enterprise_id
        ).select_related("user")
    ]


def can_organize_in(user: Any, region: Region) -> bool:
    """Coordinators of the region (or above it) and the system admin organise activities."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return True
    return covers(region_paths(user, {Role.COORDINATOR}), region)


def can_organize(user: Any, activity: Activity) -> bool:
    return can_organize_in(user, activity.region)


def organizer_regions(user: Any) -> list[Region]:
    """The regions where ``user`` may publish an activity (down to the community level)."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return list(Region.objects.filter(level__lte=4).order_by("path"))
    condition = Q(pk__in=[])
    for path in region_paths(user, {Role.COORDINATOR}):
        condition |= Q(path__startswith=path)
    return list(Region.objects.filter(condition, level__lte=4).order_by("path"))


# --- targeting ------------------------------------------------------------------------------
def section_labels(sections: list[str]) -> str:
    labels = dict(IndustrySection.choices)
    return "、".join(str(labels.get(s, s)) for s in sections)


def target_text(activity: Activity) -> str:
    """面向：古林镇 · 制造业 · 规上企业 · 某商会会员."""
    parts = [activity.region.name]
    if activity.industry_sections:
        parts.append(section_labels(activity.industry_sections))
    if activity.size == "above":
        parts.append(_("规上企业"))
    elif activity.size == "below":
        parts.append(_("规下企业"))
    if activity.chamber_id is not None and activity.chamber is not None:
        parts.append(_("%(c)s会员") % {"c": activity.chamber.name})
    return " · ".join(str(p) for p in parts)


def ineligibility(activity: Activity, enterprise: Enterprise) -> str:
    """Why ``enterprise`` is outside the activity's target; "" when it may register."""
    if not enterprise.grid.path.startswith(activity.region.path):
        return _("该活动面向%(region)s的企业，贵企业不在范围内。") % {
            "region": activity.region.name
        }
    if activity.industry_sections and enterprise.industry_section not in activity.industry_sections:
        return _("该活动面向%(sections)s行业的企业，贵企业所属行业不在范围内。") % {
            "sections": section_labels(activity.industry_sections)
        }
    if activity.size == "above" and not enterprise.above_scale:
        return _("该活动仅面向规上企业。")
    if activity.size == "below" and enterprise.above_scale:
        return _("该活动仅面向规下企业。")
    if (
        activity.chamber_id is not None
        and not ChamberMembership.objects.filter(
            chamber_id=activity.chamber_id, enterprise=enterprise
        ).exists()
    ):
        chamber = activity.chamber.name if activity.chamber else ""
        return _("该活动仅面向%(chamber)s的会员企业。") % {"chamber": chamber}
    return ""


# --- reads ----------------------------------------------------------------------------------
def activity_scope(user: Any) -> Q | None:
    """The activities ``user`` may see; None means all (the system admin)."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return None
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role in REGION_READERS and a.region is not None:
            condition |= Q(region__path__startswith=a.region.path)
            condition |= Q(region__path__in=ancestor_paths(a.region.path))
        elif a.role == Role.ENTERPRISE and a.enterprise is not None:
            condition |= Q(region__path__in=ancestor_paths(a.enterprise.grid.path))
            condition |= Q(registrations__enterprise_id=a.enterprise_id)
    return condition


def activities_visible_to(user: Any) -> QuerySet[Activity]:
    qs = Activity.objects.select_related("region", "chamber", "organizer")
    condition = activity_scope(user)
    if condition is None:
        return qs
    return qs.filter(pk__in=Activity.objects.filter(condition).values("pk"))


def activity_list(*, user: Any, kind: str = "", upcoming: bool = False) -> QuerySet[Activity]:
    qs = activities_visible_to(user).annotate(
        registered_count=Count("registrations", filter=Q(registrations__status="registered")),
        waitlisted_count=Count("registrations", filter=Q(registrations__status="waitlisted")),
    )
    if kind in ActivityKind.values:
        qs = qs.filter(kind=kind)
    if upcoming:
        qs = qs.filter(starts_at__gte=timezone.now())
    return qs.order_by("-starts_at", "-pk")


def activity_detail(*, user: Any, activity_id: int) -> Activity:
    """Raises Activity.DoesNotExist for an activity outside the reader's scope."""
    return activities_visible_to(user).get(pk=activity_id)


def registrations_of(activity: Activity) -> QuerySet[Registration]:
    """The list the organizer works from: registered first, then the waiting list in order."""
    return (
        Registration.objects.filter(activity=activity)
        .select_related("enterprise", "registered_by")
        .order_by("created_at", "pk")
    )


def own_registrations(*, user: Any, activity: Activity) -> list[Registration]:
    """The registrations of the reader's own firms for ``activity``."""
    ids = [f.pk for f in firms_of(user)]
    return list(
        Registration.objects.filter(activity=activity, enterprise_id__in=ids).select_related(
            "enterprise"
        )
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first firm waiting; None when the registration is not waiting."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        activity_id=registration.activity_id, status=Registration.Status.WAITLISTED
    ).filter(
        Q(created_at__lt=registration.created_at)
        | Q(created_at=registration.created_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


@dataclass
class ActivityFigures:
    registered: int
    waitlisted: int
    cancelled: int
    checked_in: int
    rated: int
    average_rating: float | None
    capacity: int

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.registered, 0)

    @property
    def average_text(self) -> str:
        return "—" if self.average_rating is None else f"{self.average_rating:.1f}"


def activity_figures(activity: Activity) -> ActivityFigures:
    row = Registration.objects.filter(activity=activity).aggregate(
        registered=Count("pk", filter=Q(status=Registration.Status.REGISTERED)),
        waitlisted=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
        cancelled=Count("pk", filter=Q(status=Registration.Status.CANCELLED)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        rated=Count("pk", filter=Q(feedback_rating__isnull=False)),
        average=Avg("feedback_rating"),
    )
    return ActivityFigures(
        registered=row["registered"],
        waitlisted=row["waitlisted"],
        cancelled=row["cancelled"],
        checked_in=row["checked_in"],
        rated=row["rated"],
        average_rating=float(row["average"]) if row["average"] is not None else None,
        capacity=activity.capacity,
    )


# --- writes ---------------------------------------------------------------------------------
def _audit(actor: Any, action: str, obj: Any, **changes: Any) -> None:
    record(actor=actor, action=action, obj=obj, role=primary_role(actor), changes=changes)


def _notify(users: list[Any], *, title: str, body: str, link: str, source: str) -> None:
    from qinqing.inbox.services import deliver

    transaction.on_commit(
        lambda: deliver(users=users, title=title, body=body, link=link, source=source)
    )


def _activity_link(activity_id: int) -> str:
    from django.urls import reverse

    return reverse("outreach:liaison:activity_detail", args=[activity_id])


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    kind: str,
    title: str,
    region: Region | None,
    starts_at: datetime | None,
    registration_closes_at: datetime | None,
    capacity: int | None,
    description: str = "",
    place: str = "",
    industry_sections: list[str] | None = None,
    size: str = "",
    chamber: Chamber | None = None,
) -> Activity:
    """Publish an activity for the firms of a region (optionally narrowed by industry, size
    and chamber)."""
    if region is not None and not can_organize_in(actor, region):
        raise NotPermitted(_("只有本辖区的协调员可以发布活动。"))
    if region is None and not (
        has_role(actor, Role.SYSTEM_ADMIN) or has_role(actor, Role.COORDINATOR)
    ):
        raise NotPermitted(_("只有本辖区的协调员可以发布活动。"))
    title, description, place = (title or "").strip(), (description or "").strip(), place or ""
    sections = sorted(set(industry_sections or []))
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [_("请选择活动类型。")]
    if not title:
        errors["title"] = [_("请填写活动名称。")]
    elif len(title) > 120:
        errors["title"] = [_("活动名称不超过120字。")]
    if len(description) > 5000:
        errors["description"] = [_("活动介绍不超过5000字。")]
    if len(place.strip()) > 200:
        errors["place"] = [_("地点不超过200字。")]
    if region is None:
        errors["region"] = [_("请选择面向区域。")]
    unknown = [s for s in sections if s not in IndustrySection.values]
    if unknown:
        errors["industry_sections"] = [_("行业门类有误：%(s)s。") % {"s": "、".join(unknown)}]
    if size not in {"", "above", "below"}:
        errors["size"] = [_("请选择企业规模。")]
    if capacity is None or capacity < 1:
        errors["capacity"] = [_("名额至少为1。")]
    elif capacity > MAX_CAPACITY:
        errors["capacity"] = [_("名额不超过%(n)d。") % {"n": MAX_CAPACITY}]
    if starts_at is None:
        errors["starts_at"] = [_("请填写开始时间。")]
    elif starts_at <= now:
        errors["starts_at"] = [_("开始时间应晚于现在。")]
    if registration_closes_at is None:
        errors["registration_closes_at"] = [_("请填写报名截止时间。")]
    elif registration_closes_at <= now:
        errors["registration_closes_at"] = [_("报名截止时间应晚于现在。")]
    elif starts_at is not None and registration_closes_at > starts_at:
        errors["registration_closes_at"] = [_("报名截止时间不能晚于活动开始时间。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert region is not None and starts_at is not None and registration_closes_at is not None
    assert capacity is not None
    activity = Activity.objects.create(
        kind=kind,
        title=title,
        description=description,
        region=region,
        industry_sections=sections,
        size=size,
        chamber=chamber,
        starts_at=starts_at,
        place=place.strip(),
        capacity=capacity,
        registration_closes_at=registration_closes_at,
        organizer=actor,
    )
    _audit(
        actor,
        "activity.create",
        activity,
        kind=kind,
        region=region.pk,
        industry_sections=sections,
        size=size,
        chamber=chamber.pk if chamber else None,
        capacity=capacity,
    )
    return activity


def _locked_activity(activity_id: int) -> Activity:
    """The activity row, locked: registrations and cancellations of one activity queue here."""
    try:
        return (
            # no select_related: PostgreSQL refuses FOR UPDATE over the nullable chamber join
            Activity.objects.select_for_update().get(pk=activity_id)
        )
    except Activity.DoesNotExist:
        raise NotPermitted(_("活动不存在。")) from None


@transaction.atomic
def activity_register(*, actor: Any, activity_id: int, enterprise: Enterprise) -> Registration:
    """A firm's enterprise user registers the firm; beyond the capacity it joins the waiting
    list at the end."""
    if not is_member_of(actor, enterprise.pk):
        raise NotPermitted(_("只有企业本身的用户可以为企业报名。"))
    activity = _locked_activity(activity_id)
    now = timezone.now()
    if now >= activity.registration_closes_at:
        raise Conflict(_("报名已截止。"))
    reason = ineligibility(activity, enterprise)
    if reason:
        raise NotPermitted(reason)
    existing = Registration.objects.filter(activity=activity, enterprise=enterprise).first()
    if existing is not None and existing.status != Registration.Status.CANCELLED:
        raise Conflict(_("贵企业已报名该活动。"))
    taken = Registration.objects.filter(
        activity=activity, status=Registration.Status.REGISTERED
    ).count()
    status = (
        Registration.Status.REGISTERED
        if taken < activity.capacity
        else Registration.Status.WAITLISTED
    )
    if existing is None:
        registration = Registration.objects.create(
            activity=activity,
            enterprise=enterprise,
            registered_by=actor,
            status=status,
            created_at=now,
        )
    else:
        # registering again after a cancellation: a new place at the end of the queue
        registration = existing
        registration.status, registration.created_at = status, now
        registration.registered_by = actor
        registration.save(update_fields=["status", "created_at", "registered_by"])
    _audit(actor, "activity.register", registration, status=status, activity=activity.pk)
    return registration


def _promote_first_waiting(activity: Activity, *, actor: Any) -> Registration | None:
    """Move the first firm of the waiting list up when a place is free (activity row locked)."""
    taken = Registration.objects.filter(
        activity=activity, status=Registration.Status.REGISTERED
    ).count()
    if taken >= activity.capacity:
        return None
    first = (
        Registration.objects.select_for_update()
        .filter(activity=activity, status=Registration.Status.WAITLISTED)
        .order_by("created_at", "pk")
        .first()
    )
    if first is None:
        return None
    first.status = Registration.Status.REGISTERED
    first.save(update_fields=["status"])
    _audit(
        actor,
        "activity.promote",
        first,
        status=[Registration.Status.WAITLISTED, Registration.Status.REGISTERED],
    )
    _notify(
        firm_users(first.enterprise_id),
        title=_("候补转为正式报名：%(t)s") % {"t": activity.title},
        body=_("有企业取消报名，贵企业已由候补转为正式报名，请按时参加。"),
        link=_activity_link(activity.pk),
        source=f"activity-promote:{first.pk}:{first.created_at.timestamp():.0f}",
    )
    return first


def _activity_of(registration_id: int) -> int:
    activity_id = (
        Registration.objects.filter(pk=registration_id)
        .values_list("activity_id", flat=True)
        .first()
    )
    if activity_id is None:
        raise NotPermitted(_("报名记录不存在。"))
    return activity_id


@transaction.atomic
def registration_cancel(*, actor: Any, registration_id: int) -> Registration:
    """The firm (or the organizer) cancels; the first firm waiting takes the freed place."""
    activity = _locked_activity(_activity_of(registration_id))
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if not (is_member_of(actor, registration.enterprise_id) or can_organize(actor, activity)):
        raise NotPermitted(_("只有报名企业或活动组织者可以取消报名。"))
    if registration.status == Registration.Status.CANCELLED:
        raise Conflict(_("该报名已取消。"))
    if registration.checked_in_at is not None:
        raise Conflict(_("已签到的报名不能取消。"))
    if timezone.now() >= activity.starts_at:
        raise Conflict(_("活动已开始，不能取消报名。"))
    before = registration.status
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status"])
    _audit(
        actor,
        "activity.cancel",
        registration,
        status=[before, Registration.Status.CANCELLED],
        activity=activity.pk,
    )
    if before == Registration.Status.REGISTERED:
        _promote_first_waiting(activity, actor=actor)
    return registration


def check_in_open(activity: Activity, now: datetime | None = None) -> bool:
    """Check-in opens on the day of the activity (Asia/Shanghai)."""
    now = now or timezone.now()
    return now.astimezone(SHANGHAI).date() >= activity.starts_at.astimezone(SHANGHAI).date()


@transaction.atomic
def registration_check_in(*, actor: Any, registration_id: int) -> Registration:
    """The organizer checks a registered firm in at the door."""
    activity = _locked_activity(_activity_of(registration_id))
    if not can_organize(actor, activity):
        raise NotPermitted(_("只有活动组织者可以签到。"))
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if registration.status != Registration.Status.REGISTERED:
        raise Conflict(_("只有正式报名的企业可以签到（候补或已取消的不能签到）。"))
    if registration.checked_in_at is not None:
        raise Conflict(_("该企业已签到。"))
    if not check_in_open(activity):
        raise Conflict(_("活动当天才能签到。"))
    registration.checked_in_at = timezone.now()
    registration.save(update_fields=["checked_in_at"])
    _audit(actor, "activity.check_in", registration, activity=activity.pk)
    return registration


@transaction.atomic
def registration_feedback(
    *, actor: Any, registration_id: int, rating: int | None, text: str = ""
) -> Registration:
    """A firm that checked in rates the activity (1–5) and may add a comment, once."""
    try:
        registration = Registration.objects.select_for_update().get(pk=registration_id)
    except Registration.DoesNotExist:
        raise NotPermitted(_("报名记录不存在。")) from None
    if not is_member_of(actor, registration.enterprise_id):
        raise NotPermitted(_("只有参加活动的企业可以填写反馈。"))
    if registration.checked_in_at is None:
        raise NotPermitted(_("只有签到参加了活动的企业可以填写反馈。"))
    if registration.feedback_rating is not None:
        raise Conflict(_("贵企业已提交过反馈。"))
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if rating is None or not 1 <= rating <= 5:
        errors["rating"] = [_("请选择1至5分的评分。")]
    if len(text) > 2000:
        errors["text"] = [_("意见不超过2000字。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    registration.feedback_rating, registration.feedback_text = rating, text
    registration.save(update_fields=["feedback_rating", "feedback_text"])
    _audit(actor, "activity.feedback", registration, rating=rating)
    return registration


def registrations_export_rows(
    *, actor: Any, activity: Activity
) -> tuple[list[str], list[list[Any]]]:
    """The organizer's list of registrations as spreadsheet rows (the export is audited)."""
    if not can_organize(actor, activity):
        raise NotPermitted(_("只有活动组织者可以导出报名名单。"))
    header = [
        str(_("企业名称")),
        str(_("统一社会信用代码")),
        str(_("状态")),
        str(_("报名时间")),
        str(_("签到时间")),
        str(_("评分")),
        str(_("意见")),
    ]
    rows: list[list[Any]] = []
    for r in registrations_of(activity):
        rows.append(
            [
                r.enterprise.name,
                r.enterprise.uscc,
                str(r.get_status_display()),
                r.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                r.checked_in_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
                if r.checked_in_at
                else "",
                r.feedback_rating or "",
                r.feedback_text,
            ]
        )
    with transaction.atomic():
        _audit(actor, "activity.export", activity, rows=len(rows))
    return header, rows
