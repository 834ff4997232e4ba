"""Chamber liaison (商会对接), judicial safeguards (司法保障) and observers (亲清观察员).

* Chamber liaison: a member firm consents that its chamber raises and follows demands on its
  behalf (the firm's enterprise user grants and revokes the consent); coordinators and
  supervisors of the chamber's region see the members, the consents, the docking meetings
  with departments and aggregate figures of the members' demands (counts only).
* Judicial safeguards: a firm asks the liaison of the court, the procuratorate or the justice
  bureau for legal service. Only the firm's enterprise users and the handlers of the chosen
  department ever see the request; everyone else is told "not found". Statistics count
  requests by kind and institution per district, without any detail.
* Observers: an observer sees the firm's steward(s), paired officials, visits and meetings,
  and sends feedback about a steward's or official's conduct. Supervisors of the firm's
  region read the feedback; the person it is about never does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.accounts.models import Role, RoleAssignment
from qinqing.accounts.scopes import assignments_of, has_role, primary_role
from qinqing.audit.actions import register
from qinqing.audit.services import record
from qinqing.common.errors import Conflict, NotPermitted, ServiceError
from qinqing.demands.models import Channel, Demand, Satisfaction
from qinqing.demands.statistics import Figures, due_q, resolved_on_time_q, resolved_q
from qinqing.demands.workflow import State
from qinqing.directory.models import (
    Chamber,
    ChamberMembership,
    Department,
    Enterprise,
    Region,
    RegionLevel,
)
from qinqing.directory.permissions import STAFF_ROLES, covers, region_paths
from qinqing.directory.selectors import enterprise_people

from .activities import ancestor_paths, firm_users, firms_of, is_member_of
from .models import (
    ChamberConsent,
    Invitation,
    LegalRequest,
    Meeting,
    MeetingKind,
    ObserverFeedback,
    Visit,
)

for _action, _label in [
    ("chamber.consent_grant", gettext_lazy("授权商会代办")),
    ("chamber.consent_revoke", gettext_lazy("撤销商会代办授权")),
    ("legal.submit", gettext_lazy("提出司法保障请求")),
    ("legal.answer", gettext_lazy("答复司法保障请求")),
    ("legal.view", gettext_lazy("查看司法保障请求")),
    ("observer.feedback", gettext_lazy("观察员反馈")),
    ("observer.feedback_view", gettext_lazy("查看观察员反馈")),
]:
    register(_action, _label)

#: the institutions of judicial safeguards and the department kind of their liaison
LEGAL_DEPARTMENT_KINDS = {
    LegalRequest.Institution.COURT: "court",
    LegalRequest.Institution.PROCURATORATE: "procuratorate",
    LegalRequest.Institution.JUSTICE: "justice",
}
#: who reads a chamber's members, consents, docking meetings and figures
CHAMBER_READERS: set[str] = {Role.COORDINATOR, Role.SUPERVISOR}


def _audit(actor: Any, action: str, obj: Any = None, **kwargs: Any) -> None:
    changes = kwargs.pop("changes", {})
    record(actor=actor, action=action, obj=obj, role=primary_role(actor), changes=changes, **kwargs)


def _notify(users: list[Any], *, title: str, body: str, link: str, source: str) -> None:
    from qinqing.inbox.services import deliver

    transaction.on_commit(
        lambda: deliver(users=users, title=title, body=body, link=link, source=source)
    )


def _reverse(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(f"outreach:liaison:{name}", args=args)


# === chamber liaison ==========================================================================
def chambers_visible_to(user: Any) -> QuerySet[Chamber]:
    """Coordinators and supervisors of the chamber's region; a member firm sees its chambers."""
    qs = Chamber.objects.select_related("region")
    if has_role(user, Role.SYSTEM_ADMIN):
        return qs
    condition = Q(pk__in=[])
    for path in region_paths(user, CHAMBER_READERS):
        condition |= Q(region__path__startswith=path)
    own = [f.pk for f in firms_of(user)]
    if own:
        condition |= Q(
            pk__in=ChamberMembership.objects.filter(enterprise_id__in=own).values("chamber_id")
        )
    return qs.filter(condition)


