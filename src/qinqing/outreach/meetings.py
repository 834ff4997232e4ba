"""Meetings (座谈会 / 政情恳谈会 / 联席会议 / 商会对接会): services and selectors.

Who may do what:

- organise: stewards hold roundtables in their grid; officials hold dialogue meetings in their
  region; coordinators hold any kind of meeting in their region; coordinators and
  supervisors hold joint meetings of departments (``KIND_ORGANIZERS``);
- the organiser invites firms and people, checks attendees in, records the minutes and the
  follow-up items, and may raise an item as a demand for an invited firm;
- an invited firm's enterprise users (or an invited person) register or decline; when the
  meeting is full a registration goes on the waiting list, and the first on the list moves
  up when someone declines (the meeting row is locked, so concurrent registrations never
  exceed the capacity);
- a department's handlers see and complete the follow-up items assigned to their department;
- coordinators, supervisors and stewards of the meeting's region read everything about it.

Reads are permission-scoped selectors: an id outside the reader's scope is "not found".
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role, User
from qinqing.accounts.scopes import assignments_of, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.common.workdays import SHANGHAI
from qinqing.demands.models import Category, Demand
from qinqing.directory.models import Chamber, Department, Enterprise, Region

from .models import FollowUp, Invitation, Meeting, MeetingKind, VisitRule

for _action, _label in [
    ("meeting.create", gettext_lazy("新建会议")),
    ("meeting.update", gettext_lazy("修改会议")),
    ("meeting.cancel", gettext_lazy("取消会议")),
    ("meeting.invite", gettext_lazy("发送会议邀请")),
    ("meeting.register", gettext_lazy("会议报名")),
    ("meeting.decline", gettext_lazy("不参加会议")),
    ("meeting.promote", gettext_lazy("候补转为报名")),
    ("meeting.check_in", gettext_lazy("会议签到")),
    ("meeting.minutes", gettext_lazy("记录会议纪要")),
    ("follow_up.create", gettext_lazy("新增会议事项")),
    ("follow_up.done", gettext_lazy("会议事项办结")),
    ("follow_up.demand", gettext_lazy("会议事项转为诉求")),
]:
    register(_action, _label)

#: who may organise each kind of meeting (each in the regions of that role)
KIND_ORGANIZERS: dict[str, frozenset[str]] = {
    MeetingKind.ROUNDTABLE: frozenset({Role.STEWARD, Role.COORDINATOR}),
    MeetingKind.DIALOGUE: frozenset({Role.OFFICIAL, Role.COORDINATOR}),
    MeetingKind.JOINT: frozenset({Role.COORDINATOR, Role.SUPERVISOR}),
    MeetingKind.DOCKING: frozenset({Role.COORDINATOR}),
    MeetingKind.OTHER: frozenset({Role.COORDINATOR}),
}
#: roles that read every meeting in their region subtree
REGION_READERS = frozenset({Role.COORDINATOR, Role.SUPERVISOR, Role.STEWARD})
#: roles that may be invited in person, or made responsible for a follow-up item
STAFF_INVITEES = (Role.OFFICIAL, Role.STEWARD, Role.COORDINATOR)
#: invitations that hold or want a seat, and are reminded before the meeting
REMINDED = (Invitation.Status.REGISTERED, Invitation.Status.INVITED)
#: how long before the start invitees are reminded
REMIND_AHEAD = dt.timedelta(hours=24)
#: the order of the invitation list: seats first, then the waiting list, then the rest
INVITATION_ORDER = (
    Invitation.Status.REGISTERED,
    Invitation.Status.WAITLISTED,
    Invitation.Status.INVITED,
    Invitation.Status.DECLINED,
)
TITLE_MAX = 120
MAX_CAPACITY = 10000


# --- quarters in Asia/Shanghai --------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls, now: dt.datetime | None = None) -> Quarter:
        """The quarter of today's date in Asia/Shanghai (not in UTC)."""
        return cls.of(local_date(now or timezone.now()))

    @classmethod
    def parse(cls, text: str | None) -> Quarter | None:
        """``2026Q1`` (or ``2026q1``); None for anything else."""
        text = (text or "").strip().upper()
        if len(text) != 6 or text[4] != "Q" or not text[:4].isdigit() or text[5] not in "1234":
            return None
        year = int(text[:4])
        return cls(year, int(text[5])) if 2000 <= year <= 2100 else None

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        return self.next.start - dt.timedelta(days=1)

    @property
    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return _("%(y)d年第%(q)d季度") % {"y": self.year, "q": self.number}

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes: midnight in Asia/Shanghai."""
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=SHANGHAI)
        end = dt.datetime.combine(self.next.start, dt.time.min, tzinfo=SHANGHAI)
        return start, end

    def __str__(self) -> str:
        return self.label


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SHANGHAI).date()


# --- who ------------------------------------------------------------------------------------
def ancestor_paths(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]`` (the region itself included)."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def _paths(user: Any, roles: Iterable[str]) -> list[str]:
    wanted = set(roles)
    return [a.region.path for a in assignments_of(user) if a.role in wanted and a.region]


def _covers(paths: Sequence[str], region_path: str) -> bool:
    return any(region_path.startswith(p) for p in paths)


def _under(paths: Sequence[str], field: str) -> Q:
    condition = Q(pk__in=[])
    for p in paths:
        condition |= Q(**{f"{field}__startswith": p})
    return condition


def firm_ids_of(user: Any, *roles: str) -> list[int]:
    roles = roles or (Role.ENTERPRISE,)
    return [
        a.enterprise_id
        for a in assignments_of(user)
        if a.role in roles and a.enterprise_id is not None
    ]


def department_ids_of(user: Any) -> list[int]:
    return [
        a.department_id
        for a in assignments_of(user)
        if a.role == Role.HANDLER and a.department_id is not None
    ]


def kinds_for(user: Any) -> list[str]:
    """The kinds of meeting ``user`` may organise, in the order of MeetingKind."""
    held = {a.role for a in assignments_of(user) if a.region is not None}
    return [k for k in MeetingKind.values if KIND_ORGANIZERS[k] & held]


def may_organize(user: Any, kind: str, region: Region) -> bool:
    roles = KIND_ORGANIZERS.get(kind)
    return bool(roles) and _covers(_paths(user, roles or ()), region.path)


def organizer_roots(user: Any) -> list[Region]:
    """The regions of the roles with which ``user`` may organise some kind of meeting."""
    roles = set().union(*KIND_ORGANIZERS.values())
    return [a.region for a in assignments_of(user) if a.role in roles and a.region is not None]


def organizable_regions(user: Any) -> QuerySet[Region]:
    """Every region in which ``user`` may organise some kind of meeting."""
    roles = set().union(*KIND_ORGANIZERS.values())
    return Region.objects.filter(_under(_paths(user, roles), "path")).order_by("path")


def is_organizer(user: Any, meeting: Meeting) -> bool:
    return bool(getattr(user, "pk", None)) and meeting.organizer_id == user.pk


def oversees(user: Any, meeting: Meeting) -> bool:
    """Coordinators, supervisors and stewards of the meeting's region read all of it."""
    return _covers(_paths(user, REGION_READERS), meeting.region.path)


