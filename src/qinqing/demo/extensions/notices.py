"""Demo data of notices (信息发布): Gulin's 2020 notices and recent policies with receipts.

- 古林镇, February 2020 (USERS.md, the source text): "口罩可按每只2元订购" and "会员企业提供媒体
  岗位，部分为兼职", to every firm of the town, long expired (in the archive), read by about
  80 % of the firms, a few more reached by the specialists in person;
- recent policy notices of 海曙区 (manufacturing firms of the district) and of 宁波市 (the
  city's above-scale firms), and 古林镇's own pinned policy, most read, some explained in
  person by the grid's steward, some not reached yet (王丽's firm has not read the town's);
- a job posting and a policy-briefing event in 古林镇.

Rows are bulk-inserted (the receipts as tuples, ``demo.bulk.insert``); randomness comes only
from ``Random(f"{seed}-notices")``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from qinqing.accounts.models import Role
from qinqing.common.workdays import SHANGHAI
from qinqing.demo import data
from qinqing.demo.bulk import insert
from qinqing.demo.context import DemoContext
from qinqing.directory.models import Audience, FirmSize, Region
from qinqing.notices.models import Kind, Notice, Receipt, State

NOTES = ["走访时当面解读", "电话联系后上门讲解", "在网格座谈会上逐条讲解"]
# a receipt as a tuple for ``bulk.insert`` (no model instance per row)
RECEIPT = (
    "notice_id",
    "enterprise_id",
    "first_read_at",
    "first_reader_id",
    "explained_at",
    "explained_by_id",
    "explained_note",
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def stewards_by_grid(ctx: DemoContext) -> dict[int, Any]:
    """grid id → its steward (the generated ones and 陈刚)."""
    out: dict[int, Any] = {}
    for person in ctx.plan.people:
        grid = ctx.regions.get(person.region or "")
        if person.role == Role.STEWARD and grid is not None:
            user = ctx.users.get(person.username)
            if user is not None:
                out[grid.pk] = user
    chengang = next(a for a in data.DEMO_ACCOUNTS if a.username == "chengang")
    grid = ctx.regions.get(ctx.plan.code_of(chengang.region))
    if grid is not None and "chengang" in ctx.users:
        out[grid.pk] = ctx.users["chengang"]
    return out


def write(ctx: DemoContext) -> dict[str, int]:
    """Bulk-write this app's demo rows; return counts by name for the load summary."""
    rng = random.Random(f"{ctx.plan.seed}-notices")
    today = ctx.now.astimezone(SHANGHAI).date()
    region = {
        name: ctx.regions[ctx.plan.code_of(name)] for name in ("宁波市", "海曙区", data.GULIN)
    }
    paths = {r.pk: r.path for r in ctx.regions.values()}
    firms = sorted(ctx.firms.values(), key=lambda f: f.uscc)
    stewards = stewards_by_grid(ctx)
    wangli_firm = ctx.plan.account_firms.get("wangli")
    readers = {wangli_firm: ctx.users.get("wangli")} if wangli_firm else {}
    author = {
        "zhouhua": ctx.users.get("zhouhua"),
        "liujianguo": ctx.users.get("liujianguo"),
        "sysadmin": ctx.users.get("sysadmin"),
    }

    def under(r: Region) -> list[Any]:
        return [f for f in firms if paths[f.grid_id].startswith(r.path)]

    specs: list[dict[str, Any]] = [
        {
            "kind": Kind.ANNOUNCEMENT,
            "title": "口罩可按每只2元订购",
            "body": "古林镇亲清家园已联系到一批一次性医用口罩，企业可按每只2元订购，"
            "请将需要数量报所在网格服务专员，家园统一配送。",
            "author": "zhouhua",
            "region": region[data.GULIN],
            "published": _at(date(2020, 2, 10), 9, 30),
            "expires_on": date(2020, 3, 31),
            "firms": under(region[data.GULIN]),
            "read": 0.78,
            "explained": 0.6,
        },
        {
            "kind": Kind.JOB,
            "title": "会员企业提供媒体岗位，部分为兼职",
            "body": "甬商公共服务平台会员企业提供新媒体运营、视频拍摄剪辑等岗位，部分为兼职，"
            "有意者请联系古林镇亲清家园。",
            "author": "zhouhua",
            "region": region[data.GULIN],
            "published": _at(date(2020, 2, 18), 10, 0),
            "expires_on": date(2020, 4, 30),
            "firms": under(region[data.GULIN]),
            "read": 0.66,
            "explained": 0.2,
        },
        {
            "kind": Kind.POLICY,
            "title": "海曙区关于支持制造业企业技术改造的若干意见",
            "body": "对设备投资额300万元以上的技术改造项目，按设备投资额的8%给予补助，"
            "单个项目最高300万元。申报时间另行通知。",
            "author": "liujianguo",
            "region": region["海曙区"],
            "issuing_body": "海曙区人民政府",
            "document_number": f"海政〔{today.year}〕8号",
            "published": _at(today - timedelta(days=30), 15, 0),
            "effective_on": today - timedelta(days=20),
            "firms": [f for f in under(region["海曙区"]) if f.industry_section == "C"],
            "industries": ["C"],
            "read": 0.72,
            "explained": 0.5,
        },
        {
            "kind": Kind.POLICY,
            "title": "海曙区稳岗返还和以工代训补贴实施细则",
            "body": "参保企业上年度未裁员或裁员率不高于规定比例的，按上年度实际缴纳失业保险费的"
            "一定比例返还。",
            "author": "liujianguo",
            "region": region["海曙区"],
            "issuing_body": "海曙区人力资源和社会保障局",
            "document_number": f"海人社〔{today.year}〕21号",
            "published": _at(today - timedelta(days=8), 10, 30),
            "effective_on": today + timedelta(days=7),
            "firms": under(region["海曙区"]),
            "read": 0.5,
            "explained": 0.2,
        },
        {
            "kind": Kind.POLICY,
            "title": "宁波市进一步优化营商环境促进民营经济高质量发展若干措施",
            "body": "从要素保障、法治环境、政务服务、市场准入和创新支持五个方面提出30条措施。",
            "author": "sysadmin",
            "region": region["宁波市"],
            "issuing_body": "宁波市人民政府办公厅",
            "document_number": f"甬政办发〔{today.year}〕15号",
            "published": _at(today - timedelta(days=15), 9, 0),
            "effective_on": today - timedelta(days=15),
            "firms": [f for f in firms if f.above_scale],
            "sizes": [FirmSize.ABOVE_SCALE],
            "read": 0.8,
            "explained": 0.5,
        },
        {
            "kind": Kind.POLICY,
            "title": "古林镇模具产业集群数字化改造补助办法",
            "body": "对模具企业上云用数、购置数控设备和工业软件的，按投资额的10%给予补助。",
            "author": "zhouhua",
            "region": region[data.GULIN],
            "issuing_body": "古林镇人民政府",
            "document_number": f"古政〔{today.year}〕3号",
            "published": _at(today - timedelta(days=5), 16, 0),
            "effective_on": today + timedelta(days=25),
            "pinned": True,
            "firms": under(region[data.GULIN]),
            "read": 0.4,
            "explained": 0.1,
            "unread": {wangli_firm},
        },
        {
            "kind": Kind.JOB,
            "title": "古林镇企业春季用工对接：30家企业提供岗位800个",
            "body": "数控操作工、模具钳工、质检员等岗位，包食宿，详见附件岗位表。",
            "author": "zhouhua",
            "region": region[data.GULIN],
            "published": _at(today - timedelta(days=3), 9, 0),
            "expires_on": today + timedelta(days=30),
            "firms": under(region[data.GULIN]),
            "read": 0.3,
            "explained": 0.0,
        },
        {
            "kind": Kind.EVENT,
            "title": "古林镇亲清家园政策宣讲会（税费优惠专场）",
            "body": "区税务局讲解研发费用加计扣除和小微企业税费优惠，欢迎企业财务负责人参加。",
            "author": "zhouhua",
            "region": region[data.GULIN],
            "published": _at(today - timedelta(days=2), 11, 0),
            "event_starts_at": _at(today + timedelta(days=6), 14, 0),
            "event_place": "古林镇亲清家园二楼报告厅",
            "expires_on": today + timedelta(days=6),
            "firms": under(region[data.GULIN]),
            "read": 0.25,
            "explained": 0.0,
        },
    ]
    notices: list[Notice] = []
    receipts: list[tuple[Any, ...]] = []
    for spec in specs:
        writer = author[spec["author"]]
        if writer is None:
            continue
        audience = Audience.objects.create(
            industries=spec.get("industries", []), sizes=spec.get("sizes", [])
        )
        audience.regions.set([spec["region"]])
        published: datetime = spec["published"]
        notice = Notice(
            kind=spec["kind"],
            title=spec["title"],
            body=spec["body"],
            state=State.PUBLISHED,
            author=writer,
            author_region=spec["region"],
            audience=audience,
            issuing_body=spec.get("issuing_body", ""),
            document_number=spec.get("document_number", ""),
            effective_on=spec.get("effective_on"),
            event_starts_at=spec.get("event_starts_at"),
            event_place=spec.get("event_place", ""),
            pinned=spec.get("pinned", False),
            expires_on=spec.get("expires_on"),
            published_at=published,
            recipients=len(spec["firms"]),
        )
        notices.append(notice)
        spec["notice"] = notice
    Notice.objects.bulk_create(notices)
    limit = ctx.now
    for spec in specs:
        written: Notice | None = spec.get("notice")
        if written is None:
            continue
        published = spec["published"]
        unread = spec.get("unread", set())
        for firm in spec["firms"]:
            if firm.uscc not in unread and rng.random() < spec["read"]:
                read_at = min(published + timedelta(minutes=rng.randint(5, 60 * 24 * 6)), limit)
                reader = readers.get(firm.uscc)
                receipts.append(
                    (written.pk, firm.pk, read_at, reader.pk if reader else None, None, None, "")
                )
            elif rng.random() < spec["explained"] and firm.grid_id in stewards:
                explained_at = min(published + timedelta(hours=rng.randint(20, 24 * 9)), limit)
                note = rng.choice(NOTES)
                receipts.append(
                    (written.pk, firm.pk, None, None, explained_at, stewards[firm.grid_id].pk, note)
                )
            else:
                receipts.append((written.pk, firm.pk, None, None, None, None, ""))
    insert(Receipt, RECEIPT, receipts)
    return {"notices": len(notices), "notice receipts": len(receipts)}
