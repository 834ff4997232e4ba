"""Outreach: the liaison mechanism (政商联系沟通机制) and the stewards' daily work.

Visits against a per-region rule, meetings of every kind (roundtables, dialogue meetings,
joint meetings of departments, chamber docking meetings) with invitations, registration,
attendance, minutes and follow-up items; pairing contacts; activities with registration and
a waiting list; targeted service groups; chamber consent; judicial safeguards; observers'
feedback.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


# --- targeted service groups (靶向服务团) ---------------------------------------------------
class ServiceGroup(models.Model):
    name = models.CharField(_("服务团名称"), max_length=120, unique=True)
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("服务区域"),
        on_delete=models.PROTECT,
        related_name="service_groups",
    )
    purpose = models.CharField(_("服务内容"), max_length=255, blank=True)
    departments = models.ManyToManyField(
        "directory.Department", verbose_name=_("成员单位"), related_name="service_groups"
    )

    class Meta:
        verbose_name = _("靶向服务团")
        verbose_name_plural = _("靶向服务团")

    def __str__(self) -> str:
        return self.name


class GroupService(models.Model):
    """A service a member agency offers through the group (项目审批, 法律维权 …)."""

    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="services")
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("提供单位"),
        on_delete=models.CASCADE,
        related_name="group_services",
    )
    name = models.CharField(_("服务事项"), max_length=120)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")

    def __str__(self) -> str:
        return self.name


class GroupRequest(models.Model):
    """A firm asks the group; a member agency takes it and solves it."""

    class Status(models.TextChoices):
        OPEN = "open", _("办理中")
        SOLVED = "solved", _("已解决")
        CLOSED = "closed", _("已关闭")

    group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="requests")
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="group_requests"
    )
    service = models.ForeignKey(
        GroupService, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    topic = models.CharField(_("问题"), max_length=120)
    description = models.TextField(_("详细说明"), max_length=5000)
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_requests",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(_("办理结果"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    solved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("服务团诉求")
        verbose_name_plural = _("服务团诉求")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.topic


# --- visits (走访) ----------------------------------------------------------------------------
class VisitRule(models.Model):
    """Visits a month each firm should get in a region (the nearest rule up the tree wins)."""

    region = models.OneToOneField(
        "directory.Region",
        verbose_name=_("区域"),
        on_delete=models.CASCADE,
        related_name="visit_rule",
    )
    visits_per_month = models.PositiveSmallIntegerField(
        _("每月走访次数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    key_firm_visits_per_month = models.PositiveSmallIntegerField(
        _("重点企业每月走访次数"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    roundtables_per_quarter = models.PositiveSmallIntegerField(
        _("每季度座谈会次数"), default=1, validators=[MaxValueValidator(10)]
    )

    class Meta:
        verbose_name = _("走访规则")
        verbose_name_plural = _("走访规则")

    def __str__(self) -> str:
        return f"{self.region}: {self.visits_per_month}/月"


class KeyFirm(models.Model):
    enterprise = models.OneToOneField(
        "directory.Enterprise", on_delete=models.CASCADE, related_name="key_firm"
    )
    reason = models.CharField(_("列为重点的原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("重点企业")
        verbose_name_plural = _("重点企业")

    def __str__(self) -> str:
        return str(self.enterprise_id)


class Visit(models.Model):
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    #: the firm's grid at the time of the visit (a firm may move between grids)
    grid = models.ForeignKey("directory.Region", on_delete=models.PROTECT, related_name="visits")
    steward = models.ForeignKey(
        USER, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("走访日期"))
    met_person = models.CharField(_("接待人"), max_length=64, blank=True)
    topics = models.TextField(_("交流内容"), max_length=5000, blank=True)
    policies_explained = models.TextField(_("宣讲政策"), max_length=2000, blank=True)
    problems = models.TextField(_("发现问题"), max_length=5000, blank=True)
    demand = models.ForeignKey(
        "demands.Demand",
        verbose_name=_("转为诉求"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-pk"]
        indexes = [
            models.Index(fields=["enterprise", "visited_on"], name="visit_by_firm"),
            models.Index(fields=["grid", "visited_on"], name="visit_by_grid"),
            models.Index(fields=["steward", "visited_on"], name="visit_by_steward"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.visited_on}"


class VisitFile(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="visits/%Y/%m/", max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("走访附件")
        verbose_name_plural = _("走访附件")

    def __str__(self) -> str:
        return self.name


# --- meetings (座谈会 / 恳谈会 / 联席会议 / 对接会) --------------------------------------------
class MeetingKind(models.TextChoices):
    ROUNDTABLE = "roundtable", _("座谈会")
    DIALOGUE = "dialogue", _("政情恳谈会")
    JOINT = "joint", _("联席会议")
    DOCKING = "docking", _("商会对接会")
    OTHER = "other", _("其他会议")


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("筹备中")
        HELD = "held", _("已召开")
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField(_("类型"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("会议名称"), max_length=120)
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("区域"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    organizer = models.ForeignKey(
        USER, verbose_name=_("组织者"), on_delete=models.PROTECT, related_name="organized_meetings"
    )
    chamber = models.ForeignKey(
        "directory.Chamber",
        verbose_name=_("商会"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings",
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    agenda = models.TextField(_("议程"), max_length=5000, blank=True)
    capacity = models.PositiveIntegerField(_("名额"), null=True, blank=True)
    minutes = models.TextField(_("会议纪要"), max_length=20000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    departments = models.ManyToManyField(
        "directory.Department", verbose_name=_("参会部门"), blank=True, related_name="meetings"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["region", "starts_at"], name="meeting_by_region")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """One invited firm or person; registration, waiting list, attendance."""

    class Status(models.TextChoices):
        INVITED = "invited", _("已邀请")
        REGISTERED = "registered", _("已报名")
        WAITLISTED = "waitlisted", _("候补")
        DECLINED = "declined", _("不参加")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INVITED)
    registered_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("出席"), default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("会议邀请")
        verbose_name_plural = _("会议邀请")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(enterprise__isnull=False) | models.Q(user__isnull=False),
                name="invitation_has_invitee",
            ),
            models.UniqueConstraint(
                fields=["meeting", "enterprise"],
                condition=models.Q(enterprise__isnull=False),
                name="invitation_once_per_firm",
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="invitation_once_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.enterprise_id or self.user_id}"


class FollowUp(models.Model):
    """A decision or task from a meeting, with an owner and a due date, tracked to done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="follow_ups")
    title = models.CharField(_("事项"), max_length=200)
    owner = models.ForeignKey(
        USER,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    due_on = models.DateField(_("完成期限"))
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField(_("落实情况"), blank=True)
    demand = models.ForeignKey(
        "demands.Demand",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )

    class Meta:
        verbose_name = _("会议事项")
        verbose_name_plural = _("会议事项")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False) | models.Q(department__isnull=False),
                name="follow_up_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- pairing contacts (列名结对) ----------------------------------------------------------------