def may_answer(user: Any, invitation: Invitation) -> bool:
    """The invited person, or an enterprise user of the invited firm (not an observer)."""
    if invitation.user_id is not None:
        return invitation.user_id == getattr(user, "pk", None)
    return invitation.enterprise_id in firm_ids_of(user)


def may_complete(user: Any, follow_up: FollowUp) -> bool:
    """The responsible person, a handler of the responsible department, or the organiser."""
    if follow_up.owner_id is not None and follow_up.owner_id == getattr(user, "pk", None):
        return True
    if follow_up.department_id is not None and follow_up.department_id in department_ids_of(user):
        return True
    return is_organizer(user, follow_up.meeting)


# --- selectors: meetings --------------------------------------------------------------------
def meeting_scope(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    condition = Q(organizer=user) | Q(invitations__user=user) | Q(follow_ups__owner=user)
    condition |= _under(_paths(user, REGION_READERS), "region__path")
    firms = firm_ids_of(user, Role.ENTERPRISE, Role.OBSERVER)
    if firms:
        condition |= Q(invitations__enterprise_id__in=firms)
    departments = department_ids_of(user)
    if departments:
        condition |= Q(departments__in=departments) | Q(follow_ups__department_id__in=departments)
    return condition


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    visible = Meeting.objects.filter(meeting_scope(user)).values("pk")
    return Meeting.objects.filter(pk__in=visible).select_related("region", "organizer", "chamber")


def meeting_detail(*, user: Any, meeting_id: int) -> Meeting:
    """Raises Meeting.DoesNotExist for a meeting outside the reader's scope."""
    return meetings_visible_to(user).get(pk=meeting_id)


def with_counts(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.annotate(
        registered_count=Count(
            "invitations", filter=Q(invitations__status=Invitation.Status.REGISTERED)
        ),
        waitlisted_count=Count(
            "invitations", filter=Q(invitations__status=Invitation.Status.WAITLISTED)
        ),
    )


def meeting_list(
    *, user: Any, kind: str = "", when: str = "upcoming", now: dt.datetime | None = None
) -> QuerySet[Meeting]:
    """``when``: "upcoming" (not yet ended, soonest first), "past" (latest first) or "all"."""
    now = now or timezone.now()
    qs = with_counts(meetings_visible_to(user))
    if kind in MeetingKind.values:
        qs = qs.filter(kind=kind)
    if when == "upcoming":
        return qs.filter(ends_at__gte=now).order_by("starts_at", "pk")
    if when == "past":
        qs = qs.filter(ends_at__lt=now)
    return qs.order_by("-starts_at", "-pk")


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI),
        dt.datetime.combine(following, dt.time.min, tzinfo=SHANGHAI),
    )


def meetings_by_day(*, user: Any, year: int, month: int) -> list[tuple[dt.date, list[Meeting]]]:
    """The reader's meetings of one month (Asia/Shanghai), grouped by day of the start."""
    start, end = month_bounds(year, month)
    qs = meetings_visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
    days: dict[dt.date, list[Meeting]] = {}
    for meeting in qs.order_by("starts_at", "pk"):
        days.setdefault(local_date(meeting.starts_at), []).append(meeting)
    return sorted(days.items())