def is_chamber_staff(user: Any, chamber: Chamber) -> bool:
    """May read the chamber's members, consents, docking meetings and figures."""
    if has_role(user, Role.SYSTEM_ADMIN):
        return True
    return covers(region_paths(user, CHAMBER_READERS), chamber.region)


def chamber_detail(*, user: Any, chamber_id: int) -> Chamber:
    """Raises Chamber.DoesNotExist outside the reader's scope."""
    return chambers_visible_to(user).get(pk=chamber_id)


def chamber_list(*, user: Any) -> QuerySet[Chamber]:
    return (
        chambers_visible_to(user)
        .annotate(
            member_count=Count("members", distinct=True),
            consent_count=Count(
                "consents", filter=Q(consents__revoked_at__isnull=True), distinct=True
            ),
        )
        .order_by("name")
    )


@dataclass
class MemberRow:
    enterprise: Enterprise
    position: str
    consent: ChamberConsent | None
    joined_on: Any = None


def chamber_members(chamber: Chamber) -> list[MemberRow]:
    """The members with their active consent, two queries."""
    active = {
        c.enterprise_id: c
        for c in ChamberConsent.objects.filter(chamber=chamber, revoked_at__isnull=True)
    }
    return [
        MemberRow(
            enterprise=m.enterprise,
            position=m.position,
            consent=active.get(m.enterprise_id),
            joined_on=m.joined_on,
        )
        for m in ChamberMembership.objects.filter(chamber=chamber)
        .select_related("enterprise")
        .order_by("enterprise__name")
    ]


def active_consent(chamber_id: int, enterprise_id: int) -> ChamberConsent | None:
    return ChamberConsent.objects.filter(
        chamber_id=chamber_id, enterprise_id=enterprise_id, revoked_at__isnull=True
    ).first()


def consents_of_firm(*, user: Any) -> list[dict[str, Any]]:
    """For a firm's enterprise user: each chamber the firm belongs to, with the consent."""
    rows = []
    for firm in firms_of(user):
        for m in ChamberMembership.objects.filter(enterprise=firm).select_related("chamber"):
            rows.append(
                {
                    "firm": firm,
                    "chamber": m.chamber,
                    "consent": active_consent(m.chamber_id, firm.pk),
                }
            )
    return rows


@transaction.atomic
def chamber_consent_grant(*, actor: Any, chamber_id: int, enterprise: Enterprise) -> ChamberConsent:
    """The firm's enterprise user consents that its chamber acts for it."""
    if not is_member_of(actor, enterprise.pk):
        raise NotPermitted(_("只有企业本身的用户可以授权商会代办。"))
    chamber = Chamber.objects.filter(pk=chamber_id).first()
    if (
        chamber is None
        or not ChamberMembership.objects.filter(chamber=chamber, enterprise=enterprise).exists()
    ):
        raise NotPermitted(_("贵企业不是该商会的会员。"))
    # lock the firm's membership row so that two grants at once make one consent
    ChamberMembership.objects.select_for_update().filter(
        chamber=chamber, enterprise=enterprise
    ).first()
    if active_consent(chamber.pk, enterprise.pk) is not None:
        raise Conflict(_("贵企业已授权该商会代办。"))
    consent = ChamberConsent.objects.create(
        chamber=chamber, enterprise=enterprise, granted_by=actor, granted_at=timezone.now()
    )
    _audit(
        actor,
        "chamber.consent_grant",
        consent,
        changes={"chamber": chamber.pk, "enterprise": enterprise.pk},
    )
    return consent