class PairingContact(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("走访")
        CALL = "call", _("电话")
        MEETING = "meeting", _("会议")

    pairing = models.ForeignKey(
        "directory.Pairing", on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices)
    contacted_on = models.DateField(_("联系日期"))
    note = models.TextField(_("内容"), max_length=5000, blank=True)
    logged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("结对联系")
        verbose_name_plural = _("结对联系")
        ordering = ["-contacted_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.contacted_on}"


# --- activities (活动参与) ----------------------------------------------------------------------
class ActivityKind(models.TextChoices):
    BRIEFING = "briefing", _("政策宣讲")
    INVESTMENT = "investment", _("招商推介")
    TRADE = "trade", _("经贸交流")
    TRAINING = "training", _("培训")
    OTHER = "other", _("其他活动")


class Activity(models.Model):
    kind = models.CharField(_("类型"), max_length=12, choices=ActivityKind.choices)
    title = models.CharField(_("活动名称"), max_length=120)
    description = models.TextField(_("活动介绍"), max_length=5000, blank=True)
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("面向区域"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    industry_sections = models.JSONField(_("面向行业"), default=list, blank=True)
    size = models.CharField(_("面向规模"), max_length=8, blank=True)  # "", "above", "below"
    chamber = models.ForeignKey(
        "directory.Chamber",
        verbose_name=_("面向商会"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    starts_at = models.DateTimeField(_("开始时间"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("名额"), validators=[MinValueValidator(1)])
    registration_closes_at = models.DateTimeField(_("报名截止"))
    organizer = models.ForeignKey(
        USER, verbose_name=_("组织者"), on_delete=models.PROTECT, related_name="activities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class Registration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("已报名")
        WAITLISTED = "waitlisted", _("候补")
        CANCELLED = "cancelled", _("已取消")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations")
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.CASCADE, related_name="registrations"
    )
    registered_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices)
    created_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    feedback_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback_text = models.TextField(blank=True, max_length=2000)

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "enterprise"], name="registration_once")
        ]

    def __str__(self) -> str:
        return f"{self.activity_id}:{self.enterprise_id}"


# --- chamber liaison, judicial safeguards, observers -------------------------------------
class ChamberConsent(models.Model):
    """A member's consent that its chamber raises and follows demands on its behalf."""

    chamber = models.ForeignKey(
        "directory.Chamber", on_delete=models.CASCADE, related_name="consents"
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.CASCADE, related_name="chamber_consents"
    )
    granted_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("商会代办授权")
        verbose_name_plural = _("商会代办授权")
        constraints = [
            models.UniqueConstraint(
                fields=["chamber", "enterprise"],
                condition=models.Q(revoked_at__isnull=True),
                name="consent_once_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.chamber_id}:{self.enterprise_id}"


class LegalRequest(models.Model):
    """司法保障: a firm's request for legal service, seen only by the liaison and the firm."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("法律咨询")
        MEDIATION = "mediation", _("调解")
        RIGHTS = "rights", _("涉企案件权益保护")

    class Institution(models.TextChoices):
        COURT = "court", _("法院")
        PROCURATORATE = "procuratorate", _("检察院")
        JUSTICE = "justice", _("司法局")

    class Status(models.TextChoices):
        OPEN = "open", _("办理中")
        ANSWERED = "answered", _("已答复")

    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="legal_requests"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    institution = models.CharField(_("受理机关"), max_length=16, choices=Institution.choices)
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("联络单位"),
        on_delete=models.PROTECT,
        related_name="legal_requests",
    )
    description = models.TextField(_("事项说明"), max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(_("答复"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("司法保障请求")
        verbose_name_plural = _("司法保障请求")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class ObserverFeedback(models.Model):
    """An observer's note about a steward's or official's conduct (routine or a concern)."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", _("日常反馈")
        CONCERN = "concern", _("问题反映")

    observer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="feedback_sent")
    enterprise = models.ForeignKey(
        "directory.Enterprise", on_delete=models.PROTECT, related_name="observer_feedback"
    )
    subject = models.ForeignKey(
        USER,
        verbose_name=_("涉及人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_about",
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    text = models.TextField(_("内容"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("观察员反馈")
        verbose_name_plural = _("观察员反馈")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"