def calendar_meetings(*, user: Any, now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """The meetings of the personal iCal feed: the last half year and everything ahead."""
    since = (now or timezone.now()) - dt.timedelta(days=183)
    return meetings_visible_to(user).filter(ends_at__gte=since).order_by("starts_at", "pk")


def invitations_of(meeting: Meeting) -> QuerySet[Invitation]:
    """Everyone invited: registered first, then the waiting list in order, then the rest."""
    rank = Case(
        *(When(status=s, then=Value(i)) for i, s in enumerate(INVITATION_ORDER)),
        default=Value(len(INVITATION_ORDER)),
    )
    return (
        Invitation.objects.filter(meeting=meeting)
        .select_related("enterprise", "user")
        .annotate(rank=rank)
        .order_by("rank", "registered_at", "pk")
    )


def own_invitations(*, user: Any, meeting: Meeting) -> list[Invitation]:
    """The invitations ``user`` may answer for (their own, or their firm's)."""
    condition = Q(user_id=getattr(user, "pk", None))
    firms = firm_ids_of(user)
    if firms:
        condition |= Q(enterprise_id__in=firms)
    qs = Invitation.objects.filter(condition, meeting=meeting).select_related("enterprise")
    return list(qs.order_by("pk"))


def waitlist_position(invitation: Invitation) -> int | None:
    if invitation.status != Invitation.Status.WAITLISTED or invitation.registered_at is None:
        return None
    ahead = Invitation.objects.filter(
        meeting_id=invitation.meeting_id, status=Invitation.Status.WAITLISTED
    ).filter(
        Q(registered_at__lt=invitation.registered_at)
        | Q(registered_at=invitation.registered_at, pk__lt=invitation.pk)
    )
    return ahead.count() + 1


def invitable_enterprises(meeting: Meeting, *, query: str = "") -> QuerySet[Enterprise]:
    """Firms of the meeting's region (and the chamber's members), not yet invited."""
    condition = Q(grid__path__startswith=meeting.region.path)
    if meeting.chamber_id:
        condition |= Q(chambers=meeting.chamber_id)
    invited = Invitation.objects.filter(meeting=meeting, enterprise__isnull=False)
    qs = Enterprise.objects.filter(
        pk__in=Enterprise.objects.filter(condition).values("pk")
    ).exclude(pk__in=invited.values("enterprise_id"))
    query = query.strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(uscc=query.upper()))
    return qs.order_by("name", "pk")


def _related_region(region: Region, field: str) -> Q:
    """Regions above (or equal to) ``region``, or inside it."""
    return Q(**{f"{field}__in": ancestor_paths(region.path)}) | Q(
        **{f"{field}__startswith": region.path}
    )


def staff_of_region(region: Region) -> QuerySet[User]:
    """Officials, stewards and coordinators whose region is above, at or inside ``region``."""
    condition = Q(role_assignments__role__in=STAFF_INVITEES) & _related_region(
        region, "role_assignments__region__path"
    )
    ids = User.objects.filter(condition, is_active=True).values("pk")
    return User.objects.filter(pk__in=ids).order_by("display_name", "username")


def invitable_users(meeting: Meeting) -> QuerySet[User]:
    invited = Invitation.objects.filter(meeting=meeting, user__isnull=False).values("user_id")
    return staff_of_region(meeting.region).exclude(pk=meeting.organizer_id).exclude(pk__in=invited)


def assignable_owners(meeting: Meeting) -> QuerySet[User]:
    """Who may be made responsible for an item: the organiser, invitees, staff of the region."""
    invited = Invitation.objects.filter(meeting=meeting, user__isnull=False).values("user_id")
    ids = staff_of_region(meeting.region).values("pk")
    return (
        User.objects.filter(
            Q(pk=meeting.organizer_id) | Q(pk__in=invited) | Q(pk__in=ids), is_active=True
        )
        .distinct()
        .order_by("display_name", "username")
    )


def departments_for(region: Region) -> QuerySet[Department]:
    """Departments serving the region (above it or at it) or inside it."""
    return (
        Department.objects.filter(_related_region(region, "region__path"))
        .select_related("region")
        .order_by("region__path", "name")
    )


def chambers_for(region: Region) -> QuerySet[Chamber]:
    return Chamber.objects.filter(_related_region(region, "region__path")).order_by("name")


# --- selectors: follow-up items -------------------------------------------------------------
def follow_up_scope(user: Any) -> Q:
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    condition = Q(owner=user) | Q(meeting__organizer=user) | Q(meeting__invitations__user=user)
    condition |= _under(_paths(user, REGION_READERS), "meeting__region__path")
    departments = department_ids_of(user)
    if departments:
        condition |= Q(department_id__in=departments)
    return condition


def follow_ups_visible_to(user: Any) -> QuerySet[FollowUp]:
    visible = FollowUp.objects.filter(follow_up_scope(user)).values("pk")
    return FollowUp.objects.filter(pk__in=visible).select_related(
        "meeting", "meeting__region", "owner", "department", "demand"
    )


def follow_up_detail(*, user: Any, follow_up_id: int) -> FollowUp:
    """Raises FollowUp.DoesNotExist outside the reader's scope (another department's item)."""
    return follow_ups_visible_to(user).get(pk=follow_up_id)


def follow_ups_of(*, user: Any, meeting: Meeting) -> QuerySet[FollowUp]:
    return follow_ups_visible_to(user).filter(meeting=meeting).order_by("due_on", "pk")


def follow_up_list(
    *, user: Any, state: str = "open", today: dt.date | None = None
) -> QuerySet[FollowUp]:
    """``state``: "open", "overdue", "done" or "all"; nearest due date first."""
    today = today or local_date(timezone.now())
    qs = follow_ups_visible_to(user)
    if state == "open":
        qs = qs.filter(done_at__isnull=True)
    elif state == "overdue":
        qs = qs.filter(done_at__isnull=True, due_on__lt=today)
    elif state == "done":
        return qs.filter(done_at__isnull=False).order_by("-done_at", "-pk")
    return qs.order_by("due_on", "pk")


