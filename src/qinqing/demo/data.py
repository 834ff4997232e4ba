"""Fixed facts of the synthetic Ningbo dataset: places, departments, homes, demo people.

The district codes are the real administrative codes; towns and streets are a real subset
of each district's; their codes are ours (streets 001…, towns 101…, townships 201…, in the
order listed). Firms, people and phone numbers are invented by ``generate`` from a seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qinqing.accounts.models import Role
from qinqing.directory.models import DepartmentKind, HomeFunction, HomeLevel

DEFAULT_SEED = 2026
#: the one documented password of every demo account (≥ 10 characters, 4 classes)
DEMO_PASSWORD = "Qinqing@2026"

CITY_CODE, CITY_NAME = "330200", "宁波市"

#: district code, name, its towns and streets (a real subset, at least 4 each)
DISTRICTS: list[tuple[str, str, list[str]]] = [
    (
        "330203",
        "海曙区",
        ["古林镇", "高桥镇", "集士港镇", "横街镇", "石碶街道", "鼓楼街道", "望春街道"],
    ),
    ("330205", "江北区", ["慈城镇", "庄桥街道", "洪塘街道", "甬江街道", "孔浦街道"]),
    ("330206", "北仑区", ["大碶街道", "新碶街道", "小港街道", "霞浦街道", "柴桥街道"]),
    ("330211", "镇海区", ["骆驼街道", "庄市街道", "蛟川街道", "澥浦镇", "九龙湖镇"]),
    (
        "330212",
        "鄞州区",
        ["首南街道", "潘火街道", "姜山镇", "邱隘镇", "五乡镇", "云龙镇"],
    ),
    (
        "330213",
        "奉化区",
        ["莼湖街道", "岳林街道", "锦屏街道", "江口街道", "西坞街道", "溪口镇"],
    ),
    ("330281", "余姚市", ["阳明街道", "凤山街道", "泗门镇", "马渚镇", "陆埠镇", "河姆渡镇"]),
    ("330282", "慈溪市", ["浒山街道", "古塘街道", "宗汉街道", "观海卫镇", "周巷镇", "龙山镇"]),
    ("330226", "宁海县", ["跃龙街道", "桃源街道", "梅林街道", "桥头胡街道", "西店镇", "长街镇"]),
    ("330225", "象山县", ["丹东街道", "丹西街道", "爵溪街道", "石浦镇", "西周镇", "贤庠镇"]),
]

GULIN, LINGFENG, DAQI, CHUNHU = "古林镇", "灵峰社区", "大碶街道", "莼湖街道"

#: towns whose communities are fixed: name → [(community, is_industrial, grids)]
FIXED_COMMUNITIES: dict[str, list[tuple[str, bool, int]]] = {
    GULIN: [("古林工业社区", True, 4), ("布政村", False, 3), ("薛家村", False, 2)],
    DAQI: [(LINGFENG, True, 6), ("大碶城中社区", False, 2)],
    "姜山镇": [("姜山工业社区", True, 2), ("姜山新城社区", False, 1)],
}

#: the headline figures of the source text
GULIN_FIRMS = 3520
GULIN_ABOVE_SCALE = 114
LINGFENG_FIRMS_PER_GRID = (18, 22)
OBSERVERS_PER_FIRM = (2, 3)
OTHER_TOWN_FIRMS = (10, 40)

#: suffixes for the generated community names of the other towns (stem + word + 社区)
COMMUNITY_WORDS = ["新城", "中心", "东方", "南苑", "北苑", "西园", "锦绣", "和平", "阳光", "光明"]
GRID_NUMERALS = "一二三四五六七八九十"

ROADS = ["工业路", "兴业路", "创业路", "科技路", "环镇北路", "环镇南路", "发展路", "振兴路"]

# --- firm names: 宁波 + [place] + 字号 + 行业词 + 有限公司 ---------------------------------
BRAND_CHARS = (
    "华鑫盛达恒泰宏远嘉创博永新金富瑞隆昌德裕丰海天亚东明利信诚佳捷力展兴益通顺联安凯威锦奥康宇"
)

#: industry section → words that end a firm's name in that section
INDUSTRY_WORDS: dict[str, list[str]] = {
    "C": [
        "模具",
        "塑料制品",
        "五金",
        "机械",
        "电器",
        "汽车零部件",
        "紧固件",
        "轴承",
        "注塑",
        "压铸",
        "液压",
        "针织服饰",
        "文具",
        "电子",
        "阀门",
        "泵业",
        "精密机械",
        "家用电器",
        "灯具",
        "纺织",
        "新材料",
        "电机",
        "工具",
        "橡胶制品",
        "包装",
        "铸造",
        "不锈钢制品",
        "电线电缆",
    ],
    "E": ["建设", "建筑工程", "装饰工程"],
    "F": ["贸易", "进出口", "商贸", "国际贸易"],
    "G": ["物流", "运输", "仓储"],
    "H": ["餐饮管理"],
    "I": ["信息技术", "网络科技", "软件"],
    "L": ["企业管理咨询", "人力资源服务"],
    "M": ["检测技术", "工程设计"],
}
#: section weights of firms outside Gulin; Gulin is 95 % manufacturing
SECTION_WEIGHTS = {"C": 55, "E": 6, "F": 18, "G": 7, "H": 3, "I": 5, "L": 4, "M": 2}
GULIN_SECTION_WEIGHTS = {"C": 95, "F": 3, "G": 1, "L": 1}
#: Lingfeng is an industrial community
LINGFENG_SECTION_WEIGHTS = {"C": 85, "F": 8, "G": 5, "M": 2}

# --- people -------------------------------------------------------------------------------
#: common surnames, Ningbo's own (应, 俞, 邬, 竺, 史, 虞) included; repeated ones weigh more
SURNAMES = (
    "王王王陈陈陈张张李李周周胡胡徐徐林林应俞邬竺史叶毛孙沈董郑朱吴杨黄赵钱"
    "刘何郭马罗高梁谢宋唐许韩冯邓曹彭曾蒋蔡余杜程苏魏吕丁任姚卢姜陆汪范金方邵"
    "袁顾虞"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志红玉兰峰海波辉鹏飞宇浩"
    "晨颖琳婷雪燕萍斌亮松林杨帆凯文俊佳欣怡雯鑫瑶倩慧"
)
MOBILE_PREFIXES = [
    "130", "131", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "183", "185", "186", "187",
    "188", "189", "198", "199",
]  # fmt: skip


# --- departments --------------------------------------------------------------------------
def district_departments(district: str) -> list[tuple[str, DepartmentKind]]:
    """The nine departments every district, county-level city and county has."""
    short = district[:-1]
    city_prefix = "宁波市" if district.endswith("区") else ""
    return [
        (f"国家税务总局{city_prefix}{district}税务局", DepartmentKind.TAX),
        (f"{district}市场监督管理局", DepartmentKind.MARKET),
        (f"宁波市自然资源和规划局{short}分局", DepartmentKind.NATURAL_RESOURCES),
        (f"宁波市生态环境局{short}分局", DepartmentKind.ECOLOGY),
        (f"{district}人力资源和社会保障局", DepartmentKind.HUMAN_RESOURCES),
        (f"{district}经济和信息化局", DepartmentKind.ECONOMY),
        (f"{district}商务局", DepartmentKind.COMMERCE),
        (f"{district}司法局", DepartmentKind.JUSTICE),
        (f"{district}应急管理局", DepartmentKind.EMERGENCY),
    ]


CHUNHU_GROUP_NAME = "莼湖街道靶向服务团"
CHUNHU_GROUP_PURPOSE = "项目审批、法律维权、劳资纠纷调处，企业问题不出街道"
#: extra district-level members of the Chunhu group (region 奉化区)
CHUNHU_DISTRICT_MEMBERS: list[tuple[str, DepartmentKind]] = [
    ("奉化区发展和改革局", DepartmentKind.DEVELOPMENT),
    ("奉化区住房和城乡建设局", DepartmentKind.HOUSING),
    ("奉化区财政局", DepartmentKind.FINANCE),
    ("奉化区人民法院", DepartmentKind.COURT),
    ("宁波市公安局奉化分局", DepartmentKind.PUBLIC_SECURITY),
]
#: agencies' local offices in the street (region 莼湖街道)
CHUNHU_LOCAL_MEMBERS: list[tuple[str, DepartmentKind]] = [
    ("莼湖税务分局", DepartmentKind.TAX),
    ("莼湖市场监管所", DepartmentKind.MARKET),
    ("莼湖司法所", DepartmentKind.JUSTICE),
    ("莼湖派出所", DepartmentKind.PUBLIC_SECURITY),
    ("莼湖供电所", DepartmentKind.POWER),
    ("奉化区人民法院莼湖法庭", DepartmentKind.COURT),
    ("莼湖自然资源和规划所", DepartmentKind.NATURAL_RESOURCES),
    ("宁波市生态环境局奉化分局莼湖监管站", DepartmentKind.ECOLOGY),
    ("莼湖街道人力社保服务中心", DepartmentKind.HUMAN_RESOURCES),
    ("莼湖劳动保障监察中队", DepartmentKind.HUMAN_RESOURCES),
    ("莼湖街道经济发展服务中心", DepartmentKind.ECONOMY),
    ("莼湖街道应急管理站", DepartmentKind.EMERGENCY),
    ("奉化区消防救援大队莼湖中队", DepartmentKind.EMERGENCY),
    ("莼湖街道综合行政执法中队", DepartmentKind.OTHER),
    ("莼湖街道人民调解委员会", DepartmentKind.JUSTICE),
    ("莼湖街道村镇建设管理站", DepartmentKind.HOUSING),
    ("莼湖街道财政所", DepartmentKind.FINANCE),
    ("莼湖街道农业农村办公室", DepartmentKind.OTHER),
    ("莼湖交警中队", DepartmentKind.PUBLIC_SECURITY),
]
#: the district's own nine departments are members too: 9 + 5 + 19 = 33
CHUNHU_GROUP_SIZE = 33


# --- homes, chambers, pairings ------------------------------------------------------------
@dataclass(frozen=True)
class HomeSpec:
    name: str
    level: HomeLevel
    region: str  # region name (unique in the dataset)
    operator: str
    floor_area: Decimal
    functions: tuple[str, ...]
    address: str


ALL_FUNCTIONS = tuple(HomeFunction.values)

HOMES: list[HomeSpec] = [
    HomeSpec(
        "古林镇亲清家园",
        HomeLevel.TOWN,
        GULIN,
        "甬商公共服务平台",
        Decimal("1200"),
        ALL_FUNCTIONS,
        "宁波市海曙区古林镇古林工业社区兴业路18号",
    ),
    HomeSpec(
        "宁海县亲清家园",
        HomeLevel.DISTRICT,
        "宁海县",
        "宁海县工商业联合会",
        Decimal("860"),
        ALL_FUNCTIONS,
        "宁波市宁海县跃龙街道兴宁中路52号",
    ),
    HomeSpec(
        "灵峰社区亲清家园",
        HomeLevel.COMMUNITY,
        LINGFENG,
        "大碶街道灵峰社区",
        Decimal("320"),
        ALL_FUNCTIONS,
        "宁波市北仑区大碶街道灵峰社区灵峰路8号",
    ),
    HomeSpec(
        "莼湖街道亲清家园",
        HomeLevel.TOWN,
        CHUNHU,
        "莼湖街道靶向服务团",
        Decimal("450"),
        ALL_FUNCTIONS,
        "宁波市奉化区莼湖街道莼湖南路66号",
    ),
    HomeSpec(
        "海曙区亲清家园",
        HomeLevel.DISTRICT,
        "海曙区",
        "海曙区工商业联合会",
        Decimal("980"),
        ALL_FUNCTIONS,
        "宁波市海曙区鼓楼街道中山西路9号",
    ),
    HomeSpec(
        "余姚市亲清家园",
        HomeLevel.DISTRICT,
        "余姚市",
        "余姚市工商业联合会",
        Decimal("720"),
        ("dialogue", "briefing", "information", "coordination"),
        "宁波市余姚市阳明街道新建北路26号",
    ),
    HomeSpec(
        "周巷镇亲清家园",
        HomeLevel.TOWN,
        "周巷镇",
        "周巷镇商会",
        Decimal("540"),
        ("dialogue", "briefing", "information", "integrity"),
        "宁波市慈溪市周巷镇兴业北路101号",
    ),
    HomeSpec(
        "姜山工业社区亲清家园",
        HomeLevel.COMMUNITY,
        "姜山工业社区",
        "姜山镇商会",
        Decimal("260"),
        ("dialogue", "information", "coordination", "integrity"),
        "宁波市鄞州区姜山镇姜山工业社区科技路3号",
    ),
]

#: chamber name, region name, number of member firms (drawn from that region)
CHAMBERS: list[tuple[str, str, int]] = [
    ("海曙区古林镇商会", GULIN, 60),
    ("北仑区大碶街道商会", DAQI, 30),
]
CHAMBER_POSITIONS = ["会长", "副会长", "副会长", "副会长", "秘书长", "理事", "理事", "理事"]


# --- the demo accounts (USERS.md) ---------------------------------------------------------
@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    phone: str | None = None
    title: str = ""
    #: the scope: a region name, a department name, or "firm" (the account's own firm)
    region: str = ""
    department: str = ""
    firm: str = ""


WANGLI_FIRM_NAME = "宁波古林华达模具有限公司"

DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount(
        "wangli",
        "王丽",
        Role.ENTERPRISE,
        "13857410001",
        "总经理",
        firm="wangli",
    ),
    DemoAccount(
        "chengang", "陈刚", Role.STEWARD, "13857410002", "灵峰社区管家", region="灵峰社区第一网格"
    ),
    DemoAccount("lintao", "林涛", Role.OBSERVER, "13857410003", "亲清观察员", firm="lintao"),
    DemoAccount(
        "zhaomin",
        "赵敏",
        Role.HANDLER,
        "13857410004",
        "科员",
        department="海曙区市场监督管理局",
    ),
    DemoAccount(
        "zhouhua", "周华", Role.COORDINATOR, "13857410005", "古林镇亲清家园协调员", region=GULIN
    ),
    DemoAccount(
        "liujianguo", "刘建国", Role.OFFICIAL, "13857410006", "海曙区副区长", region="海曙区"
    ),
    DemoAccount(
        "sunyue", "孙悦", Role.SUPERVISOR, "13857410007", "海曙区纪委监委干部", region="海曙区"
    ),
    # 海曙区's other supervisors: 钱红 and 李珊 sign off and review exemption appeals; 郑明 is
    # the second supervisor of the encrypted reports (closing needs a second supervisor)
    DemoAccount(
        "qianhong", "钱红", Role.SUPERVISOR, "13857410008", "海曙区纪委监委干部", region="海曙区"
    ),
    DemoAccount(
        "lishan", "李珊", Role.SUPERVISOR, "13857410009", "海曙区纪委监委干部", region="海曙区"
    ),
    DemoAccount("zhengming", "郑明", Role.SUPERVISOR, title="海曙区纪委监委干部", region="海曙区"),
    # a supervisor of another district: sees 北仑区's reports and filings, not 海曙区's
    DemoAccount(
        "hexin", "何欣", Role.SUPERVISOR, "13857410010", "北仑区纪委监委干部", region="北仑区"
    ),
    DemoAccount("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, title="系统管理员"),
    # the second system administrator: confirms what sysadmin imports (the holiday notice's
    # two-person rule)
    DemoAccount("sysadmin2", "复核管理员", Role.SYSTEM_ADMIN, title="系统管理员（复核）"),
    DemoAccount("secadmin", "安全管理员", Role.SECURITY_ADMIN, title="安全管理员"),
    DemoAccount("auditadmin", "审计管理员", Role.AUDIT_ADMIN, title="审计管理员"),
]

#: 刘建国's pairings, and two more officials paired with firms of their district
PAIRINGS_PER_OFFICIAL = 5
EXTRA_OFFICIALS: list[tuple[str, str, str, int]] = [
    # username, title, district, number of paired firms
    ("official_330206", "北仑区副区长", "北仑区", 3),
    ("official_330213", "奉化区副区长", "奉化区", 3),
]


# --- routing rules and the demand history (``history``) ------------------------------
#: demand category → the department kinds that handle it, the first one a district has; a
#: category not listed (``other``), or with no such department, has no rule: the case waits
#: for the coordinator to dispatch it
ROUTING_KINDS: dict[str, tuple[DepartmentKind, ...]] = {
    "tax": (DepartmentKind.TAX,),
    "market": (DepartmentKind.MARKET,),
    "land": (DepartmentKind.NATURAL_RESOURCES,),
    "environment": (DepartmentKind.ECOLOGY,),
    "labour": (DepartmentKind.HUMAN_RESOURCES,),
    "permit": (DepartmentKind.DEVELOPMENT, DepartmentKind.ECONOMY),
    "permit-power": (DepartmentKind.ECONOMY,),
    "legal": (DepartmentKind.JUSTICE,),
    "finance": (DepartmentKind.COMMERCE, DepartmentKind.ECONOMY),
    "policy": (DepartmentKind.ECONOMY,),
    "infrastructure": (DepartmentKind.HOUSING,),
    "emergency-supply": (DepartmentKind.EMERGENCY,),
}
#: where a coordinator dispatches a case that no rule routes (one of these, at random)
MANUAL_DISPATCH_KINDS: dict[str, tuple[DepartmentKind, ...]] = {
    "other": (DepartmentKind.ECONOMY, DepartmentKind.COMMERCE, DepartmentKind.JUSTICE),
    "infrastructure": (DepartmentKind.NATURAL_RESOURCES, DepartmentKind.ECONOMY),
}
#: the Chunhu street's own offices take these categories before the district's bureaus
#: (the most specific rule wins: the 靶向服务团 keeps problems in the street)
CHUNHU_ROUTING: dict[str, str] = {
    "tax": "莼湖税务分局",
    "market": "莼湖市场监管所",
    "legal": "莼湖司法所",
    "labour": "莼湖街道人力社保服务中心",
    "permit-power": "莼湖供电所",
    "infrastructure": "莼湖街道村镇建设管理站",
    "emergency-supply": "莼湖街道应急管理站",
}

#: towns whose home's coordinator keeps the town's own routing table (a copy of the
#: district's rules, which the coordinator may then edit: 周华 in 古林镇)
ROUTING_TOWNS = [GULIN]

#: the history starts on the first day of the half-year this many half-years before the
#: load's own (2024-07-01 for a load in 2026H2): four whole half-years, two years, for the
#: health index to publish, and the current one so far; cases per working day, on average
HISTORY_HALF_YEARS = 4
HISTORY_CASES_PER_WORKING_DAY = 19.0
#: month → how busy it is (Spring Festival in February, year-end in December)
HISTORY_MONTH_FACTOR = {
    1: 1.1, 2: 0.75, 3: 1.2, 4: 1.05, 5: 1.05, 6: 1.0,
    7: 1.0, 8: 0.95, 9: 1.0, 10: 0.85, 11: 1.05, 12: 1.1,
}  # fmt: skip
#: the platform's take-up grows over the history: the first day weighs this, the last 1.0
HISTORY_START_FACTOR = 0.55
#: handlers grow quicker as the programme beds in, some districts more than others: a case's
#: chance of running late is ``HISTORY_FATES["late"]`` times its district's factor, drawn
#: from the first range for the first day of the history and from the second for the last
#: (linear in between)
HISTORY_LATE_FACTOR_START = (1.2, 2.6)
HISTORY_LATE_FACTOR_END = (0.6, 1.4)
CHANNEL_WEIGHTS = {"portal": 50, "steward": 25, "phone": 20, "api": 5}
CATEGORY_WEIGHTS = {
    "tax": 12, "market": 8, "land": 6, "environment": 8, "labour": 12, "finance": 9,
    "permit": 11, "permit-power": 6, "legal": 5, "policy": 14, "infrastructure": 4,
    "emergency-supply": 2, "other": 5,
}  # fmt: skip
#: category → {month: factor}: typhoon season, the May tax settlement, hiring after the
#: Spring Festival
CATEGORY_SEASONS: dict[str, dict[int, float]] = {
    "emergency-supply": {7: 4.0, 8: 5.0, 9: 4.0},
    "tax": {1: 1.4, 5: 1.6, 6: 1.3},
    "labour": {2: 1.8, 3: 1.6},
}
#: a firm's weight in drawing who raises a demand: Lingfeng's stewards visit every firm
#: monthly and its firms speak up; above-scale firms raise more
LINGFENG_FIRM_WEIGHT = 5.0
ABOVE_SCALE_FIRM_WEIGHT = 2.5
#: per case: how its life goes (probabilities)
HISTORY_FATES = {
    "withdraw": 0.04,
    "returned": 0.03,
    "transfer": 0.02,
    "wait_firm": 0.08,
    "assist": 0.05,
    "start": 0.70,
    "late": 0.12,
    "unrated": 0.14,
}
#: how many times the firm rejects the reply: 0, 1, 2, 3 (the third makes it disputed)
REJECT_WEIGHTS = (89.0, 8.0, 2.0, 1.0)
#: satisfaction weights (满意, 基本满意, 不满意) for a smooth case and a troubled one (late or
#: reopened); together about 70 / 20 / 10
SATISFACTION_SMOOTH = (75.0, 18.0, 7.0)
SATISFACTION_TROUBLED = (50.0, 30.0, 20.0)
#: satisfaction → (rating, weight)
RATINGS: dict[str, tuple[tuple[int, float], ...]] = {
    "satisfied": ((5, 90.0), (4, 10.0)),
    "basic": ((4, 60.0), (3, 40.0)),
    "unsatisfied": ((3, 30.0), (2, 50.0), (1, 20.0)),
}

#: category → (title, description) a firm writes
DEMAND_TEXTS: dict[str, list[tuple[str, str]]] = {
    "tax": [
        (
            "增值税留抵退税申请进度咨询",
            "上月提交了增值税留抵退税申请，至今未到账，请帮助查询办理进度。",
        ),
        (
            "研发费用加计扣除政策适用咨询",
            "今年新增模具研发投入，想了解研发费用加计扣除的口径和申报材料。",
        ),
        (
            "申请增加增值税专用发票领用数量",
            "订单增加，现有发票领用数量不够用，申请调增每月领用份数。",
        ),
        ("出口退税审核时间较长", "出口退税申报已两个月未办结，资金周转紧张，请协调加快审核。"),
        ("城镇土地使用税困难减免申请", "受订单下滑影响经营困难，申请减免今年的城镇土地使用税。"),
    ],
    "market": [
        (
            "营业执照经营范围变更咨询",
            "企业拟增加进出口业务，经营范围变更需要哪些材料，能否网上办理？",
        ),
        (
            "特种设备（叉车）检验预约困难",
            "厂内两台叉车检验到期，预约排期太长，请协调尽快安排检验。",
        ),
        ("商标被他人抢注，请求指导维权", "我司使用多年的商标被外地公司抢先注册，请指导如何维权。"),
        ("产品质量抽检结果异议", "上月产品抽检判定不合格，企业对检验方法有异议，申请复检。"),
        ("计量器具强制检定安排", "车间电子秤、压力表需要强制检定，希望安排上门集中检定。"),
    ],
    "land": [
        ("厂房扩建用地指标申请", "订单增长需要扩建厂房，申请新增工业用地指标，请告知流程。"),
        ("“零土地”技改加层审批咨询", "拟在现有厂区加层改造，想了解零土地技改的规划审批要求。"),
        ("不动产权证办理遇阻", "新建厂房已竣工验收，不动产权证因历史遗留问题办不下来。"),
        ("厂区规划条件核实迟迟未安排", "厂区内新建仓库已完工，规划条件核实一直没有安排。"),
    ],
    "environment": [
        (
            "喷涂线环评审批办理咨询",
            "新上一条喷涂生产线，环评报告表审批需要多长时间，有无简化流程？",
        ),
        ("排污许可证延续材料被退回", "排污许可证即将到期，延续申请材料被退回，请指导补正。"),
        ("危险废物处置渠道不畅", "废切削液、废油漆桶等危废积压，处置单位排期长，请协调处置。"),
        ("废气治理设施改造补助咨询", "计划改造VOCs废气治理设施，想了解是否有补助政策。"),
        ("周边企业异味影响生产", "隔壁企业经常排放异味，影响员工正常工作，请核查处理。"),
    ],
    "labour": [
        ("招工难，希望协助对接外地劳务", "节后普工缺口约30人，希望协助对接安徽等地劳务输出。"),
        ("社保费缓缴政策咨询", "资金紧张，想了解阶段性缓缴社保费的条件和办理方式。"),
        ("员工工伤认定进度咨询", "员工上月在车间受伤，工伤认定申请已提交，想了解办理进度。"),
        ("技能提升补贴申领咨询", "员工取得职业技能等级证书，企业如何申领技能提升补贴？"),
        ("离职员工劳动争议调解求助", "一名离职员工要求额外补偿，双方协商不成，请帮助调解。"),
    ],
    "finance": [
        (
            "流动资金贷款难，请求银企对接",
            "需要500万元流动资金周转，银行授信额度不足，希望帮助对接。",
        ),
        ("应急转贷资金申请", "一笔贷款下月到期，申请使用应急转贷资金过桥。"),
        ("政府性融资担保申请咨询", "想了解政府性融资担保的申请条件、额度和费率。"),
        ("应收账款融资咨询", "大客户账期长，想通过应收账款融资盘活资金。"),
    ],
    "permit": [
        ("技改项目备案办理咨询", "拟购置新设备进行技术改造，项目备案需要哪些材料？"),
        ("扩建项目施工许可办理缓慢", "厂房扩建项目施工许可办理已超过一个月，请协调加快。"),
        ("新车间消防验收排期较长", "新建车间消防验收排期较长，影响按期投产，请协调。"),
        ("工业产品生产许可证延续", "生产许可证即将到期，延续审查需要准备哪些材料？"),
    ],
    "permit-power": [
        (
            "用电增容审批卡在供电所两个月了",
            "新上注塑机需要增容，申请已提交两个月，供电所一直未答复。",
        ),
        ("新建厂房用电报装进度咨询", "新厂房即将投产，用电报装尚未接电，请协调加快。"),
        ("有序用电限电影响交货", "近期多次有序用电限电，影响交货，希望了解错峰安排。"),
        ("专变减容申请", "部分设备淘汰后希望减容，降低基本电费，请告知办理流程。"),
    ],
    "legal": [
        ("货款被拖欠，请求法律指导", "外地客户拖欠货款80余万元，多次催讨无果，请求法律指导。"),
        ("专利产品被仿冒，如何维权", "发现有企业仿冒我司专利产品，如何取证维权？"),
        ("与劳务公司结算纠纷调解", "与外包劳务公司结算发生争议，希望通过调解解决。"),
        ("企业合规管理指导", "希望获得企业合规管理体系建设方面的法律指导。"),
    ],
    "policy": [
        ("“专精特新”企业申报条件咨询", "想申报市级专精特新中小企业，需要满足哪些条件？"),
        ("稳岗返还政策咨询", "今年是否还有稳岗返还，企业需要如何申领？"),
        ("数字化改造补助政策咨询", "计划上线MES系统，数字化改造补助标准是多少？"),
        ("“小升规”奖励政策咨询", "今年产值预计突破2000万元，小升规有哪些奖励？"),
        ("出口信用保险保费补助咨询", "想了解出口信用保险保费补助的申报时间和材料。"),
    ],
    "infrastructure": [
        ("厂区门口道路破损严重", "厂区门口道路坑洼，货车进出困难，希望尽快修复。"),
        ("工业区雨污管网堵塞", "雨天厂区周边积水严重，雨水管网疑似堵塞，请疏通。"),
        ("工业区公交不便，员工通勤困难", "公交线路不经过工业区，希望增设站点或开通通勤班车。"),
        ("路灯损坏，夜班员工出行不安全", "工业区道路多盏路灯损坏，请安排维修。"),
    ],
    "emergency-supply": [
        ("台风前急需防汛沙袋和抽水泵", "台风即将登陆，厂区地势低洼，急需防汛沙袋和抽水泵。"),
        ("口罩等防护物资采购对接", "复工需要采购口罩和消毒用品，请帮助对接供应渠道。"),
        ("安全生产应急演练指导", "计划组织消防应急演练，希望派员现场指导。"),
    ],
    "other": [
        ("厂区周边电缆被盗，请加强巡逻", "近期厂区周边多次发生电缆被盗，请加强夜间巡逻。"),
        ("外来务工人员子女入学咨询", "外来务工员工子女入学需要准备哪些材料？"),
        ("有人冒用企业名义发布招聘信息", "有人冒用我司名义发布虚假招聘信息，请协助处理。"),
        ("希望组织同行业交流活动", "希望亲清家园组织同行业企业交流会，分享经验。"),
    ],
}
#: category → what the department replies
DEMAND_REPLIES: dict[str, list[str]] = {
    "tax": [
        "经核查，退税申请已审核通过，款项已于近日退还至企业账户。",
        "已安排税收管理员上门辅导，政策口径和申报材料清单已发送企业。",
    ],
    "market": [
        "已安排工作人员上门指导，相关业务可在浙江政务服务网全程网办。",
        "已协调检验机构于约定时间上门，企业设备已完成检验。",
    ],
    "land": [
        "已会同镇政府现场踏勘，用地需求已纳入年度计划，请按通知提交材料。",
        "历史遗留问题已形成处置意见，不动产登记可按程序办理。",
    ],
    "environment": [
        "环评审批已按告知承诺制受理，企业可先行开展施工准备。",
        "已协调有资质的处置单位与企业签订合同，危废将于本周内清运。",
    ],
    "labour": [
        "已对接外地劳务合作站，首批工人已到岗；工伤认定结论已送达。",
        "政策符合条件，企业可在人社网上服务平台申领，已电话告知经办人。",
    ],
    "finance": [
        "已组织银企对接，合作银行已完成授信审批。",
        "应急转贷资金申请已通过审核，资金将按约定日期划转。",
    ],
    "permit": [
        "项目已完成备案，施工许可已并联审批办结。",
        "已协调消防验收提前至下周，企业可按期投产。",
    ],
    "permit-power": [
        "已与供电所现场会商，增容方案已确定，预计两周内完成接电。",
        "报装流程已加快办理，供电所已安排施工。",
    ],
    "legal": [
        "已安排法律顾问提供咨询，并引导企业通过诉前调解解决。",
        "调解委员会已组织双方调解，达成书面协议。",
    ],
    "policy": [
        "政策解读和申报指南已发送企业，申报窗口开放时将另行通知。",
        "企业符合申报条件，已指导准备材料，可在政策兑现平台在线申报。",
    ],
    "infrastructure": ["已安排养护单位现场处理，问题已整改完毕。"],
    "emergency-supply": [
        "物资已调配到位，企业可到镇应急物资点领取。",
        "已对接供应企业，物资按2元/只的价格供应，已送达。",
    ],
    "other": [
        "已转告相关单位处理，并加强了该区域的巡查。",
        "已会同有关方面处理完毕，并向企业反馈。",
    ],
}
RETURN_REASONS = [
    "经核实，该事项不属于本部门职责，请重新派单。",
    "诉求主要涉及其他部门的审批事项，建议改派。",
]
TRANSFER_REASONS = ["经协调，改由更对口的部门办理。", "事项涉及专业审批，转由主管部门办理。"]
WAIT_FIRM_NOTES = [
    "请企业补充营业执照复印件及相关证明材料。",
    "请补充相关合同、发票等证明材料。",
    "请提供现场照片及具体位置。",
]
REJECT_NOTES = [
    "问题没有实际解决，仍在等待。",
    "答复内容与诉求不符。",
    "承诺的时间已过，没有进展。",
]
RATING_COMMENTS: dict[str, list[str]] = {
    "satisfied": ["办理很及时，谢谢！", "工作人员很负责，问题解决了。", "", ""],
    "basic": ["问题基本解决，时间有点长。", "", ""],
    "unsatisfied": ["答复比较笼统，没有解决实际问题。", "拖得太久了。"],
}
WITHDRAW_NOTES = ["问题已自行解决，撤回诉求。", "重复提交，撤回。", ""]
DISPUTE_CLOSE_NOTE = "经协调员组织三方沟通，已作出书面说明，按争议事项办结。"
ASSIST_PARTS = ["提供相关政策口径", "会同现场核查", "出具专业意见"]
ASSIST_REPLIES = ["已提供书面意见。", "已派员参加现场核查，意见已反馈承办部门。"]
EXTENSION_REASON = "需会同税务部门核实历年数据，申请延期3个工作日。"


# --- the outreach history (``outreach_history``) ----------------------------------------------
#: visits cover every month from the first of the demand history (``HISTORY_HALF_YEARS``) to
#: the load month, up to the load day.
#: share of a grid's firms visited in a month, drawn per grid and month: Lingfeng's stewards
#: visit nearly every firm; Gulin's 9 specialists hold about 390 firms each; elsewhere a
#: steward calls now and then
LINGFENG_VISIT_RATE = (0.86, 0.96)
GULIN_VISIT_RATE = (0.60, 0.80)
OTHER_VISIT_RATE = (0.08, 0.16)
#: outside Lingfeng the visiting took hold over the history: a district's rate on the first
#: day of the history is its rate times a factor drawn from this range, growing to 1.0 by
#: the load day (Lingfeng, the model town, visited fully from the start)
VISIT_TAKE_UP_START = (0.35, 0.85)
#: a key firm (two visits a month) gets its second visit this often
KEY_FIRM_SECOND_VISIT = 0.88
#: 陈刚's month (USERS.md): firms missed last month (overdue now), and at least this many
#: still to visit this month
CHENGANG_MISSED_LAST_MONTH = 2
CHENGANG_STILL_DUE = 7
#: a visit with a problem solved on the spot (the problems that became demands come from the
#: demand history: every steward-raised demand was found on a visit that day)
SPOT_PROBLEM_RATE = 0.05
POLICY_RATE = 0.55

#: the visit rule of the Lingfeng community (the source: once a month, a quarterly meeting)
VISIT_RULE = (LINGFENG, 1, 2, 1)  # region, visits a month, key firms, roundtables a quarter
KEY_FIRMS_PER_LINGFENG = 5
KEY_FIRM_REASONS = [
    "规上工业企业，年产值超亿元",
    "省级专精特新中小企业",
    "在建技改项目总投资超5000万元",
    "纳税百强企业",
    "用工超300人的重点用工企业",
]

VISIT_TOPICS = [
    "了解企业生产经营和订单情况",
    "了解企业用工情况和招工需求",
    "了解原材料价格波动对企业的影响",
    "了解企业技改项目推进情况",
    "了解企业融资需求和银行授信情况",
    "了解外贸订单和出口退税情况",
    "检查安全生产情况，提醒做好消防隐患自查",
    "了解企业用电、用地需求",
    "了解企业数字化改造计划",
    "征求企业对营商环境的意见建议",
    "了解企业研发投入和新产品开发情况",
    "了解企业扩产计划",
    "了解企业应收账款回款情况",
    "了解环保设施运行和危废处置情况",
    "回访企业前期反映问题的办理情况",
    "了解企业对涉企检查的感受和意见",
]
#: month → topics of the season, drawn more often in that month
SEASONAL_TOPICS: dict[int, list[str]] = {
    1: ["春节前了解企业工资发放和员工留岗情况", "提醒企业做好节前安全生产检查"],
    2: ["了解节后复工复产和员工返岗情况"],
    3: ["了解节后招工进展和一季度订单情况"],
    4: ["了解一季度经营情况和全年目标"],
    5: ["提醒企业按时完成企业所得税汇算清缴"],
    6: ["提醒企业做好防汛防台准备"],
    7: ["提醒企业做好高温天气防暑降温", "了解上半年经营情况"],
    8: ["台风过后了解企业受灾和恢复生产情况"],
    9: ["提醒企业做好防汛防台准备", "了解三季度订单情况"],
    10: ["了解四季度订单和全年目标完成情况"],
    11: ["了解企业冬季用电需求和有序用电安排"],
    12: ["了解企业全年经营情况和明年投资计划", "了解企业年底工资支付情况，预防欠薪"],
}
#: policy → what the steward explains; month → the policies of the season
POLICIES: dict[str, str] = {
    "研发费用加计扣除": "制造业企业研发费用按100%在税前加计扣除，预缴申报时即可享受",
    "稳岗返还": "上年度未裁员或裁员率不超过规定标准的参保企业可获返还，免申即享",
    "技改补助": "生产性设备投资达到规定额度的技改项目按投资额给予补助",
    "专精特新中小企业培育": "市级专精特新中小企业的认定条件和申报时间",
    "小升规奖励": "首次纳入规上统计的工业企业给予一次性奖励",
    "数字化改造补助": "MES、ERP等数字化改造项目按软硬件投资给予补助",
    "出口信用保险保费补助": "投保短期出口信用保险的企业可获部分保费补助",
    "增值税留抵退税": "符合条件的制造业企业可申请退还增量和存量留抵税额",
    "技能提升补贴": "职工取得职业资格或技能等级证书后可申领补贴",
    "高新技术企业认定": "认定条件、申报流程和15%的企业所得税优惠税率",
    "首台（套）装备保险补偿": "首台（套）重大技术装备投保可获保费补偿",
    "绿色工厂创建奖励": "获评绿色工厂的企业给予奖励",
    "应急转贷资金": "贷款到期周转困难的企业可申请应急转贷资金过桥",
    "政府性融资担保降费": "小微企业政府性融资担保费率降至1%以下",
}
SEASONAL_POLICIES: dict[int, list[str]] = {
    2: ["技改补助"],
    3: ["研发费用加计扣除", "技改补助"],
    4: ["研发费用加计扣除", "稳岗返还"],
    5: ["研发费用加计扣除", "稳岗返还", "高新技术企业认定"],
    6: ["稳岗返还", "高新技术企业认定"],
    7: ["高新技术企业认定", "专精特新中小企业培育"],
    8: ["技改补助", "专精特新中小企业培育"],
    9: ["技改补助"],
    10: ["研发费用加计扣除"],
    11: ["小升规奖励"],
    12: ["小升规奖励", "稳岗返还"],
}
SPOT_PROBLEMS = [
    "企业反映叉车年检预约排期较长，已告知网上预约渠道。",
    "企业询问稳岗返还到账时间，已当场解答。",
    "厂区门口两盏路灯不亮，已转告社区安排维修。",
    "企业反映招工难，已推荐参加镇人力社保站组织的招聘会。",
    "企业对研发费用归集口径有疑问，已联系税务专员电话辅导。",
    "消防通道有杂物堆放，已提醒企业当场清理。",
    "企业反映周边道路货车限行时段不合理，已记录并向街道反映。",
    "企业询问专精特新申报材料，已发送申报指南。",
    "员工宿舍电线私拉乱接，已提醒企业整改。",
    "企业反映雨天污水管网倒灌，已报社区核查。",
]
MET_TITLES = ["总经理", "董事长", "法定代表人"]
MET_DEPARTMENTS = ["办公室", "行政部", "财务部", "生产部", "人事部", "销售部"]
MET_POSITIONS = ["经理", "主任", "主管"]

# --- meetings ---------------------------------------------------------------------------------
ROUNDTABLE_PLACE = "灵峰社区亲清家园会议室"
ROUNDTABLE_CAPACITY = 30
ROUNDTABLE_AGENDA = (
    "一、通报本季度走访和诉求办理情况；二、解读近期惠企政策；"
    "三、企业负责人交流发言，反映问题和建议；四、亲清观察员通报廉情监督情况。"
)
ROUNDTABLE_ISSUES = [
    "工业区货车通行和停车不便",
    "普工招聘难、员工流动性大",
    "用电增容排队时间较长",
    "原材料价格上涨、利润空间收窄",
    "应收账款回款周期变长",
    "希望多组织职业技能培训",
    "希望组织银企对接，降低融资成本",
    "雨季厂区周边积水",
    "涉企检查较多，希望合并开展",
]
#: (title, department kind or "" for the steward, result when done)
ROUNDTABLE_FOLLOW_UPS: list[tuple[str, str, str]] = [
    (
        "协调供电部门上门查看企业用电增容需求",
        DepartmentKind.ECONOMY,
        "已会同供电所现场查看，增容方案已确定。",
    ),
    (
        "汇总企业招工需求，对接外地劳务合作站",
        DepartmentKind.HUMAN_RESOURCES,
        "已汇总12家企业用工需求86人，首批工人已到岗。",
    ),
    (
        "安排税务专员上门辅导研发费用加计扣除申报",
        DepartmentKind.TAX,
        "税务专员已上门辅导5家企业，申报问题已解决。",
    ),
    ("联系交警中队优化工业区货车通行时段", "", "已与交警中队对接，货车通行时段已调整。"),
    ("组织一次银企对接会", DepartmentKind.COMMERCE, "已组织3家银行与企业对接，7家企业获得授信。"),
    ("核查工业区雨水管网堵塞情况并督促疏通", "", "已报街道城管科，管网已疏通。"),
    (
        "为企业对接电工、焊工等技能培训",
        DepartmentKind.HUMAN_RESOURCES,
        "已开办2期技能培训班，46名员工参加。",
    ),
    ("整理企业对涉企检查的意见，报送街道", "", "意见已书面报送街道，并在联席会议上通报。"),
    (
        "协调集中安排叉车等特种设备检验",
        DepartmentKind.MARKET,
        "已协调检验机构集中上门，13台叉车完成检验。",
    ),
    (
        "组织企业开展危险废物规范化管理自查",
        DepartmentKind.ECOLOGY,
        "生态环境分局已组织培训，企业自查完成。",
    ),
]
ROUNDTABLE_DECLINE = 0.08
ROUNDTABLE_NO_REPLY = 0.06
ROUNDTABLE_ATTEND = 0.9


@dataclass(frozen=True)
class MeetingSpec:
    """A dialogue or joint meeting of the demo: where, who, when (days before the load)."""

    kind: str
    title: str
    region: str
    organizer: str
    days_back: int
    place: str
    agenda: str
    #: department kinds of the region's district that take part
    departments: tuple[str, ...]
    issues: tuple[str, ...]
    #: (title, department kind, result when done)
    follow_ups: tuple[tuple[str, str, str], ...]
    chamber: str = ""
    capacity: int | None = None
    firms: int = 0  # firms of the region invited
    users: tuple[str, ...] = ()  # staff invited in person


GULIN_DEPARTMENTS = (
    DepartmentKind.TAX,
    DepartmentKind.COMMERCE,
    DepartmentKind.NATURAL_RESOURCES,
    DepartmentKind.ECOLOGY,
)
OTHER_MEETINGS: list[MeetingSpec] = [
    MeetingSpec(
        kind="dialogue",
        title="古林镇政情恳谈会：企业用工和用地专场",
        region=GULIN,
        organizer="liujianguo",
        days_back=150,
        place="古林镇亲清家园多功能厅",
        agenda="一、区领导通报全区稳企业促发展举措；二、企业代表发言；三、部门现场答复；"
        "四、议定需会后落实的事项。",
        departments=(*GULIN_DEPARTMENTS, DepartmentKind.HUMAN_RESOURCES),
        issues=("普工缺口大，外地劳务对接渠道少", "扩产缺少用地指标", "环评审批时间长"),
        follow_ups=(
            (
                "研究古林工业社区低效用地再开发方案",
                DepartmentKind.NATURAL_RESOURCES,
                "已完成低效用地摸底，首批3宗地块纳入再开发计划。",
            ),
            (
                "对接安徽劳务输出地，建立长期用工合作",
                DepartmentKind.HUMAN_RESOURCES,
                "已与安徽两县签订劳务合作协议，输送工人200余名。",
            ),
            (
                "推行环评审批告知承诺制，压缩审批时间",
                DepartmentKind.ECOLOGY,
                "告知承诺制已在古林镇试行，审批时间压缩至5个工作日。",
            ),
        ),
        capacity=40,
        firms=24,
        users=("zhouhua",),
    ),
    MeetingSpec(
        kind="dialogue",
        title="古林镇政情恳谈会：减负降本和政策兑现",
        region=GULIN,
        organizer="zhouhua",
        days_back=40,
        place="古林镇亲清家园多功能厅",
        agenda="一、解读最新减负降本政策；二、商会会员企业反映政策兑现中的问题；"
        "三、部门现场答复和议定事项。",
        departments=(*GULIN_DEPARTMENTS, DepartmentKind.ECONOMY, DepartmentKind.MARKET),
        issues=("政策兑现材料多、周期长", "出口退税审核慢", "商标被抢注维权难"),
        follow_ups=(
            (
                "梳理惠企政策兑现堵点，推行“免申即享”",
                DepartmentKind.ECONOMY,
                "已梳理12项可免申即享的政策，兑现平台已上线。",
            ),
            (
                "开展出口退税加速审核专项行动",
                DepartmentKind.TAX,
                "出口退税平均审核时间已压缩至3个工作日。",
            ),
            (
                "为商会会员企业开展商标和专利维权培训",
                DepartmentKind.MARKET,
                "已举办知识产权维权培训，38家企业参加。",
            ),
        ),
        chamber="海曙区古林镇商会",
        capacity=40,
        firms=20,
        users=("liujianguo",),
    ),
    MeetingSpec(
        kind="joint",
        title="海曙区政商联系沟通联席会议",
        region="海曙区",
        organizer="sunyue",
        days_back=18,
        place="海曙区行政中心3号楼第二会议室",
        agenda="一、通报全区企业诉求办理和超期督办情况；二、研究古林镇企业反映的共性问题；"
        "三、部署涉企检查“综合查一次”工作。",
        departments=tuple(kind for _name, kind in district_departments("海曙区")),
        issues=("涉企检查多头重复", "用电增容审批慢", "低效工业用地多", "稳岗返还兑付慢"),
        follow_ups=(
            (
                "制定涉企检查“综合查一次”清单，合并同类检查",
                DepartmentKind.MARKET,
                "清单已印发，首批合并检查事项22项。",
            ),
            (
                "用电增容审批压缩至15个工作日内，按月通报",
                DepartmentKind.ECONOMY,
                "已与供电公司建立月通报机制。",
            ),
            (
                "对古林镇低效工业用地开展摸底，提出再开发方案",
                DepartmentKind.NATURAL_RESOURCES,
                "摸底完成，方案已报区政府。",
            ),
            (
                "稳岗返还推行“免申即享”，年底前兑付到位",
                DepartmentKind.HUMAN_RESOURCES,
                "已兑付1,286家企业。",
            ),
        ),
        users=("liujianguo", "zhouhua"),
    ),
]

# --- pairings, activities, the service group, observers --------------------------------------
#: kind → weight and what the official notes
PAIRING_CONTACT_KINDS: dict[str, tuple[int, list[str]]] = {
    "visit": (
        45,
        [
            "到企业走访，了解扩产项目进展，协调用地指标问题。",
            "走访企业生产车间，听取企业对营商环境的意见。",
            "实地查看技改项目，了解设备投资和补助申报情况。",
        ],
    ),
    "call": (
        35,
        [
            "电话了解企业订单和用工情况，企业暂无需要协调的问题。",
            "电话回访企业前期反映的用电增容问题，已解决。",
            "电话告知企业新出台的稳岗返还政策。",
        ],
    ),
    "meeting": (
        20,
        [
            "在政情恳谈会上与企业负责人交流，记录融资需求。",
            "参加企业座谈会，听取企业负责人对涉企检查的意见。",
        ],
    ),
}

ACTIVITY_PLACE = "古林镇亲清家园多功能厅"
ACTIVITY_CAPACITY = 50


@dataclass(frozen=True)
class ActivitySpec:
    title: str
    description: str
    days: int  # days after the load (negative: before)
    sections: tuple[str, ...]
    registered: int  # registrations that held a seat (some cancel later)
    waiting: int
    cancelled: int
    checked_in: float = 0.0  # share of the seats taken that checked in
    rated: float = 0.0  # share of those checked in that left feedback


ACTIVITIES: list[ActivitySpec] = [
    ActivitySpec(
        "研发费用加计扣除和高新技术企业认定政策宣讲会",
        "邀请区税务局、科技局业务骨干解读研发费用加计扣除新政和高新技术企业认定条件，现场答疑。",
        days=-38,
        sections=("C",),
        registered=50,
        waiting=7,
        cancelled=3,
        checked_in=0.86,
        rated=0.6,
    ),
    ActivitySpec(
        "稳岗返还和技能提升补贴政策宣讲会",
        "区人力社保局解读稳岗返还、技能提升补贴和以工代训政策，现场指导申领。",
        days=12,
        sections=(),
        registered=50,
        waiting=6,
        cancelled=2,
    ),
]
ACTIVITY_FEEDBACK: dict[int, list[str]] = {
    5: ["讲解很实用，回去就按要求准备申报材料。", "政策讲得很透，现场答疑解决了我们的问题。", ""],
    4: ["内容不错，希望会后发一份资料。", "时间有点紧，答疑环节可以长一些。", ""],
    3: ["部分内容和去年差不多。"],
}

#: the Chunhu group's services: (member department, service, description)
GROUP_SERVICES: list[tuple[str, str, str]] = [
    ("奉化区发展和改革局", "项目审批", "企业投资项目备案、核准全程代办，并联审批"),
    ("莼湖司法所", "法律维权", "合同纠纷、欠款追讨的法律咨询和维权指导"),
    ("莼湖街道人民调解委员会", "劳资纠纷调处", "劳动争议、工伤纠纷就地调解，问题不出街道"),
    ("奉化区人民法院莼湖法庭", "诉前调解", "商事纠纷诉前调解和司法确认"),
    ("莼湖供电所", "用电报装", "新装、增容用电报装上门服务"),
    ("莼湖自然资源和规划所", "用地规划", "工业用地选址、规划许可咨询"),
    ("莼湖税务分局", "涉税服务", "税收优惠政策辅导和退税办理"),
    ("莼湖街道人力社保服务中心", "招工用工", "招聘对接、社保办理和技能培训补贴"),
]
#: service → (topic, description, reply)
GROUP_REQUEST_TEXTS: dict[str, list[tuple[str, str, str]]] = {
    "项目审批": [
        (
            "新厂房项目备案材料咨询",
            "计划新建一幢5000平方米厂房，项目备案需要哪些材料？",
            "已指导企业在线完成项目备案，并联办理规划和施工许可。",
        ),
        (
            "技改项目核准进度慢",
            "技改项目核准已提交一个月，请协调加快。",
            "已协调相关科室联合审查，核准文件已出具。",
        ),
    ],
    "法律维权": [
        (
            "外地客户拖欠货款",
            "外地客户拖欠货款60余万元，多次催讨无果，请求法律帮助。",
            "司法所律师出具律师函，对方已分期归还欠款。",
        ),
        (
            "合同条款被对方单方变更",
            "供应商单方面提高原材料价格，不按合同履行，请求法律指导。",
            "已提供法律意见，双方在调解下按原合同履行。",
        ),
    ],
    "劳资纠纷调处": [
        (
            "员工工伤赔偿纠纷",
            "员工在车间受伤，双方对赔偿金额分歧较大，请求调解。",
            "经调解委员会调解，双方达成赔偿协议，当场履行。",
        ),
        (
            "离职员工讨要加班费",
            "三名离职员工要求补发加班费，希望调解处理。",
            "核实考勤后，企业补发加班费，双方签订调解协议。",
        ),
    ],
    "诉前调解": [
        (
            "买卖合同纠纷诉前调解",
            "与下游客户的买卖合同纠纷，希望先行调解。",
            "法庭组织诉前调解，双方达成协议并申请司法确认。",
        ),
    ],
    "用电报装": [
        (
            "新厂房用电报装",
            "新厂房即将投产，需新装一台800千伏安变压器。",
            "供电所上门勘查，已完成接电。",
        ),
        (
            "用电增容申请",
            "新增注塑机需要增容，请协调尽快办理。",
            "增容方案已确定，两周内完成接电。",
        ),
    ],
    "用地规划": [
        (
            "厂区加层改造规划咨询",
            "想在现有厂房上加层，规划上是否允许？",
            "已出具规划条件，企业可按“零土地”技改办理。",
        ),
    ],
    "涉税服务": [
        (
            "留抵退税办理咨询",
            "企业有较大留抵税额，想了解退税条件和办理流程。",
            "税务分局已辅导企业提交申请，退税款已到账。",
        ),
    ],
    "招工用工": [
        (
            "急招普工30名",
            "订单增加，急需普工30名，希望帮助对接。",
            "已组织专场招聘会并对接外地劳务站，28人已到岗。",
        ),
        (
            "技能培训补贴申领",
            "员工参加焊工培训取得证书，如何申领补贴？",
            "已指导企业在线申领，补贴已发放。",
        ),
    ],
}
GROUP_REQUESTS_SOLVED = 23
GROUP_REQUESTS_OPEN = 3
GROUP_REQUESTS_CLOSED = 1
GROUP_REQUEST_DAYS = 730
GROUP_CLOSE_REASON = "企业已通过其他途径解决，申请关闭。"

OBSERVER_ROUTINE = [
    "今天的检查很规范。",
    "今天市场监管所来厂检查，出示了执法证件，检查很规范。",
    "管家本月按时上门走访，讲解政策很耐心，没有任何吃拿卡要。",
    "消防检查人员按规定检查，没有接受企业招待。",
    "税务专员上门辅导加计扣除申报，服务很到位。",
    "参加了社区企业座谈会，企业反映的问题当场有回应。",
    "管家帮助企业对接了招工渠道，全程没有收取任何费用。",
]
OBSERVER_CONCERNS = [
    "有自称环保第三方的人员上门推销检测服务，称不做会影响年检，请核实是否与部门有关。",
    "检查人员在检查时多次提到某家消防器材公司，让人感觉是在推荐指定商家。",
]
OBSERVER_FEEDBACK_ROUTINE = 12
OBSERVER_FEEDBACK_DAYS = 180
