"""The conflict-of-interest graph (利益冲突): people, their family and firm relations, alerts.

Nodes are natural persons (:class:`Person`) and firms (``directory.Enterprise``). Edges are
:class:`PersonRelation` (family, 特定关系人, and ``same_as`` — two rows a supervisor has
confirmed to be the same human) and :class:`FirmRelation` (shareholding, position,
employment, legal representative). The platform's own contacts (pairings, visits, demands
handled) are read live from their apps, never copied here.

An ID-card number is never stored in clear: only a keyed hash (HMAC-SHA256, see
``matching.id_hash``) for exact comparison and the last four characters for display.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    UNKNOWN = "", _("未知")
    MALE = "m", _("男")
    FEMALE = "f", _("女")


class Source(models.TextChoices):
    MANUAL = "manual", _("监督员录入")
    DECLARED = "declared", _("本人申报")
    IMPORT = "import", _("批量导入")
    DEMO = "demo", _("演示数据")


class Person(models.Model):
    """A natural person: an official (linked to a platform user) or a related person."""

    name = models.CharField(_("姓名"), max_length=64)
    name_key = models.CharField(_("规范化姓名"), max_length=64, db_index=True, editable=False)
    pinyin_key = models.CharField(_("姓名拼音"), max_length=200, db_index=True, editable=False)
    gender = models.CharField(
        _("性别"), max_length=1, choices=Gender.choices, blank=True, default=""
    )
    id_hash = models.CharField(
        _("身份证号摘要"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    id_last4 = models.CharField(_("身份证号后四位"), max_length=4, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def id_display(self) -> str:
        return f"**************{self.id_last4}" if self.id_last4 else ""


class Kinship(models.TextChoices):
    """``to_person`` is the ``kind`` of ``from_person`` (B is A's spouse, child, …)."""

    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    CHILD_SPOUSE = "child_spouse", _("子女的配偶")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    SPECIFIC = "specific", _("特定关系人")
    SAME_AS = "same_as", _("同一人")


class PersonRelation(models.Model):
    from_person = models.ForeignKey(
        Person, verbose_name=_("本人"), on_delete=models.CASCADE, related_name="relations_out"
    )
    to_person = models.ForeignKey(
        Person, verbose_name=_("关系人"), on_delete=models.CASCADE, related_name="relations_in"
    )
    kind = models.CharField(_("关系"), max_length=16, choices=Kinship.choices)
    detail = models.CharField(_("说明"), max_length=100, blank=True)
    valid_from = models.DateField(_("起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("人员关系")
        verbose_name_plural = _("人员关系")
        indexes = [
            models.Index(fields=["from_person", "kind"], name="relation_from"),
            models.Index(fields=["to_person", "kind"], name="relation_to"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_person=models.F("to_person")), name="relation_not_self"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="relation_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["from_person", "to_person", "kind"],
                condition=Q(valid_to__isnull=True),
                name="relation_once_while_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_person_id} —{self.kind}→ {self.to_person_id}"


class FirmRole(models.TextChoices):
    SHAREHOLDER = "shareholder", _("持股")
    POSITION = "position", _("任职（董事、监事、高管）")
    EMPLOYEE = "employee", _("受雇")
    LEGAL_REP = "legal_rep", _("法定代表人")


class FirmRelation(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="firm_relations"
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="person_relations",
    )
    kind = models.CharField(_("关系"), max_length=16, choices=FirmRole.choices)
    percentage = models.DecimalField(
        _("持股比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    title = models.CharField(_("职务"), max_length=64, blank=True)
    valid_from = models.DateField(_("起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("人企关系")
        verbose_name_plural = _("人企关系")
        indexes = [
            models.Index(fields=["person", "kind"], name="firmrel_person"),
            models.Index(fields=["enterprise", "kind"], name="firmrel_firm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__isnull=True)
                | (Q(percentage__gt=0) & Q(percentage__lte=100)),
                name="firmrel_percentage_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="shareholder") | Q(percentage__isnull=False),
                name="firmrel_shareholder_has_percentage",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="firmrel_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["person", "enterprise", "kind"],
                condition=Q(valid_to__isnull=True),
                name="firmrel_once_while_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} —{self.kind}→ {self.enterprise_id}"


class AlertState(models.TextChoices):
    OPEN = "open", _("待处理")
    RECUSED = "recused", _("已回避")
    OVERRIDDEN = "overridden", _("说明理由后继续")


class ConflictAlert(models.Model):
    """A conflict found when an official was about to act: recuse, or override with reason."""

    official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="conflict_alerts",
    )
    enterprise = models.ForeignKey(
        "directory.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conflict_alerts",
    )
    other_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    path = models.JSONField(_("关系路径"), default=dict)
    description = models.CharField(_("路径说明"), max_length=1000)
    context = models.CharField(_("事项"), max_length=200)
    region_path = models.CharField(max_length=255, blank=True, db_index=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN
    )
    reason = models.TextField(_("理由"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("利益冲突预警")
        verbose_name_plural = _("利益冲突预警")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["official", "context"], name="alert_by_context")]
        constraints = [
            models.UniqueConstraint(
                fields=["official", "context"],
                condition=Q(state="open"),
                name="alert_one_open_per_context",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | ~Q(reason=""), name="alert_decision_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.official_id} · {self.context}"


class CandidateState(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("确认为同一人")
    REJECTED = "rejected", _("不是同一人")


class MatchCandidate(models.Model):
    """Two Person rows that may be the same human; never merged without a supervisor."""

    left = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("相似度"))
    reasons = models.JSONField(_("依据"), default=list)
    state = models.CharField(
        _("状态"), max_length=16, choices=CandidateState.choices, default=CandidateState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("疑似同一人")
        verbose_name_plural = _("疑似同一人")
        ordering = ["-score", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(left__lt=models.F("right")), name="candidate_order"),
            models.UniqueConstraint(fields=["left", "right"], name="candidate_once"),
        ]

    def __str__(self) -> str:
        return f"{self.left_id} ≈ {self.right_id}"