# --- selectors: the roundtable rule ---------------------------------------------------------
@dataclass(frozen=True)
class RoundtableProgress:
    region: Region
    quarter: Quarter
    held: int
    required: int

    @property
    def met(self) -> bool:
        return self.held >= self.required


def roundtables_required(region: Region) -> int:
    """The nearest VisitRule up the tree decides; 1 a quarter when there is none."""
    rule = (
        VisitRule.objects.filter(region__path__in=ancestor_paths(region.path))
        .order_by("-region__level")
        .first()
    )
    return rule.roundtables_per_quarter if rule is not None else 1


def roundtable_progress(
    *, user: Any, now: dt.datetime | None = None, quarter: Quarter | None = None
) -> list[RoundtableProgress]:
    """For each of a steward's regions: roundtables held this quarter against the rule.

    A roundtable counts when it was held (its minutes are recorded) in the quarter in the
    steward's region (whoever organised it: the steward or the home's coordinator).
    """
    quarter = quarter or Quarter.current(now)
    start, end = quarter.bounds()
    out = []
    for a in assignments_of(user):
        if a.role != Role.STEWARD or a.region is None:
            continue
        held = (
            Meeting.objects.filter(
                kind=MeetingKind.ROUNDTABLE,
                status=Meeting.Status.HELD,
                starts_at__gte=start,
                starts_at__lt=end,
            )
            .filter(region__path__startswith=a.region.path)
            .count()
        )
        out.append(
            RoundtableProgress(
                region=a.region, quarter=quarter, held=held, required=roundtables_required(a.region)
            )
        )
    return out


# --- services: helpers ----------------------------------------------------------------------
def _now() -> dt.datetime:
    return timezone.now()


def _audit(actor: Any, action: str, obj: Any, **changes: Any) -> None:
    record(
        actor=actor,
        action=action,
        obj=obj,
        role=primary_role(actor) if actor else "",
        changes=changes,
    )


def meeting_link(meeting_id: int) -> str:
    return reverse("outreach:meetings:detail", args=[meeting_id])


def _notify(kind: str, pk: int) -> None:
    """Tell the people concerned after the transaction commits (a background job)."""
    from .tasks import notify_meeting

    transaction.on_commit(lambda: notify_meeting.enqueue(kind, pk))


def _locked_meeting(meeting_id: int) -> Meeting:
    """The meeting row, locked until the end of the transaction (serialises seat changes)."""
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("region", "organizer")
        .get(pk=meeting_id)
    )


def _clean_text(
    value: str | None, *, field: str, limit: int, label: str, required: bool = False
) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(
            _("请填写%(f)s。") % {"f": label},
            field_errors={field: [_("请填写%(f)s。") % {"f": label}]},
        )
    if len(text) > limit:
        message = _("%(f)s不超过%(n)d字。") % {"f": label, "n": limit}
        raise ServiceError(message, field_errors={field: [message]})
    return text


@dataclass
class MeetingData:
    kind: str
    title: str
    region: Region
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    agenda: str
    capacity: int | None
    chamber: Chamber | None
    departments: list[Department]


