"""Every read of policy drafts, scoped to the reader, and the public pages' figures.

- the drafting office (author, the department's handlers, coordinators above its region) sees
  the draft in every state and every comment;
- other staff of an overlapping region (office roles, supervisors, stewards) see drafts once
  opened, and their comments;
- a firm's users see opened drafts whose region holds the firm's grid, and only their own
  firm's comments;
- the public sees final drafts, with answered comments, firm names masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qinqing.accounts.models import Role
from qinqing.accounts.scopes import assignments_of
from qinqing.common.workdays import SHANGHAI
from qinqing.directory.models import Enterprise, IndustrySection

from .models import Answer, Clause, Comment, PolicyDraft, Stage, State
from .permissions import is_admin, staff_paths

SHOWN = [State.OPEN, State.CLOSED, State.FINAL]


def today() -> Any:
    return timezone.now().astimezone(SHANGHAI).date()


def ancestors(path: str) -> list[str]:
    """'/a/b/c/' → ['/a/', '/a/b/', '/a/b/c/']."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def _overlap(paths: list[str]) -> Q:
    condition = Q(pk__in=[])
    for p in paths:
        condition |= Q(region__path__startswith=p) | Q(region__path__in=ancestors(p))
    return condition


def _manage_condition(user: Any) -> Q:
    condition = Q(author_id=getattr(user, "pk", None) or 0)
    for a in assignments_of(user):
        if a.role == Role.HANDLER and a.department_id:
            condition |= Q(department_id=a.department_id)
        if a.role == Role.COORDINATOR and a.region:
            condition |= Q(region__path__startswith=a.region.path)
    return condition


def _firm_paths(user: Any) -> list[str]:
    paths: list[str] = []
    for a in assignments_of(user):
        if a.role in (Role.ENTERPRISE, Role.OBSERVER) and a.enterprise is not None:
            paths += ancestors(a.enterprise.grid.path)
    return paths


def drafts_visible_to(user: Any) -> QuerySet[PolicyDraft]:
    qs = PolicyDraft.objects.select_related("region", "department", "author")
    if is_admin(user):
        return qs
    condition = _manage_condition(user)
    staff = staff_paths(user)
    if staff:
        condition |= Q(state__in=SHOWN) & _overlap(staff)
    firm_paths = _firm_paths(user)
    if firm_paths:
        condition |= Q(state__in=SHOWN, region__path__in=firm_paths)
    return qs.filter(condition)


def drafts_managed_by(user: Any) -> QuerySet[PolicyDraft]:
    qs = PolicyDraft.objects.select_related("region", "department", "author")
    return qs if is_admin(user) else qs.filter(_manage_condition(user))


def draft_for(*, user: Any, draft_id: int) -> PolicyDraft:
    return drafts_visible_to(user).get(pk=draft_id)


def draft_list(*, user: Any, state: str = "", query: str = "") -> QuerySet[PolicyDraft]:
    qs = drafts_visible_to(user).annotate(
        comment_count=Count("comments", distinct=True),
        unanswered=Count("comments", filter=Q(comments__answer=""), distinct=True),
    )
    if state:
        qs = qs.filter(state=state)
    if query.strip():
        qs = qs.filter(Q(title__icontains=query.strip()) | Q(office_name__icontains=query.strip()))
    return qs.order_by("-opens_on", "-pk")


def public_drafts() -> QuerySet[PolicyDraft]:
    return (
        PolicyDraft.objects.filter(state=State.FINAL)
        .select_related("region")
        .annotate(comment_count=Count("comments"))
        .order_by("-final_published_at", "-pk")
    )


def clauses_of(draft: PolicyDraft, stage: str = Stage.DRAFT) -> list[Clause]:
    return list(draft.clauses.filter(stage=stage).order_by("number"))


def comments_for(*, user: Any, draft: PolicyDraft) -> QuerySet[Comment]:
    """The comments ``user`` may read on a draft they can see."""
    from .permissions import may_manage

    qs = Comment.objects.filter(draft=draft).select_related(
        "enterprise", "clause", "author", "answered_by"
    )
    if is_admin(user) or may_manage(user, draft) or staff_paths(user):
        return qs.order_by("clause__number", "created_at", "pk")
    own = [
        a.enterprise_id
        for a in assignments_of(user)
        if a.role in (Role.ENTERPRISE, Role.OBSERVER) and a.enterprise_id
    ]
    return qs.filter(enterprise_id__in=own).order_by("created_at", "pk")


