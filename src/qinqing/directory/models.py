"""The programme's structure: regions and grids, firms, departments, homes, chambers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.common.uscc import validate_uscc

phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
    _("请输入有效的手机号或固定电话（如 13812345678 或 0574-87654321）。"),
)


class RegionLevel(models.IntegerChoices):
    CITY = 1, _("市")
    DISTRICT = 2, _("区县市")
    TOWN = 3, _("乡镇街道")
    COMMUNITY = 4, _("社区/工业社区")
    GRID = 5, _("网格")


class Region(models.Model):
    """A node of the region tree; ``path`` is the codes from the root, for subtree queries."""

    code = models.CharField(_("区划编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("层级"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=512, unique=True, editable=False)
    is_industrial = models.BooleanField(_("工业社区"), default=False)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "name"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="region_level_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def build_path(parent: Region | None, code: str) -> str:
        return f"{parent.path if parent else '/'}{code}/"


class IndustrySection(models.TextChoices):
    """GB/T 4754-2017 门类 A–T."""

    A = "A", _("农、林、牧、渔业")
    B = "B", _("采矿业")
    C = "C", _("制造业")
    D = "D", _("电力、热力、燃气及水生产和供应业")
    E = "E", _("建筑业")
    F = "F", _("批发和零售业")
    G = "G", _("交通运输、仓储和邮政业")
    H = "H", _("住宿和餐饮业")
    I = "I", _("信息传输、软件和信息技术服务业")  # noqa: E741
    J = "J", _("金融业")
    K = "K", _("房地产业")
    L = "L", _("租赁和商务服务业")
    M = "M", _("科学研究和技术服务业")
    N = "N", _("水利、环境和公共设施管理业")
    O = "O", _("居民服务、修理和其他服务业")  # noqa: E741
    P = "P", _("教育")
    Q = "Q", _("卫生和社会工作")
    R = "R", _("文化、体育和娱乐业")
    S = "S", _("公共管理、社会保障和社会组织")
    T = "T", _("国际组织")


class Enterprise(models.Model):
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=64, db_index=True)
    industry_section = models.CharField(
        _("行业门类"), max_length=1, choices=IndustrySection.choices
    )
    above_scale = models.BooleanField(_("规上企业"), default=False)
    employees = models.PositiveIntegerField(_("从业人数"), default=0)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    grid = models.ForeignKey(
        Region,
        verbose_name=_("所属网格"),
        on_delete=models.PROTECT,
        related_name="enterprises",
        limit_choices_to={"level": RegionLevel.GRID},
    )
    contact_phone = models.CharField(
        _("联系电话"), max_length=20, blank=True, validators=[phone_validator]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["grid", "name"]),
            models.Index(fields=["industry_section", "above_scale"]),
        ]

    def __str__(self) -> str:
        return self.name


class DepartmentKind(models.TextChoices):
    TAX = "tax", _("税务")
    MARKET = "market", _("市场监管")
    NATURAL_RESOURCES = "natural_resources", _("自然资源和规划")
    ECOLOGY = "ecology", _("生态环境")
    HUMAN_RESOURCES = "human_resources", _("人力社保")
    ECONOMY = "economy", _("经信")
    COMMERCE = "commerce", _("商务")
    JUSTICE = "justice", _("司法")
    EMERGENCY = "emergency", _("应急管理")
    HOUSING = "housing", _("住建")
    DEVELOPMENT = "development", _("发改")
    FINANCE = "finance", _("财政")
    POWER = "power", _("供电")
    COURT = "court", _("法院")
    PROCURATORATE = "procuratorate", _("检察院")
    PUBLIC_SECURITY = "public_security", _("公安")
    OTHER = "other", _("其他")


class Department(models.Model):
    name = models.CharField(_("部门名称"), max_length=120)
    kind = models.CharField(_("类别"), max_length=32, choices=DepartmentKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("服务区域"), on_delete=models.PROTECT, related_name="departments"
    )
    phone = models.CharField(_("电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="department_unique_in_region")
        ]

    def __str__(self) -> str:
        return self.name


class HomeLevel(models.TextChoices):
    DISTRICT = "district", _("区县市级")
    TOWN = "town", _("乡镇街道级")
    COMMUNITY = "community", _("工业社区级")


class HomeFunction(models.TextChoices):
    DIALOGUE = "dialogue", _("政情恳谈")
    BRIEFING = "briefing", _("政策宣讲")
    INFORMATION = "information", _("信息收集")
    COORDINATION = "coordination", _("矛盾协调")
    INTEGRITY = "integrity", _("廉情监督")


class ServiceHome(models.Model):
    """亲清家园."""

    name = models.CharField(_("名称"), max_length=120, unique=True)
    level = models.CharField(_("层级"), max_length=16, choices=HomeLevel.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="homes"
    )
    operator = models.CharField(_("运营方"), max_length=120, blank=True)
    floor_area = models.DecimalField(
        _("面积（平方米）"),
        max_digits=9,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    functions = models.JSONField(_("功能"), default=list, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("亲清家园")
        verbose_name_plural = _("亲清家园")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name

    def function_labels(self) -> list[str]:
        labels = dict(HomeFunction.choices)
        return [str(labels.get(code, code)) for code in self.functions]


class Chamber(models.Model):
    """商会."""

    name = models.CharField(_("商会名称"), max_length=120, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="chambers"
    )
    members: models.ManyToManyField[Enterprise, ChamberMembership] = models.ManyToManyField(
        Enterprise, through="ChamberMembership", related_name="chambers", verbose_name=_("会员")
    )

    class Meta:
        verbose_name = _("商会")
        verbose_name_plural = _("商会")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChamberMembership(models.Model):
    chamber = models.ForeignKey(Chamber, on_delete=models.CASCADE)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE)
    position = models.CharField(_("职务"), max_length=32, default="会员")
    joined_on = models.DateField(_("入会日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("商会会员")
        verbose_name_plural = _("商会会员")
        constraints = [
            models.UniqueConstraint(fields=["chamber", "enterprise"], name="chamber_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.chamber_id}:{self.enterprise_id}"


class Pairing(models.Model):
    """列名结对: an official formally paired with a firm."""

    official = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结对干部"),
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="pairings"
    )
    started_on = models.DateField(_("结对日期"))
    ended_on = models.DateField(_("结对结束日期"), null=True, blank=True)
    contacts_per_quarter = models.PositiveSmallIntegerField(_("每季度联系次数"), default=1)

    class Meta:
        verbose_name = _("列名结对")
        verbose_name_plural = _("列名结对")
        constraints = [
            models.UniqueConstraint(fields=["official", "enterprise"], name="pairing_once")
        ]

    def __str__(self) -> str:
        return f"{self.official_id} ↔ {self.enterprise_id}"


class FirmSize(models.TextChoices):
    """Size classes a notice or survey may target (employees as in the SME standard)."""

    ABOVE_SCALE = "above_scale", _("规上企业")
    BELOW_SCALE = "below_scale", _("规下企业")
    MICRO = "micro", _("微型（20人以下）")
    SMALL = "small", _("小型（20–299人）")
    MEDIUM = "medium", _("中型（300–999人）")
    LARGE = "large", _("大型（1000人及以上）")


class Audience(models.Model):
    """Which firms a survey, notice or emergency addresses.

    Within one dimension the choices are alternatives (any of the regions, any of the
    industries); across dimensions all must hold (in the region AND in the industry);
    hand-picked firms are added on top. A dimension left empty does not narrow. An audience
    with no region, no chamber and no firm addresses nobody: the platform never sends to
    "everyone" by omission. ``targeting.audience_firms`` resolves it.
    """

    regions = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("区域"))
    industries = models.JSONField(_("行业门类"), default=list, blank=True)
    sizes = models.JSONField(_("企业规模"), default=list, blank=True)
    chambers = models.ManyToManyField(Chamber, blank=True, related_name="+", verbose_name=_("商会"))
    firms = models.ManyToManyField(
        Enterprise, blank=True, related_name="+", verbose_name=_("指定企业")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("发送对象")
        verbose_name_plural = _("发送对象")

    def __str__(self) -> str:
        return f"audience {self.pk}"