def _check_meeting(
    actor: Any,
    *,
    kind: str,
    title: str | None,
    region: Region | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: str | None,
    agenda: str | None,
    capacity: int | None,
    chamber: Chamber | None,
    departments: Iterable[Department],
    registered: int = 0,
) -> MeetingData:
    """Every field checked at once; all messages are returned together."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in MeetingKind.values:
        fail("kind", _("请选择会议类型。"))
    title = (title or "").strip()
    if not title:
        fail("title", _("请填写会议名称。"))
    elif len(title) > TITLE_MAX:
        fail("title", _("会议名称不超过%(n)d字。") % {"n": TITLE_MAX})
    if region is None:
        fail("region", _("请选择区域。"))
    elif kind in MeetingKind.values and not may_organize(actor, kind, region):
        fail(
            "region",
            _("您不能在%(r)s组织%(k)s。") % {"r": region.name, "k": MeetingKind(kind).label},
        )
    if starts_at is None:
        fail("starts_at", _("请填写开始时间。"))
    if ends_at is None:
        fail("ends_at", _("请填写结束时间。"))
    elif starts_at is not None and ends_at <= starts_at:
        fail("ends_at", _("结束时间应晚于开始时间。"))
    elif starts_at is not None and ends_at - starts_at > dt.timedelta(days=7):
        fail("ends_at", _("会议不超过7天。"))
    place = (place or "").strip()
    if len(place) > 200:
        fail("place", _("地点不超过200字。"))
    agenda = (agenda or "").strip()
    if len(agenda) > 5000:
        fail("agenda", _("议程不超过5000字。"))
    if capacity is not None:
        if capacity < 1 or capacity > MAX_CAPACITY:
            fail(
                "capacity", _("名额应为1至%(n)d之间的整数，不限名额请留空。") % {"n": MAX_CAPACITY}
            )
        elif capacity < registered:
            fail("capacity", _("名额不能少于已报名的%(n)d家。") % {"n": registered})
    departments = list(departments)
    if region is not None:
        allowed = set(departments_for(region).values_list("pk", flat=True))
        if any(d.pk not in allowed for d in departments):
            fail("departments", _("参会部门应为服务该区域的部门。"))
        if chamber is not None and not chambers_for(region).filter(pk=chamber.pk).exists():
            fail("chamber", _("该商会不在会议区域内。"))
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert region is not None and starts_at is not None and ends_at is not None
    return MeetingData(
        kind=kind,
        title=title,
        region=region,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        agenda=agenda,
        capacity=capacity,
        chamber=chamber,
        departments=departments,
    )


# --- services: meetings ---------------------------------------------------------------------
@transaction.atomic
def meeting_create(
    *,
    actor: Any,
    kind: str,
    title: str,
    region: Region | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: str = "",
    agenda: str = "",
    capacity: int | None = None,
    chamber: Chamber | None = None,
    departments: Iterable[Department] = (),
) -> Meeting:
    if not kinds_for(actor):
        raise NotPermitted(_("您不能组织会议。"))
    data = _check_meeting(
        actor,
        kind=kind,
        title=title,
        region=region,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        agenda=agenda,
        capacity=capacity,
        chamber=chamber,
        departments=departments,
    )
    meeting = Meeting.objects.create(
        kind=data.kind,
        title=data.title,
        region=data.region,
        organizer=actor,
        chamber=data.chamber,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
        agenda=data.agenda,
        capacity=data.capacity,
    )
    if data.departments:
        meeting.departments.set(data.departments)
    _audit(
        actor,
        "meeting.create",
        meeting,
        kind=data.kind,
        region=data.region.pk,
        starts_at=data.starts_at.isoformat(),
        capacity=data.capacity,
        departments=[d.pk for d in data.departments],
    )
    return meeting


def _require_organizer(actor: Any, meeting: Meeting) -> None:
    if not is_organizer(actor, meeting):
        raise NotPermitted(_("只有会议组织者可以进行此操作。"))


def _require_open(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(_("会议已取消。"))


@transaction.atomic
def meeting_update(
    *,
    actor: Any,
    meeting_id: int,
    title: str,
    region: Region | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: str = "",
    agenda: str = "",
    capacity: int | None = None,
    chamber: Chamber | None = None,
    departments: Iterable[Department] = (),
) -> Meeting:
    """Change a planned meeting; a larger capacity moves people up from the waiting list."""
    meeting = _locked_meeting(meeting_id)
    _require_organizer(actor, meeting)
    if meeting.status != Meeting.Status.PLANNED:
        raise Conflict(_("会议已召开或已取消，不能再修改。"))
    registered = Invitation.objects.filter(
        meeting=meeting, status=Invitation.Status.REGISTERED
    ).count()
    data = _check_meeting(
        actor,
        kind=meeting.kind,
        title=title,
        region=region,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        agenda=agenda,
        capacity=capacity,
        chamber=chamber,
        departments=departments,
        registered=registered,
    )
    before = {
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "capacity": meeting.capacity,
    }
    moved = meeting.starts_at != data.starts_at or meeting.place != data.place
    for name in ("title", "region", "starts_at", "ends_at", "place", "agenda", "capacity"):
        setattr(meeting, name, getattr(data, name))
    meeting.chamber = data.chamber
    meeting.save()
    meeting.departments.set(data.departments)
    after = {
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "place": meeting.place,
        "capacity": meeting.capacity,
    }
    _audit(
        actor,
        "meeting.update",
        meeting,
        **{k: [before[k], after[k]] for k in before if before[k] != after[k]},
    )
    _fill_seats(meeting, actor=actor)
    if moved:
        # a changed time or place is news for everyone who is coming or asked
        Invitation.objects.filter(meeting=meeting, status__in=REMINDED).update(reminded_at=None)
        _notify("changed", meeting.pk)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting_id: int, reason: str = "") -> Meeting:
    meeting = _locked_meeting(meeting_id)
    _require_organizer(actor, meeting)
    if meeting.status != Meeting.Status.PLANNED:
        raise Conflict(_("会议已召开或已取消。"))
    reason = _clean_text(reason, field="reason", limit=500, label=_("取消原因"))
    meeting.status = Meeting.Status.CANCELLED
    meeting.save(update_fields=["status"])
    _audit(actor, "meeting.cancel", meeting, reason=reason)
    _notify("cancelled", meeting.pk)
    return meeting


# --- services: invitations, registration, waiting list, attendance --------------------------
@transaction.atomic
def meeting_invite(
    *,
    actor: Any,
    meeting_id: int,
    enterprise_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
) -> list[Invitation]:
    """Invite firms of the meeting's region and staff of the region; each once."""
    meeting = _locked_meeting(meeting_id)
    _require_organizer(actor, meeting)
    if meeting.status != Meeting.Status.PLANNED:
        raise Conflict(_("会议已召开或已取消，不能再邀请。"))
    enterprise_ids, user_ids = sorted(set(enterprise_ids)), sorted(set(user_ids))
    if not enterprise_ids and not user_ids:
        raise ServiceError(
            _("请选择要邀请的企业或人员。"),
            field_errors={"enterprises": [_("请选择要邀请的企业或人员。")]},
        )
    firms = set(
        invitable_enterprises(meeting).filter(pk__in=enterprise_ids).values_list("pk", flat=True)
    )
    people = set(invitable_users(meeting).filter(pk__in=user_ids).values_list("pk", flat=True))
    if set(enterprise_ids) - firms:
        raise ServiceError(
            _("只能邀请会议区域内尚未邀请的企业。"),
            field_errors={"enterprises": [_("只能邀请会议区域内尚未邀请的企业。")]},
        )
    if set(user_ids) - people:
        raise ServiceError(
            _("只能邀请本区域尚未邀请的干部和工作人员。"),
            field_errors={"users": [_("只能邀请本区域尚未邀请的干部和工作人员。")]},
        )
    created = [
        Invitation.objects.create(meeting=meeting, enterprise_id=pk) for pk in sorted(firms)
    ] + [Invitation.objects.create(meeting=meeting, user_id=pk) for pk in sorted(people)]
    _audit(
        actor,
        "meeting.invite",
        meeting,
        enterprises=sorted(firms),
        users=sorted(people),
    )
    for invitation in created:
        _notify("invited", invitation.pk)
    return created