@transaction.atomic
def chamber_consent_revoke(*, actor: Any, consent_id: int) -> ChamberConsent:
    """The firm's enterprise user withdraws the consent; it ends at once."""
    consent = ChamberConsent.objects.select_for_update().filter(pk=consent_id).first()
    if consent is None or not is_member_of(actor, consent.enterprise_id):
        raise NotPermitted(_("只有企业本身的用户可以撤销授权。"))
    if consent.revoked_at is not None:
        raise Conflict(_("该授权已撤销。"))
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    _audit(
        actor,
        "chamber.consent_revoke",
        consent,
        changes={"chamber": consent.chamber_id, "enterprise": consent.enterprise_id},
    )
    return consent


@dataclass
class ChamberFigures:
    members: int
    consents: int
    via_chamber: int
    open: int
    by_state: list[tuple[str, str, int]] = field(default_factory=list)
    figures: Figures = field(default_factory=lambda: Figures(key=None, label=""))


def chamber_figures(*, user: Any, chamber: Chamber) -> ChamberFigures:
    """Aggregate figures of the members' demands: counts by state and the on-time rates.

    Counts only, never a case: the members' cases stay visible only to those who handle them.
    """
    if not is_chamber_staff(user, chamber):
        raise NotPermitted(_("您无权查看该商会的统计。"))
    members = ChamberMembership.objects.filter(chamber=chamber).values("enterprise_id")
    qs = Demand.objects.filter(enterprise_id__in=members, merged_into__isnull=True).order_by()
    now = timezone.now()
    row = qs.aggregate(
        received=Count("pk"),
        accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
        accepted_on_time=Count("pk", filter=Q(accepted_at__lte=F("accept_due_at"))),
        resolved=Count("pk", filter=resolved_q()),
        resolved_on_time=Count("pk", filter=resolved_on_time_q()),
        due=Count("pk", filter=due_q(now)),
        rated=Count("pk", filter=~Q(satisfaction="")),
        satisfied=Count(
            "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])
        ),
        via_chamber=Count("pk", filter=Q(channel=Channel.CHAMBER)),
        open=Count("pk", filter=~Q(state__in=[State.CLOSED, State.WITHDRAWN])),
    )
    states = dict(qs.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    figures = Figures(key=chamber.pk, label=chamber.name)
    for name in (
        "received",
        "accepted",
        "accepted_on_time",
        "resolved",
        "resolved_on_time",
        "due",
        "rated",
        "satisfied",
    ):
        setattr(figures, name, row[name] or 0)
    return ChamberFigures(
        members=ChamberMembership.objects.filter(chamber=chamber).count(),
        consents=ChamberConsent.objects.filter(chamber=chamber, revoked_at__isnull=True).count(),
        via_chamber=row["via_chamber"] or 0,
        open=row["open"] or 0,
        by_state=[(s.value, str(s.label), states.get(s.value, 0)) for s in State],
        figures=figures,
    )


def docking_meetings(chamber: Chamber) -> QuerySet[Meeting]:
    """The chamber's docking meetings with departments (read-only here)."""
    return (
        Meeting.objects.filter(kind=MeetingKind.DOCKING, chamber=chamber)
        .prefetch_related("departments")
        .order_by("-starts_at", "-pk")
    )


# === judicial safeguards ======================================================================
def legal_scope(user: Any) -> Q:
    """The firm's enterprise users and the handlers of the chosen department; nobody else."""
    condition = Q(pk__in=[])
    for a in assignments_of(user):
        if a.role == Role.ENTERPRISE and a.enterprise_id is not None:
            condition |= Q(enterprise_id=a.enterprise_id)
        elif a.role == Role.HANDLER and a.department_id is not None:
            condition |= Q(department_id=a.department_id)
    return condition


def legal_requests_visible_to(user: Any) -> QuerySet[LegalRequest]:
    return LegalRequest.objects.filter(legal_scope(user)).select_related("enterprise", "department")


def legal_request_detail(*, user: Any, request_id: int) -> LegalRequest:
    """Raises LegalRequest.DoesNotExist for everyone but the firm and the liaison."""
    return legal_requests_visible_to(user).get(pk=request_id)


def is_legal_liaison(user: Any, req: LegalRequest) -> bool:
    return any(
        a.role == Role.HANDLER and a.department_id == req.department_id
        for a in assignments_of(user)
    )


def legal_departments_for(enterprise: Enterprise, institution: str = "") -> QuerySet[Department]:
    """The liaison departments serving the firm's area (court, procuratorate, justice)."""
    kinds = (
        [LEGAL_DEPARTMENT_KINDS[LegalRequest.Institution(institution)]]
        if institution in LegalRequest.Institution.values
        else list(LEGAL_DEPARTMENT_KINDS.values())
    )
    return (
        Department.objects.filter(
            kind__in=kinds, region__path__in=ancestor_paths(enterprise.grid.path)
        )
        .select_related("region")
        .order_by("kind", "-region__level", "name")
    )


@transaction.atomic
def legal_request_submit(
    *,
    actor: Any,
    enterprise: Enterprise,
    kind: str,
    institution: str,
    department_id: int | None,
    description: str,
) -> LegalRequest:
    """A firm asks the liaison of the court, procuratorate or justice bureau for legal service."""
    if not is_member_of(actor, enterprise.pk):
        raise NotPermitted(_("只有企业本身的用户可以提出司法保障请求。"))
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in LegalRequest.Kind.values:
        errors["kind"] = [_("请选择服务类型。")]
    if institution not in LegalRequest.Institution.values:
        errors["institution"] = [_("请选择受理机关。")]
    department = (
        Department.objects.filter(pk=department_id).select_related("region").first()
        if department_id is not None
        else None
    )
    if department is None:
        errors["department"] = [_("请选择联络单位。")]
    elif (
        institution in LegalRequest.Institution.values
        and department.kind != (LEGAL_DEPARTMENT_KINDS[LegalRequest.Institution(institution)])
    ):
        errors["department"] = [_("所选联络单位与受理机关不一致。")]
    elif not enterprise.grid.path.startswith(department.region.path):
        errors["department"] = [_("所选联络单位不服务贵企业所在区域。")]
    if len(description) < 5:
        errors["description"] = [_("请说明需要的法律服务（至少5个字）。")]
    elif len(description) > 5000:
        errors["description"] = [_("事项说明不超过5000字。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    assert department is not None
    req = LegalRequest.objects.create(
        enterprise=enterprise,
        kind=kind,
        institution=institution,
        department=department,
        description=description,
        created_by=actor,
    )
    # the audit entry names the request and its routing, never its content
    _audit(
        actor,
        "legal.submit",
        req,
        changes={"kind": kind, "institution": institution, "department": department.pk},
    )
    liaisons = [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.HANDLER, department=department
        ).select_related("user")
    ]
    _notify(
        liaisons,
        title=_("新的司法保障请求：%(k)s") % {"k": req.get_kind_display()},
        body=_("有企业提出司法保障请求，请登录查看并答复。"),
        link=_reverse("legal_detail", req.pk),
        source=f"legal:{req.pk}:submit",
    )
    return req


@transaction.atomic
def legal_request_answer(*, actor: Any, request_id: int, reply: str) -> LegalRequest:
    """The liaison (a handler of the chosen department) answers the firm."""
    req = LegalRequest.objects.select_for_update().filter(pk=request_id).first()
    if req is None or not is_legal_liaison(actor, req):
        raise NotPermitted(_("只有该请求的联络单位可以答复。"))
    if req.status != LegalRequest.Status.OPEN:
        raise Conflict(_("该请求已答复。"))
    reply = (reply or "").strip()
    if len(reply) < 5:
        raise ServiceError(
            _("请填写答复（至少5个字）。"), field_errors={"reply": [_("请填写答复（至少5个字）。")]}
        )
    if len(reply) > 5000:
        raise ServiceError(
            _("答复不超过5000字。"), field_errors={"reply": [_("答复不超过5000字。")]}
        )
    req.status, req.reply, req.answered_at = LegalRequest.Status.ANSWERED, reply, timezone.now()
    req.save(update_fields=["status", "reply", "answered_at"])
    _audit(
        actor,
        "legal.answer",
        req,
        changes={"status": [LegalRequest.Status.OPEN, LegalRequest.Status.ANSWERED]},
    )
    _notify(
        firm_users(req.enterprise_id),
        title=_("司法保障请求已答复"),
        body=_("您提出的%(k)s请求已有答复，请登录查看。") % {"k": req.get_kind_display()},
        link=_reverse("legal_detail", req.pk),
        source=f"legal:{req.pk}:answer",
    )
    return req


def legal_request_record_view(*, actor: Any, req: LegalRequest) -> None:
    """An access record when the liaison reads a firm's request."""
    if is_member_of(actor, req.enterprise_id):
        return
    with transaction.atomic():
        _audit(actor, "legal.view", req)


def can_read_legal_statistics(user: Any) -> bool:
    return has_role(user, *STAFF_ROLES)


@dataclass
class LegalStatRow:
    district: Region | None
    label: str
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_institution: dict[str, int] = field(default_factory=dict)

    def kind_counts(self) -> list[int]:
        return [self.by_kind.get(k, 0) for k in LegalRequest.Kind.values]

    def institution_counts(self) -> list[int]:
        return [self.by_institution.get(i, 0) for i in LegalRequest.Institution.values]


def legal_statistics() -> list[LegalStatRow]:
    """Counts of legal requests by kind and by institution per district (and in all).

    One grouped query; no firm, department, text or date leaves this function.
    """
    districts = list(Region.objects.filter(level=RegionLevel.DISTRICT).order_by("path"))
    district_of = Case(
        *[When(enterprise__grid__path__startswith=d.path, then=Value(d.pk)) for d in districts],
        default=Value(None),
        output_field=IntegerField(),
    )
    grouped = (
        LegalRequest.objects.annotate(district=district_of)
        .values("district", "kind", "institution")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = {d.pk: LegalStatRow(district=d, label=d.name) for d in districts}
    total = LegalStatRow(district=None, label=str(_("合计")))
    for g in grouped:
        key = g["district"]
        if key not in rows:
            rows[key] = LegalStatRow(district=None, label=str(_("其他区域")))
        for target in (rows[key], total):
            target.total += g["n"]
            target.by_kind[g["kind"]] = target.by_kind.get(g["kind"], 0) + g["n"]
            target.by_institution[g["institution"]] = (
                target.by_institution.get(g["institution"], 0) + g["n"]
            )
    return [*rows.values(), total]


# === observers ================================================================================
def observed_firms(user: Any) -> list[Enterprise]:
    return firms_of(user, Role.OBSERVER)


def observer_firm(*, user: Any, enterprise_id: int) -> Enterprise:
    """The firm, if ``user`` observes it; otherwise Enterprise.DoesNotExist."""
    for firm in observed_firms(user):
        if firm.pk == enterprise_id:
            return firm
    raise Enterprise.DoesNotExist


@dataclass
class MeetingRow:
    meeting: Meeting
    invitation: Invitation


@dataclass
class ObserverOverview:
    firm: Enterprise
    stewards: list[Any]
    officials: list[Any]
    visits: list[Visit]
    meetings: list[MeetingRow]


OVERVIEW_ROWS = 20


def observer_overview(*, user: Any, enterprise_id: int) -> ObserverOverview:
    """What an observer sees of the firm: steward(s), paired officials, the latest visits and
    the meetings the firm was invited to."""
    firm = observer_firm(user=user, enterprise_id=enterprise_id)
    people = enterprise_people(firm)
    visits = list(
        Visit.objects.filter(enterprise=firm)
        .select_related("steward")
        .order_by("-visited_on", "-pk")[:OVERVIEW_ROWS]
    )
    invitations = (
        Invitation.objects.filter(enterprise=firm)
        .select_related("meeting", "meeting__region")
        .order_by("-meeting__starts_at", "-pk")[:OVERVIEW_ROWS]
    )
    return ObserverOverview(
        firm=firm,
        stewards=people["stewards"],
        officials=people["officials"],
        visits=visits,
        meetings=[MeetingRow(meeting=i.meeting, invitation=i) for i in invitations],
    )


def feedback_subjects(enterprise: Enterprise) -> list[Any]:
    """Whom feedback about the firm may be about: its steward(s) and paired officials."""
    people = enterprise_people(enterprise)
    seen: dict[int, Any] = {}
    for person in [*people["stewards"], *people["officials"]]:
        seen.setdefault(person.pk, person)
    return list(seen.values())


def _supervisors_of(enterprise: Enterprise) -> list[Any]:
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            role=Role.SUPERVISOR, region__path__in=ancestor_paths(enterprise.grid.path)
        ).select_related("user")
    ]


@transaction.atomic
def observer_feedback_send(
    *,
    actor: Any,
    enterprise: Enterprise,
    kind: str,
    text: str,
    subject_id: int | None = None,
) -> ObserverFeedback:
    """An observer of the firm sends routine integrity information or a concern."""
    if not any(f.pk == enterprise.pk for f in observed_firms(actor)):
        raise NotPermitted(_("只有该企业的亲清观察员可以反馈。"))
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in ObserverFeedback.Kind.values:
        errors["kind"] = [_("请选择反馈类型。")]
    subject = None
    if subject_id is not None:
        subject = next((p for p in feedback_subjects(enterprise) if p.pk == subject_id), None)
        if subject is None:
            errors["subject"] = [_("涉及人员只能是本企业的管家或结对干部。")]
    if len(text) < 2:
        errors["text"] = [_("请填写反馈内容。")]
    elif len(text) > 5000:
        errors["text"] = [_("反馈内容不超过5000字。")]
    if errors:
        raise ServiceError(next(iter(errors.values()))[0], field_errors=errors)
    feedback = ObserverFeedback.objects.create(
        observer=actor, enterprise=enterprise, subject=subject, kind=kind, text=text
    )
    # the audit entry records that feedback was sent, its kind and subject; never its text
    _audit(
        actor,
        "observer.feedback",
        feedback,
        changes={"kind": kind, "enterprise": enterprise.pk, "subject": subject_id},
    )
    if kind == ObserverFeedback.Kind.CONCERN:
        readers = [u for u in _supervisors_of(enterprise) if u.pk != subject_id]
        _notify(
            readers,
            title=_("观察员问题反映：%(f)s") % {"f": enterprise.name},
            body=_("有亲清观察员反映问题，请登录查看。"),
            link=_reverse("feedback_list"),
            source=f"observer-feedback:{feedback.pk}",
        )
    return feedback


def feedback_visible_to(user: Any) -> QuerySet[ObserverFeedback]:
    """Supervisors of the firm's region, and the observer who sent it; never the subject."""
    if not getattr(user, "pk", None):
        return ObserverFeedback.objects.none()
    condition = Q(observer=user)
    for path in region_paths(user, {Role.SUPERVISOR}):
        condition |= Q(enterprise__grid__path__startswith=path)
    return (
        ObserverFeedback.objects.filter(condition)
        .exclude(subject=user)
        .select_related("observer", "enterprise", "subject")
    )


def feedback_list(*, user: Any, kind: str = "") -> QuerySet[ObserverFeedback]:
    qs = feedback_visible_to(user)
    if kind in ObserverFeedback.Kind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def is_feedback_reader(user: Any) -> bool:
    return has_role(user, Role.SUPERVISOR)


def feedback_record_view(*, actor: Any, items: list[ObserverFeedback]) -> None:
    """An access record when a supervisor reads observers' feedback (the ids read)."""
    shown = [f.pk for f in items if f.observer_id != getattr(actor, "pk", None)]
    if not shown:
        return
    with transaction.atomic():
        _audit(
            actor,
            "observer.feedback_view",
            object_type="outreach.observerfeedback",
            object_label=str(_("观察员反馈")),
            changes={"ids": shown},
        )
