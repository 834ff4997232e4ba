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
    DemoAccount("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, title="系统管理员"),
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