def _locked_invitation(invitation_id: int) -> tuple[Meeting, Invitation]:
    """Lock the meeting first, then the invitation: the same order everywhere."""
    meeting_id = (
        Invitation.objects.filter(pk=invitation_id).values_list("meeting_id", flat=True).first()
    )
    if meeting_id is None:
        raise Invitation.DoesNotExist
    meeting = _locked_meeting(meeting_id)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("enterprise", "user")
        .get(pk=invitation_id)
    )
    return meeting, invitation


def _registration_open(meeting: Meeting, now: dt.datetime) -> None:
    _require_open(meeting)
    if meeting.status != Meeting.Status.PLANNED or meeting.starts_at <= now:
        raise Conflict(_("会议已开始，报名已截止。"))


def seats_taken(meeting: Meeting) -> int:
    return Invitation.objects.filter(meeting=meeting, status=Invitation.Status.REGISTERED).count()


@transaction.atomic
def invitation_register(*, actor: Any, invitation_id: int) -> Invitation:
    """Register; when every seat is taken, join the waiting list instead."""
    meeting, invitation = _locked_invitation(invitation_id)
    if not may_answer(actor, invitation):
        raise NotPermitted(_("只有受邀企业或受邀人员可以报名。"))
    now = _now()
    _registration_open(meeting, now)
    if invitation.status in (Invitation.Status.REGISTERED, Invitation.Status.WAITLISTED):
        raise Conflict(
            _("已报名。")
            if invitation.status == Invitation.Status.REGISTERED
            else _("已在候补名单中。")
        )
    full = meeting.capacity is not None and seats_taken(meeting) >= meeting.capacity
    before = invitation.status
    invitation.status = Invitation.Status.WAITLISTED if full else Invitation.Status.REGISTERED
    invitation.registered_at = now
    invitation.save(update_fields=["status", "registered_at"])
    _audit(
        actor,
        "meeting.register",
        invitation,
        meeting=meeting.pk,
        status=[before, invitation.status],
    )
    return invitation


def _fill_seats(meeting: Meeting, *, actor: Any) -> list[Invitation]:
    """Move the first on the waiting list up while there are free seats (meeting locked)."""
    promoted: list[Invitation] = []
    waiting = Invitation.objects.filter(
        meeting=meeting, status=Invitation.Status.WAITLISTED
    ).order_by("registered_at", "pk")
    free = None if meeting.capacity is None else meeting.capacity - seats_taken(meeting)
    for invitation in waiting.select_for_update(of=("self",)):
        if free is not None and free <= 0:
            break
        invitation.status = Invitation.Status.REGISTERED
        invitation.save(update_fields=["status"])
        _audit(actor, "meeting.promote", invitation, meeting=meeting.pk)
        _notify("promoted", invitation.pk)
        promoted.append(invitation)
        if free is not None:
            free -= 1
    return promoted


@transaction.atomic
def invitation_decline(*, actor: Any, invitation_id: int) -> Invitation:
    """Decline (or give up a seat); the first on the waiting list takes the seat."""
    meeting, invitation = _locked_invitation(invitation_id)
    if not may_answer(actor, invitation):
        raise NotPermitted(_("只有受邀企业或受邀人员可以答复邀请。"))
    _registration_open(meeting, _now())
    if invitation.status == Invitation.Status.DECLINED:
        raise Conflict(_("已答复不参加。"))
    before = invitation.status
    invitation.status = Invitation.Status.DECLINED
    invitation.save(update_fields=["status"])
    _audit(
        actor, "meeting.decline", invitation, meeting=meeting.pk, status=[before, invitation.status]
    )
    if before == Invitation.Status.REGISTERED:
        _fill_seats(meeting, actor=actor)
    return invitation


@transaction.atomic
def invitation_check_in(*, actor: Any, invitation_id: int, attended: bool = True) -> Invitation:
    """The organiser marks an invitee present (or undoes it) from the meeting day on."""
    meeting, invitation = _locked_invitation(invitation_id)
    _require_organizer(actor, meeting)
    _require_open(meeting)
    now = _now()
    if local_date(now) < local_date(meeting.starts_at):
        raise Conflict(_("会议当天才能签到。"))
    if attended and invitation.status == Invitation.Status.DECLINED:
        raise Conflict(_("该受邀方已答复不参加，不能签到。"))
    invitation.attended = attended
    invitation.checked_in_at = now if attended else None
    invitation.save(update_fields=["attended", "checked_in_at"])
    _audit(actor, "meeting.check_in", invitation, meeting=meeting.pk, attended=attended)
    return invitation