def comment_for(*, user: Any, comment_id: int) -> Comment:
    """A comment on a draft the user manages (Comment.DoesNotExist otherwise)."""
    return Comment.objects.select_related("draft", "draft__region", "enterprise", "clause").get(
        pk=comment_id, draft__in=drafts_managed_by(user).values("pk")
    )


# --- masking and the public page -------------------------------------------------------------
TRADES = (
    "新材料",
    "模具",
    "机械",
    "塑料",
    "电子",
    "电器",
    "服装",
    "纺织",
    "五金",
    "汽配",
    "汽车",
    "化工",
    "轴承",
    "阀门",
    "铸造",
    "印刷",
    "包装",
    "食品",
    "文具",
    "家电",
    "家居",
    "医药",
    "物流",
    "贸易",
    "科技",
    "软件",
    "建材",
    "钢材",
    "金属",
    "光电",
    "照明",
    "船舶",
    "港口",
    "能源",
    "环保",
    "制衣",
    "针织",
    "鞋业",
    "电机",
    "仪器",
    "工具",
    "橡胶",
    "玻璃",
    "纸业",
)


def masked_name(firm: Enterprise) -> str:
    """某模具企业: the trade read from the name, else the industry; never the firm's name."""
    for trade in TRADES:
        if trade in firm.name:
            return f"某{trade}企业"
    label = dict(IndustrySection.choices).get(firm.industry_section)
    return f"某{label}企业" if label else "某企业"


@dataclass
class DraftStats:
    comments: int
    answered: int
    adopted: int
    partly: int
    not_adopted: int
    firms: int

    @property
    def adopted_share(self) -> float:
        """(adopted + partly adopted) / answered."""
        return (self.adopted + self.partly) / self.answered if self.answered else 0.0

    @property
    def fully_adopted_share(self) -> float:
        return self.adopted / self.answered if self.answered else 0.0


def draft_stats(draft: PolicyDraft) -> DraftStats:
    figures = Comment.objects.filter(draft=draft).aggregate(
        comments=Count("pk"),
        answered=Count("pk", filter=~Q(answer="")),
        adopted=Count("pk", filter=Q(answer=Answer.ADOPTED)),
        partly=Count("pk", filter=Q(answer=Answer.PARTLY)),
        not_adopted=Count("pk", filter=Q(answer=Answer.NOT_ADOPTED)),
        firms=Count("enterprise", distinct=True),
    )
    return DraftStats(**figures)


@dataclass
class PublicClause:
    number: int
    heading: str
    text: str
    draft_text: str
    changed: bool
    comments: list[dict[str, Any]]


def _public_comment(c: Comment) -> dict[str, Any]:
    return {
        "id": c.pk,
        "firm": masked_name(c.enterprise),
        "body": c.body,
        "answer": c.answer,
        "answer_label": c.get_answer_display(),
        "reason": c.reason,
    }


def public_view(draft: PolicyDraft) -> dict[str, Any]:
    """The final text clause by clause, each with the answered comments on the draft clause of
    the same number (firms masked); comments on the whole draft and on clauses the final text
    dropped are listed apart. Three queries."""
    clauses = list(draft.clauses.order_by("stage", "number"))
    draft_by_number = {c.number: c for c in clauses if c.stage == Stage.DRAFT}
    finals = [c for c in clauses if c.stage == Stage.FINAL]
    comments = list(
        Comment.objects.filter(draft=draft)
        .exclude(answer="")
        .select_related("enterprise", "clause")
        .order_by("created_at", "pk")
    )
    by_clause: dict[int | None, list[dict[str, Any]]] = {}
    for c in comments:
        key = c.clause.number if c.clause is not None else None
        by_clause.setdefault(key, []).append(_public_comment(c))
    final_numbers = {c.number for c in finals}
    rows = [
        PublicClause(
            number=c.number,
            heading=c.heading,
            text=c.text,
            draft_text=draft_by_number[c.number].text if c.number in draft_by_number else "",
            changed=c.number not in draft_by_number or draft_by_number[c.number].text != c.text,
            comments=by_clause.get(c.number, []),
        )
        for c in finals
    ]
    dropped = [
        PublicClause(
            number=d.number,
            heading=d.heading,
            text="",
            draft_text=d.text,
            changed=True,
            comments=by_clause.get(d.number, []),
        )
        for n, d in sorted(draft_by_number.items())
        if n not in final_numbers
    ]
    return {
        "clauses": rows,
        "dropped": dropped,
        "general": by_clause.get(None, []),
        "stats": draft_stats(draft),
    }
