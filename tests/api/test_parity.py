"""Parity: everything a role can write on the web it can write through /api/v1.

``WEB_WRITES`` is the reviewed table of every web URL that accepts POST, keyed by its URL
name: who uses it and its API twin (the operations that call the same service). A web write
without a twin must be in ``EXEMPT`` (not for integrators, with the reason) or, while a twin
is being built, in ``KNOWN_GAPS`` (with what is missing). The tests fail when

* a web URL accepts POST and is in none of the three tables (a new form needs a twin),
* an entry names a URL that no longer accepts POST (the table is stale),
* a twin names an operation the OpenAPI document does not have.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from qinqing.accounts.models import Role
from qinqing.api.api import api

PUBLIC = "public"  # no login (the report channel)
ANY = "any"  # every logged-in user
ROLES = {r.value for r in Role} | {PUBLIC, ANY}

E, ST, OB, H, C, OF, SU = (
    "enterprise",
    "steward",
    "observer",
    "handler",
    "coordinator",
    "official",
    "supervisor",
)
SYS, SEC, AUD, CH = "system_admin", "security_admin", "audit_admin", "chamber"


@dataclass(frozen=True)
class Twin:
    roles: tuple[str, ...]
    operations: tuple[str, ...]  # "METHOD /api/v1/path"


def twin(roles: tuple[str, ...] | str, *operations: str) -> Twin:
    return Twin(roles if isinstance(roles, tuple) else (roles,), operations)


#: every web write with its API twin, by URL name
WEB_WRITES: dict[str, Twin] = {
    # accounts
    "accounts:login": twin(ANY, "POST /api/v1/auth/token"),
    "accounts:user_roles": twin(SEC, "POST /api/v1/users/{user_id}/roles"),
    "accounts:role_revoke": twin(SEC, "DELETE /api/v1/roles/{assignment_id}"),
    "accounts:password": twin(ANY, "POST /api/v1/me/password"),
    # the directory, the audit chain, the inbox
    "directory:import": twin(
        (SYS, SEC, C),
        "POST /api/v1/directory/import/enterprises",
        "POST /api/v1/directory/import/people",
    ),
    "audit:verify": twin(AUD, "POST /api/v1/audit/verify"),
    "inbox:read": twin(ANY, "POST /api/v1/inbox/{message_id}/read"),
    # mediation
    "mediation:open": twin(C, "POST /api/v1/mediation"),
    "mediation:detail": twin(
        (C, ST),
        "POST /api/v1/mediation/{case_id}/sessions",
        "POST /api/v1/mediation/{case_id}/close",
    ),
    # demands
    "demands:submit": twin(E, "POST /api/v1/demands"),
    "demands:submit_steward": twin(ST, "POST /api/v1/demands"),
    "demands:submit_phone": twin(C, "POST /api/v1/demands"),
    "demands:submit_chamber": twin((CH, C), "POST /api/v1/demands"),
    "demands:act": twin((E, H, C), "POST /api/v1/demands/{demand_id}/actions"),
    "demands:note": twin((E, H, C, ST), "POST /api/v1/demands/{demand_id}/notes"),
    "demands:supervise": twin((SU, C), "POST /api/v1/demands/{demand_id}/supervise"),
    "demands:assist": twin(H, "POST /api/v1/demands/{demand_id}/assists"),
    "demands:assist_reply": twin(H, "POST /api/v1/demands/assists/{assist_id}/reply"),
    "demands:extension": twin(H, "POST /api/v1/demands/{demand_id}/extensions"),
    "demands:extension_decide": twin(C, "POST /api/v1/demands/extensions/{extension_id}/decision"),
    "demands:merge": twin(C, "POST /api/v1/demands/{demand_id}/merge"),
    "demands:routing": twin(C, "PUT /api/v1/demands/routing-rules/{region_id}/{category_id}"),
    "demands:routing_remove": twin(
        C, "DELETE /api/v1/demands/routing-rules/{region_id}/{category_id}"
    ),
    "demands:attach": twin((E, H, ST), "POST /api/v1/demands/{demand_id}/attachments"),
    # the working-day calendar
    "calendar:days": twin(SYS, "POST /api/v1/calendar/days"),
    "calendar:delete": twin(SYS, "DELETE /api/v1/calendar/days/{day}"),
    "calendar:notice_import": twin(SYS, "POST /api/v1/calendar/notices"),
    "calendar:notice_confirm": twin(SYS, "POST /api/v1/calendar/notices/{notice_id}/confirm"),
    "calendar:notice_withdraw": twin(SYS, "POST /api/v1/calendar/notices/{notice_id}/withdraw"),
    # outreach: visits, meetings, pairings
    "outreach:visits:new": twin((ST, OF), "POST /api/v1/outreach/visits"),
    "outreach:visits:rules": twin(
        (C, SU),
        "PUT /api/v1/outreach/visit-rules/{region_id}",
        "PUT /api/v1/outreach/key-firms/{enterprise_id}",
    ),
    "outreach:meetings:create": twin(C, "POST /api/v1/outreach/meetings"),
    "outreach:meetings:edit": twin(C, "PUT /api/v1/outreach/meetings/{meeting_id}"),
    "outreach:meetings:cancel": twin(C, "POST /api/v1/outreach/meetings/{meeting_id}/cancel"),
    "outreach:meetings:invite": twin(C, "POST /api/v1/outreach/meetings/{meeting_id}/invitations"),
    "outreach:meetings:minutes": twin(C, "PUT /api/v1/outreach/meetings/{meeting_id}/minutes"),
    "outreach:meetings:follow_up_add": twin(
        C, "POST /api/v1/outreach/meetings/{meeting_id}/follow-ups"
    ),
    "outreach:meetings:register": twin(
        E, "POST /api/v1/outreach/invitations/{invitation_id}/register"
    ),
    "outreach:meetings:decline": twin(
        E, "POST /api/v1/outreach/invitations/{invitation_id}/decline"
    ),
    "outreach:meetings:check_in": twin(
        (C, E), "POST /api/v1/outreach/invitations/{invitation_id}/check-in"
    ),
    "outreach:meetings:follow_up_done": twin(
        (H, C), "POST /api/v1/outreach/follow-ups/{follow_up_id}/done"
    ),
    "outreach:meetings:follow_up_demand": twin(
        C, "POST /api/v1/outreach/follow-ups/{follow_up_id}/demand"
    ),
    "outreach:meetings:pairing_detail": twin(
        OF, "POST /api/v1/outreach/pairings/{pairing_id}/contacts"
    ),
    # outreach: activities, service groups, chambers, judicial safeguards, observers
    "outreach:liaison:activity_create": twin(C, "POST /api/v1/outreach/activities"),
    "outreach:liaison:activity_register": twin(
        E, "POST /api/v1/outreach/activities/{activity_id}/registrations"
    ),
    "outreach:liaison:registration_cancel": twin(
        E, "POST /api/v1/outreach/registrations/{registration_id}/cancel"
    ),
    "outreach:liaison:registration_check_in": twin(
        C, "POST /api/v1/outreach/registrations/{registration_id}/check-in"
    ),
    "outreach:liaison:registration_feedback": twin(
        E, "POST /api/v1/outreach/registrations/{registration_id}/feedback"
    ),
    "outreach:liaison:group_create": twin(C, "POST /api/v1/outreach/service-groups"),
    "outreach:liaison:group_detail": twin(
        C,
        "PUT /api/v1/outreach/service-groups/{group_id}/members",
        "POST /api/v1/outreach/service-groups/{group_id}/services",
    ),
    "outreach:liaison:group_ask": twin(
        E, "POST /api/v1/outreach/service-groups/{group_id}/requests"
    ),
    "outreach:liaison:group_request_detail": twin(
        (H, C),
        "POST /api/v1/outreach/group-requests/{request_id}/take",
        "POST /api/v1/outreach/group-requests/{request_id}/solve",
        "POST /api/v1/outreach/group-requests/{request_id}/close",
    ),
    "outreach:liaison:consent_grant": twin(
        E, "POST /api/v1/outreach/chambers/{chamber_id}/consents"
    ),
    "outreach:liaison:consent_revoke": twin(
        E, "POST /api/v1/outreach/consents/{consent_id}/revoke"
    ),
    "outreach:liaison:legal_create": twin(E, "POST /api/v1/outreach/legal-requests"),
    "outreach:liaison:legal_detail": twin(
        H, "POST /api/v1/outreach/legal-requests/{request_id}/answer"
    ),
    "outreach:liaison:observer_firm": twin(OB, "POST /api/v1/outreach/observer/feedback"),
    # surveys and policy drafts
    "consultation:create": twin(C, "POST /api/v1/surveys"),
    "consultation:from_template": twin(C, "POST /api/v1/surveys/from-template"),
    "consultation:section_add": twin(C, "POST /api/v1/surveys/{survey_id}/sections"),
    "consultation:question_add": twin(C, "POST /api/v1/surveys/{survey_id}/questions"),
    "consultation:question_delete": twin(
        C, "DELETE /api/v1/surveys/{survey_id}/questions/{question_id}"
    ),
    "consultation:publish": twin(C, "POST /api/v1/surveys/{survey_id}/publish"),
    "consultation:close": twin(C, "POST /api/v1/surveys/{survey_id}/close"),
    "consultation:answer": twin(E, "PUT /api/v1/surveys/{survey_id}/response"),
    "consultation:remind": twin(ST, "POST /api/v1/surveys/{survey_id}/reminders"),
    "drafts:new": twin(H, "POST /api/v1/drafts"),
    "drafts:edit": twin(H, "PUT /api/v1/drafts/{draft_id}"),
    "drafts:open": twin(H, "POST /api/v1/drafts/{draft_id}/open"),
    "drafts:comment": twin((E, ANY), "POST /api/v1/drafts/{draft_id}/comments"),
    "drafts:answer": twin(H, "POST /api/v1/drafts/{draft_id}/comments/{comment_id}/answer"),
    "drafts:close": twin(H, "POST /api/v1/drafts/{draft_id}/close"),
    "drafts:final": twin(H, "POST /api/v1/drafts/{draft_id}/final"),
    # notices, matching, emergencies
    "notices:new": twin((C, H), "POST /api/v1/notices"),
    "notices:edit": twin((C, H), "PUT /api/v1/notices/{notice_id}"),
    "notices:publish": twin((C, H), "POST /api/v1/notices/{notice_id}/publish"),
    "notices:withdraw": twin((C, H), "POST /api/v1/notices/{notice_id}/withdraw"),
    "notices:pin": twin((C, H), "POST /api/v1/notices/{notice_id}/pin"),
    "notices:attach": twin((C, H), "POST /api/v1/notices/{notice_id}/files"),
    "notices:explain": twin(
        (C, ST), "POST /api/v1/notices/{notice_id}/receipts/{enterprise_id}/explain"
    ),
    "matching:new": twin(E, "POST /api/v1/matching/listings"),
    "matching:close": twin(E, "POST /api/v1/matching/listings/{listing_id}/close"),
    "matching:propose": twin((ST, C), "POST /api/v1/matching/matches"),
    "matching:match_act": twin(
        (E, ST, C),
        "POST /api/v1/matching/matches/{match_id}/confirm",
        "POST /api/v1/matching/matches/{match_id}/cancel",
        "POST /api/v1/matching/matches/{match_id}/deliver",
    ),
    "emergency:declare": twin(C, "POST /api/v1/emergency/emergencies"),
    "emergency:report": twin((E, ST), "POST /api/v1/emergency/emergencies/{emergency_id}/reports"),
    "emergency:need_to_demand": twin(C, "POST /api/v1/emergency/reports/{report_id}/demand"),
    "emergency:end": twin((C, SU), "POST /api/v1/emergency/emergencies/{emergency_id}/end"),
    # integrity: lists, filings, gifts, clean enterprises, relations, reports
    "integrity:item_edit": twin(SU, "POST /api/v1/integrity/lists/{code}/versions"),
    "integrity:filing_new": twin((E, OF, ST), "POST /api/v1/integrity/filings"),
    "integrity:filing": twin(SU, "POST /api/v1/integrity/filings/{filing_id}/decision"),
    "integrity:gift_hand_in": twin((OF, ST, H), "POST /api/v1/integrity/gifts/{gift_id}/hand-in"),
    "integrity:clean_self": twin(
        E,
        "POST /api/v1/integrity/clean/self/answers/{code}",
        "POST /api/v1/integrity/clean/self/submit",
    ),
    "integrity:clean_review": twin(SU, "POST /api/v1/integrity/clean/reviews/{assessment_id}"),
    "relations:person_new": twin(SU, "POST /api/v1/relations/people"),
    "relations:relative_add": twin(SU, "POST /api/v1/relations/relations"),
    "relations:firm_add": twin(SU, "POST /api/v1/relations/relations"),
    "relations:relation_end": twin(SU, "POST /api/v1/relations/relations/{kind}/{relation_id}/end"),
    "relations:alert_detail": twin(SU, "POST /api/v1/relations/alerts/{alert_id}/decision"),
    "relations:candidate_decide": twin(
        SU, "POST /api/v1/relations/candidates/{candidate_id}/decision"
    ),
    "relations:import": twin(SU, "POST /api/v1/relations/import"),
    "reports:new": twin(
        (PUBLIC, ANY), "POST /api/v1/reports/submit", "POST /api/v1/reports/submit/multipart"
    ),
    "reports:receipt": twin(PUBLIC, "POST /api/v1/reports/receipt"),
    "reports:follow_up": twin(
        PUBLIC,
        "POST /api/v1/reports/receipt/follow-up",
        "POST /api/v1/reports/receipt/follow-up/multipart",
    ),
    "reports:receipt_file": twin(PUBLIC, "POST /api/v1/reports/receipt/files/{file_id}"),
    "reports:note_new": twin((E, SU), "POST /api/v1/reports/notes"),
    "reports:act": twin(SU, "POST /api/v1/reports/{report_id}/actions"),
    "reports:assign": twin(SU, "POST /api/v1/reports/{report_id}/assign"),
    "reports:unassign": twin(SU, "POST /api/v1/reports/{report_id}/unassign"),
    "reports:reply": twin(SU, "POST /api/v1/reports/{report_id}/reply"),
    "reports:identity": twin(SU, "POST /api/v1/reports/{report_id}/identity"),
    # exemption (容错免责)
    "exemption:apply": twin((OF, H, C, SU), "POST /api/v1/exemption/applications"),
    "exemption:evidence_upload": twin(
        (OF, H, C), "POST /api/v1/exemption/applications/{application_id}/evidence"
    ),
    "exemption:case_draft": twin(SU, "POST /api/v1/exemption/applications/{application_id}/case"),
    "exemption:act": twin((OF, SU), "POST /api/v1/exemption/applications/{application_id}/actions"),
    "exemption:case_edit": twin(SU, "POST /api/v1/exemption/cases/{case_id}/publish"),
    # the index
    "index:staff": twin(SYS, "POST /api/v1/index/runs"),
    "index:run": twin(SYS, "POST /api/v1/index/runs/{run_id}/publish"),
}

#: web writes that have no API twin on purpose: browser-only, with the reason
EXEMPT: dict[str, str] = {
    "set_language": "界面语言切换（浏览器会话）；接口随 Accept-Language 返回中文或英文",
    "accounts:logout": "结束浏览器会话；接口令牌按期失效，不存会话",
    "reports:unlock": (
        "在浏览器会话中解锁举报密钥；令牌调用在需要解密的请求里带上 password，仅当次有效"
    ),
    "open311:requests": "它本身就是接口（Open311 GeoReport v2 标准端点），不在 /api/v1 重复",
}

#: web writes whose API twin is still missing: what is missing (remove the line with the twin)
KNOWN_GAPS: dict[str, str] = {}


# --- what the web accepts ---------------------------------------------------------------------
def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None, Callable[..., Any]]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (namespace + p.name) if p.name else None, p.callback


#: a view function that reads a form or looks at the method
POST_SOURCE = re.compile(r"request\.(POST|FILES)\b|request\.method\b")


def accepts_post(view: Callable[..., Any]) -> bool:
    """Whether the web view takes POST: ``require_http_methods`` (``require_POST``,
    ``require_GET``) decides when present on any wrapper; class-based views by their
    handlers; otherwise a view that reads ``request.POST``/``FILES`` or the method does."""
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return hasattr(cls, "post")
    current: Any = view
    while True:
        if hasattr(current, "__code__"):
            allowed = inspect.getclosurevars(current).nonlocals.get("request_method_list")
            if allowed is not None:
                return "POST" in allowed
        if not hasattr(current, "__wrapped__"):
            break
        current = current.__wrapped__
    return bool(POST_SOURCE.search(inspect.getsource(current)))


def web_writes() -> dict[str, str]:
    """URL name → route of every web URL that accepts POST (the Django admin and the
    /api/v1 itself aside)."""
    found: dict[str, str] = {}
    for route, name, view in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "api/v1/")):
            continue
        if accepts_post(view):
            assert name, f"a web write without a URL name: {route}"
            found[name] = route
    return found


def api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
    }


# --- the tests --------------------------------------------------------------------------------
def test_the_tables_do_not_overlap() -> None:
    assert not (WEB_WRITES.keys() & EXEMPT.keys())
    assert not (WEB_WRITES.keys() & KNOWN_GAPS.keys())
    assert not (EXEMPT.keys() & KNOWN_GAPS.keys())


def test_every_web_write_has_an_api_twin_or_a_documented_reason() -> None:
    writes = web_writes()
    listed = WEB_WRITES.keys() | EXEMPT.keys() | KNOWN_GAPS.keys()
    missing = sorted(f"{name} ({writes[name]})" for name in writes.keys() - listed)
    assert not missing, (
        "web writes with no API twin and no documented exemption (add the twin to "
        f"WEB_WRITES, or a reason to EXEMPT): {missing}"
    )


def test_the_table_names_only_web_urls_that_still_accept_post() -> None:
    writes = web_writes()
    listed = WEB_WRITES.keys() | EXEMPT.keys() | KNOWN_GAPS.keys()
    assert sorted(listed - writes.keys()) == []


def test_every_twin_is_an_operation_of_the_api() -> None:
    operations = api_operations()
    absent = sorted(
        f"{name}: {op}"
        for name, entry in WEB_WRITES.items()
        for op in entry.operations
        if op not in operations
    )
    assert not absent


@pytest.mark.parametrize("name", sorted(WEB_WRITES))
def test_every_write_names_the_roles_that_use_it(name: str) -> None:
    entry = WEB_WRITES[name]
    assert entry.roles and set(entry.roles) <= ROLES, entry.roles
    assert entry.operations


@pytest.mark.parametrize("table", [EXEMPT, KNOWN_GAPS])
def test_every_exemption_says_why(table: dict[str, str]) -> None:
    assert all(len(reason.strip()) >= 8 for reason in table.values())


def test_the_writes_asked_for_in_issue_15_have_twins() -> None:
    """Mediation, users and roles, chambers and members, report evidence, demand merge and
    calendar overrides: none of them may slip back into the gaps."""
    for name in (
        "mediation:open",
        "mediation:detail",
        "accounts:user_roles",
        "accounts:role_revoke",
        "outreach:liaison:consent_grant",
        "reports:new",
        "reports:follow_up",
        "demands:merge",
        "calendar:days",
        "calendar:delete",
    ):
        assert name in WEB_WRITES, name
    operations = api_operations()
    for op in (
        "POST /api/v1/users",
        "GET /api/v1/users",
        "POST /api/v1/outreach/chambers",
        "POST /api/v1/outreach/chambers/{chamber_id}/members",
        "GET /api/v1/outreach/chambers/{chamber_id}/members",
        "GET /api/v1/mediation",
        "GET /api/v1/mediation/{case_id}",
        "GET /api/v1/calendar/days",
    ):
        assert op in operations, op


def test_a_new_web_form_without_a_twin_is_caught() -> None:
    """The detector itself: a view reading request.POST is a write, a GET-only one is not."""
    from django.views.decorators.http import require_GET, require_POST

    def form_view(request: Any) -> Any:
        return request.POST.get("x")

    @require_POST
    def post_only(request: Any) -> Any:
        return None

    @require_GET
    def get_only(request: Any) -> Any:
        return request.method

    assert accepts_post(form_view)
    assert accepts_post(post_only)
    assert not accepts_post(get_only)