@transaction.atomic
def meeting_record_minutes(*, actor: Any, meeting_id: int, minutes: str) -> Meeting:
    """Record (or correct) the minutes; the meeting is then counted as held."""
    meeting = _locked_meeting(meeting_id)
    _require_organizer(actor, meeting)
    _require_open(meeting)
    if meeting.starts_at > _now():
        message = _("会议开始后才能记录纪要。")
        raise Conflict(message, field_errors={"minutes": [message]})
    text = _clean_text(minutes, field="minutes", limit=20000, label=_("会议纪要"), required=True)
    before = meeting.status
    meeting.minutes = text
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["minutes", "status"])
    _audit(
        actor,
        "meeting.minutes",
        meeting,
        status=[before, meeting.status],
        length=len(text),
    )
    return meeting


# --- services: follow-up items --------------------------------------------------------------
@transaction.atomic
def follow_up_create(
    *,
    actor: Any,
    meeting_id: int,
    title: str,
    due_on: dt.date | None,
    owner: Any = None,
    department: Department | None = None,
) -> FollowUp:
    """An item decided at the meeting, owned by a person or assigned to a department."""
    meeting = _locked_meeting(meeting_id)
    _require_organizer(actor, meeting)
    _require_open(meeting)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写事项。")]
    elif len(title) > 200:
        errors["title"] = [_("事项不超过200字。")]
    if due_on is None:
        errors["due_on"] = [_("请填写完成期限。")]
    elif due_on < local_date(_now()):
        errors["due_on"] = [_("完成期限不能早于今天。")]
    if owner is None and department is None:
        errors["owner"] = [_("请指定责任人或责任部门。")]
    if owner is not None and not assignable_owners(meeting).filter(pk=owner.pk).exists():
        errors["owner"] = [_("责任人应为组织者、受邀人员或本区域的工作人员。")]
    if (
        department is not None
        and not departments_for(meeting.region).filter(pk=department.pk).exists()
    ):
        errors["department"] = [_("责任部门应为服务该区域的部门。")]
    if errors or due_on is None:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    follow_up = FollowUp.objects.create(
        meeting=meeting, title=title, due_on=due_on, owner=owner, department=department
    )
    _audit(
        actor,
        "follow_up.create",
        follow_up,
        meeting=meeting.pk,
        owner=owner.pk if owner is not None else None,
        department=department.pk if department is not None else None,
        due_on=str(due_on),
    )
    _notify("follow_up", follow_up.pk)
    return follow_up


def _locked_follow_up(follow_up_id: int) -> FollowUp:
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("meeting", "meeting__region", "department", "owner")
        .get(pk=follow_up_id)
    )


@transaction.atomic
def follow_up_complete(*, actor: Any, follow_up_id: int, result: str) -> FollowUp:
    follow_up = _locked_follow_up(follow_up_id)
    if not may_complete(actor, follow_up):
        raise NotPermitted(_("只有责任人、责任部门或会议组织者可以办结该事项。"))
    if follow_up.done_at is not None:
        raise Conflict(_("该事项已办结。"))
    text = _clean_text(result, field="result", limit=5000, label=_("落实情况"), required=True)
    follow_up.result = text
    follow_up.done_at = _now()
    follow_up.save(update_fields=["result", "done_at"])
    _audit(actor, "follow_up.done", follow_up, meeting=follow_up.meeting_id)
    return follow_up


@transaction.atomic
def follow_up_raise_demand(
    *,
    actor: Any,
    follow_up_id: int,
    enterprise: Enterprise | None,
    category: Category | None,
    description: str = "",
) -> Demand:
    """Raise the item as a demand for an invited firm (steward or coordinator channel)."""
    from qinqing.demands.services import demand_submit

    follow_up = _locked_follow_up(follow_up_id)
    meeting = follow_up.meeting
    _require_organizer(actor, meeting)
    if follow_up.demand_id is not None:
        raise Conflict(_("该事项已转为诉求。"))
    errors: dict[str, list[str]] = {}
    if enterprise is None:
        errors["enterprise"] = [_("请选择企业。")]
    elif not Invitation.objects.filter(meeting=meeting, enterprise=enterprise).exists():
        errors["enterprise"] = [_("只能为受邀企业提交诉求。")]
    if category is None:
        errors["category"] = [_("请选择类别。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert enterprise is not None and category is not None
    extra = (description or "").strip()
    text = _("%(date)s「%(meeting)s」形成的事项：%(title)s") % {
        "date": local_date(meeting.starts_at).isoformat(),
        "meeting": meeting.title,
        "title": follow_up.title,
    }
    demand = demand_submit(
        actor=actor,
        enterprise=enterprise,
        category=category,
        title=follow_up.title[:120],
        description=f"{text}\n{extra}" if extra else text,
    )
    follow_up.demand = demand
    follow_up.save(update_fields=["demand"])
    _audit(actor, "follow_up.demand", follow_up, demand=demand.number, meeting=meeting.pk)
    return demand


# --- notices and reminders ------------------------------------------------------------------
def firm_users(enterprise_id: int) -> list[Any]:
    return list(
        User.objects.filter(
            role_assignments__role=Role.ENTERPRISE,
            role_assignments__enterprise_id=enterprise_id,
            is_active=True,
        ).distinct()
    )


def handlers_of(department_id: int) -> list[Any]:
    return list(
        User.objects.filter(
            role_assignments__role=Role.HANDLER,
            role_assignments__department_id=department_id,
            is_active=True,
        ).distinct()
    )


def invitees(invitation: Invitation) -> list[Any]:
    if invitation.user_id is not None:
        return [invitation.user] if invitation.user is not None else []
    return firm_users(invitation.enterprise_id) if invitation.enterprise_id else []


def when_text(meeting: Meeting) -> str:
    start = meeting.starts_at.astimezone(SHANGHAI)
    end = meeting.ends_at.astimezone(SHANGHAI)
    same_day = start.date() == end.date()
    finish = end.strftime("%H:%M") if same_day else end.strftime("%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M}–{finish}"


def _meeting_text(meeting: Meeting) -> str:
    lines = [_("时间：%(t)s") % {"t": when_text(meeting)}]
    if meeting.place:
        lines.append(_("地点：%(p)s") % {"p": meeting.place})
    return "\n".join(lines)


def notify(kind: str, pk: int) -> int:
    """Deliver one notice (idempotent per source); called by the ``notify_meeting`` job."""
    from qinqing.inbox.services import deliver

    if kind in ("invited", "promoted"):
        invitation = (
            Invitation.objects.select_related("meeting", "user", "enterprise").filter(pk=pk).first()
        )
        if invitation is None:
            return 0
        meeting = invitation.meeting
        if kind == "invited":
            title = _("会议邀请：%(m)s") % {"m": meeting.title}
            body = _("诚邀您参加%(k)s「%(m)s」，请在会议开始前报名或答复不参加。") % {
                "k": meeting.get_kind_display(),
                "m": meeting.title,
            }
            source = f"outreach.meeting.invited:{pk}"
        else:
            title = _("候补成功：%(m)s") % {"m": meeting.title}
            body = _("有名额空出，您已由候补转为正式报名「%(m)s」。") % {"m": meeting.title}
            source = f"outreach.meeting.promoted:{pk}:{invitation.registered_at or ''}"
            source = source[:80]
        return deliver(
            users=invitees(invitation),
            title=title,
            body=f"{body}\n{_meeting_text(meeting)}",
            link=meeting_link(meeting.pk),
            source=source,
        )
    if kind in ("cancelled", "changed"):
        found = Meeting.objects.filter(pk=pk).first()
        if found is None:
            return 0
        meeting = found
        wanted = [*REMINDED, Invitation.Status.WAITLISTED]
        users: list[Any] = []
        for invitation in Invitation.objects.filter(
            meeting=meeting, status__in=wanted
        ).select_related("user"):
            users.extend(invitees(invitation))
        if kind == "cancelled":
            title = _("会议取消：%(m)s") % {"m": meeting.title}
            body = _("「%(m)s」已取消。") % {"m": meeting.title}
            source = f"outreach.meeting.cancelled:{pk}"
        else:
            title = _("会议变更：%(m)s") % {"m": meeting.title}
            body = _("「%(m)s」的时间或地点有变更。") % {"m": meeting.title}
            stamp = f"{meeting.starts_at:%Y%m%d%H%M}:{zlib.crc32(meeting.place.encode()):08x}"
            source = f"outreach.meeting.changed:{pk}:{stamp}"
        return deliver(
            users=users,
            title=title,
            body=f"{body}\n{_meeting_text(meeting)}",
            link=meeting_link(meeting.pk),
            source=source,
        )
    if kind == "follow_up":
        follow_up = (
            FollowUp.objects.select_related("meeting", "owner", "department").filter(pk=pk).first()
        )
        if follow_up is None:
            return 0
        people = [follow_up.owner] if follow_up.owner is not None else []
        if follow_up.department_id is not None:
            people.extend(handlers_of(follow_up.department_id))
        return deliver(
            users=people,
            title=_("会议事项：%(t)s") % {"t": follow_up.title},
            body=_("「%(m)s」交办事项，请于%(d)s前完成并填写落实情况。")
            % {"m": follow_up.meeting.title, "d": follow_up.due_on.isoformat()},
            link=reverse("outreach:meetings:follow_ups"),
            source=f"outreach.follow_up:{pk}",
        )
    raise ValueError(f"unknown meeting notice: {kind}")


def send_reminders(*, now: dt.datetime | None = None, ahead: dt.timedelta = REMIND_AHEAD) -> int:
    """Remind invitees of meetings starting within ``ahead``; each invitation once.

    The invitation is claimed (``reminded_at`` set where it was empty) before the message
    goes out, so two runs at once never remind twice; the inbox's per-source uniqueness
    guards the message itself.
    """
    from qinqing.inbox.services import deliver

    now = now or _now()
    due = (
        Invitation.objects.filter(
            meeting__status=Meeting.Status.PLANNED,
            meeting__starts_at__gt=now,
            meeting__starts_at__lte=now + ahead,
            status__in=REMINDED,
            reminded_at__isnull=True,
        )
        .select_related("meeting", "user", "enterprise")
        .order_by("meeting__starts_at", "pk")
    )
    sent = 0
    for invitation in due:
        claimed = Invitation.objects.filter(pk=invitation.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if not claimed:
            continue
        meeting = invitation.meeting
        if invitation.status == Invitation.Status.REGISTERED:
            body = _("您已报名的「%(m)s」即将召开。") % {"m": meeting.title}
        else:
            body = _("「%(m)s」即将召开，您尚未答复，请报名或答复不参加。") % {"m": meeting.title}
        deliver(
            users=invitees(invitation),
            title=_("会议提醒：%(m)s") % {"m": meeting.title},
            body=f"{body}\n{_meeting_text(meeting)}",
            link=meeting_link(meeting.pk),
            source=f"outreach.meeting.remind:{invitation.pk}:{meeting.starts_at:%Y%m%d%H%M}",
        )
        sent += 1
    return sent
