"""The synthetic dataset as plain rows, computed from a seed without touching the database.

``generate(seed)`` is a pure function: the same seed gives the same codes, names and phone
numbers, row for row. ``loader.load`` writes what it returns.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from qinqing.accounts.models import Role
from qinqing.common.uscc import ALPHABET, check_character
from qinqing.directory.models import RegionLevel

from . import data


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: int
    parent: str | None  # the parent's code
    is_industrial: bool = False


@dataclass(frozen=True)
class FirmRow:
    uscc: str
    name: str
    legal_representative: str
    industry_section: str
    above_scale: bool
    employees: int
    address: str
    grid: str  # the grid's code
    contact_phone: str


@dataclass(frozen=True)
class PersonRow:
    """A generated user with one role, scoped to a region (by code) or a firm (by USCC)."""

    username: str
    display_name: str
    phone: str
    title: str
    role: str
    region: str | None = None
    firm: str | None = None


@dataclass(frozen=True)
class DepartmentRow:
    name: str
    kind: str
    region: str  # code


@dataclass(frozen=True)
class MembershipRow:
    firm: str  # USCC
    position: str
    joined_on: date


@dataclass(frozen=True)
class ChamberRow:
    name: str
    region: str  # code
    members: tuple[MembershipRow, ...]


@dataclass(frozen=True)
class PairingRow:
    official: str  # username
    firm: str  # USCC
    started_on: date


@dataclass
class DemoPlan:
    seed: int
    regions: list[RegionRow] = field(default_factory=list)
    firms: list[FirmRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    departments: list[DepartmentRow] = field(default_factory=list)
    #: (region code, department name) of each member of the Chunhu service group
    service_group: list[tuple[str, str]] = field(default_factory=list)
    chambers: list[ChamberRow] = field(default_factory=list)
    pairings: list[PairingRow] = field(default_factory=list)
    #: demo username → USCC of the firm their role is scoped to (王丽, 林涛)
    account_firms: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict, repr=False)

    def code_of(self, name: str) -> str:
        """The code of the region called ``name`` (names are unique in the dataset)."""
        if not self.codes:
            self.codes = {r.name: r.code for r in self.regions}
        return self.codes[name]


def stem(town: str) -> str:
    """古林镇 → 古林, 大碶街道 → 大碶."""
    for suffix in ("街道", "镇", "乡"):
        if town.endswith(suffix):
            return town[: -len(suffix)]
    return town


def town_codes(district_code: str, towns: Iterable[str]) -> list[tuple[str, str]]:
    """Streets 001…, towns 101…, townships 201…, in the listed order."""
    counters = {"街道": 0, "镇": 100, "乡": 200}
    out = []
    for town in towns:
        kind = next(k for k in counters if town.endswith(k))
        counters[kind] += 1
        out.append((f"{district_code}{counters[kind]:03d}", town))
    return out


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.plan = DemoPlan(seed=seed)
        self.usccs: set[str] = set()
        self.firm_names: set[str] = set()
        self.phones: set[str] = {a.phone for a in data.DEMO_ACCOUNTS if a.phone}
        self.district_of: dict[str, tuple[str, str]] = {}  # town code → (district code, name)
        self.town_name: dict[str, str] = {}  # town code → name
        self.grids_of_town: dict[str, list[str]] = {}
        self.grid_town: dict[str, str] = {}
        self.observer_count = 0

    # --- small random things --------------------------------------------------------------
    def person_name(self) -> str:
        given = self.rng.choice(data.GIVEN_CHARS)
        if self.rng.random() < 0.7:
            given += self.rng.choice(data.GIVEN_CHARS)
        return self.rng.choice(data.SURNAMES) + given

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self) -> str:
        return f"0574-8{self.rng.randrange(10**7):07d}"

    def uscc(self, district_code: str) -> str:
        while True:
            if self.rng.random() < 0.75:  # registered since 2015: MA + 7
                org = "MA" + "".join(self.rng.choice(ALPHABET) for _ in range(7))
            else:  # an old 9-character organisation code
                org = "".join(self.rng.choice(ALPHABET) for _ in range(9))
            body = "91" + district_code + org
            code = body + check_character(body)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def firm_name(self, section: str, place: str, above_scale: bool) -> str:
        words = data.INDUSTRY_WORDS[section]
        while True:
            brand = "".join(self.rng.sample(data.BRAND_CHARS, 2))
            prefix = place if self.rng.random() < 0.5 else ""
            form = "股份有限公司" if above_scale and self.rng.random() < 0.3 else "有限公司"
            name = f"宁波{prefix}{brand}{self.rng.choice(words)}{form}"
            if name not in self.firm_names:
                self.firm_names.add(name)
                return name

    def section(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def address(self, grid: str) -> str:
        town_code = self.grid_town[grid]
        _, district = self.district_of[town_code]
        town = self.town_name[town_code]
        road = self.rng.choice([f"{stem(town)}路", f"{stem(town)}大道", *data.ROADS])
        return f"宁波市{district}{town}{road}{self.rng.randint(1, 888)}号"

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    # --- the region tree -----------------------------------------------------------------
    def regions(self) -> None:
        add = self.plan.regions.append
        add(RegionRow(data.CITY_CODE, data.CITY_NAME, RegionLevel.CITY, None))
        for district_code, district, towns in data.DISTRICTS:
            add(RegionRow(district_code, district, RegionLevel.DISTRICT, data.CITY_CODE))
            for town_code, town in town_codes(district_code, towns):
                add(RegionRow(town_code, town, RegionLevel.TOWN, district_code))
                self.district_of[town_code] = (district_code, district)
                self.town_name[town_code] = town
                self.grids_of_town[town_code] = []
                fixed = data.FIXED_COMMUNITIES.get(town)
                if fixed is None:
                    words = self.rng.sample(data.COMMUNITY_WORDS, 2)
                    fixed = [(f"{stem(town)}{w}社区", False, self.rng.randint(1, 2)) for w in words]
                for i, (community, industrial, grids) in enumerate(fixed, start=1):
                    community_code = f"{town_code}{i:03d}"
                    add(
                        RegionRow(
                            community_code, community, RegionLevel.COMMUNITY, town_code, industrial
                        )
                    )
                    for g in range(1, grids + 1):
                        grid_code = f"{community_code}G{g:02d}"
                        grid_name = f"{community}第{data.GRID_NUMERALS[g - 1]}网格"
                        add(RegionRow(grid_code, grid_name, RegionLevel.GRID, community_code))
                        self.grids_of_town[town_code].append(grid_code)
                        self.grid_town[grid_code] = town_code

    # --- firms -----------------------------------------------------------------------------
    def firm(
        self,
        grid: str,
        section: str,
        above_scale: bool,
        *,
        name: str = "",
        legal_representative: str = "",
        employees: int = 0,
    ) -> FirmRow:
        town_code = self.grid_town[grid]
        district_code, _ = self.district_of[town_code]
        place = stem(self.town_name[town_code])
        if not employees:
            employees = (
                self.rng.randint(80, 800)
                if above_scale
                else max(3, int(self.rng.lognormvariate(3.0, 0.7)))
            )
        if name:
            self.firm_names.add(name)
        row = FirmRow(
            uscc=self.uscc(district_code),
            name=name or self.firm_name(section, place, above_scale),
            legal_representative=legal_representative or self.person_name(),
            industry_section=section,
            above_scale=above_scale,
            employees=employees if above_scale else min(employees, 150),
            address=self.address(grid),
            grid=grid,
            contact_phone=self.mobile() if self.rng.random() < 0.6 else self.landline(),
        )
        self.plan.firms.append(row)
        return row

    def gulin(self) -> None:
        grids = self.grids_of_town[self.plan.code_of(data.GULIN)]
        sections = ["C"] + [
            self.section(data.GULIN_SECTION_WEIGHTS) for _ in range(data.GULIN_FIRMS - 1)
        ]
        manufacturers = [i for i, s in enumerate(sections) if s == "C" and i != 0]
        above = set(self.rng.sample(manufacturers, data.GULIN_ABOVE_SCALE))
        for i, section in enumerate(sections):
            grid = grids[i % len(grids)]
            if i == 0:  # 王丽's 40-person mould factory
                row = self.firm(
                    grid,
                    "C",
                    False,
                    name=data.WANGLI_FIRM_NAME,
                    legal_representative="王丽",
                    employees=40,
                )
                self.plan.account_firms["wangli"] = row.uscc
            else:
                self.firm(grid, section, i in above)

    def lingfeng(self) -> None:
        community = self.plan.code_of(data.LINGFENG)
        grids = [r.code for r in self.plan.regions if r.parent == community]
        for grid in grids:
            for _ in range(self.rng.randint(*data.LINGFENG_FIRMS_PER_GRID)):
                section = self.section(data.LINGFENG_SECTION_WEIGHTS)
                self.firm(grid, section, section == "C" and self.rng.random() < 0.1)
        first = next(f for f in self.plan.firms if f.grid == grids[0] and f.industry_section == "C")
        self.plan.account_firms["lintao"] = first.uscc

    def other_towns(self) -> None:
        skip = {self.plan.code_of(data.GULIN)}
        lingfeng = self.plan.code_of(data.LINGFENG)
        for town_code, grids in self.grids_of_town.items():
            if town_code in skip:
                continue
            grids = [g for g in grids if not g.startswith(lingfeng)]
            count = self.rng.randint(*data.OTHER_TOWN_FIRMS)
            for i in range(count):
                grid = grids[i] if i < len(grids) else self.rng.choice(grids)
                section = self.section(data.SECTION_WEIGHTS)
                self.firm(grid, section, section == "C" and self.rng.random() < 0.08)

    # --- people ------------------------------------------------------------------------------
    def stewards(self) -> None:
        chengang_grid = next(a.region for a in data.DEMO_ACCOUNTS if a.username == "chengang")
        gulin = self.plan.code_of(data.GULIN)
        for region in self.plan.regions:
            if region.level != RegionLevel.GRID or region.name == chengang_grid:
                continue
            title = "服务专员" if self.grid_town[region.code] == gulin else "网格管家"
            self.plan.people.append(
                PersonRow(
                    username=f"steward_{region.code}",
                    display_name=self.person_name(),
                    phone=self.mobile(),
                    title=title,
                    role=Role.STEWARD,
                    region=region.code,
                )
            )

    def observers(self) -> None:
        lingfeng = self.plan.code_of(data.LINGFENG)
        lintao_firm = self.plan.account_firms["lintao"]
        titles = ["办公室主任", "行政主管", "财务经理", "生产主管", "人事专员", "工会主席"]
        for firm in self.plan.firms:
            if not firm.grid.startswith(lingfeng):
                continue
            count = self.rng.randint(*data.OBSERVERS_PER_FIRM)
            if firm.uscc == lintao_firm:
                count -= 1  # 林涛 is one of this firm's observers
            for _ in range(count):
                self.observer_count += 1
                self.plan.people.append(
                    PersonRow(
                        username=f"observer_{self.observer_count:04d}",
                        display_name=self.person_name(),
                        phone=self.mobile(),
                        title=self.rng.choice(titles),
                        role=Role.OBSERVER,
                        firm=firm.uscc,
                    )
                )

    def officials_and_pairings(self) -> None:
        started = (date(2024, 1, 1), date(2025, 12, 31))
        haishu = self.plan.code_of("海曙区")
        gulin = self.plan.code_of(data.GULIN)
        key_firms = [f for f in self.plan.firms if f.above_scale and f.grid.startswith(gulin)]
        for firm in self.rng.sample(key_firms, data.PAIRINGS_PER_OFFICIAL - 1):
            self.plan.pairings.append(PairingRow("liujianguo", firm.uscc, self.day(*started)))
        others = [
            f
            for f in self.plan.firms
            if f.grid.startswith(haishu)
            and not f.grid.startswith(gulin)
            and f.industry_section == "C"
        ]
        firm = self.rng.choice(others)
        self.plan.pairings.append(PairingRow("liujianguo", firm.uscc, self.day(*started)))
        for username, title, district, count in data.EXTRA_OFFICIALS:
            code = self.plan.code_of(district)
            self.plan.people.append(
                PersonRow(
                    username=username,
                    display_name=self.person_name(),
                    phone=self.mobile(),
                    title=title,
                    role=Role.OFFICIAL,
                    region=code,
                )
            )
            firms = [f for f in self.plan.firms if f.grid.startswith(code)]
            firms.sort(key=lambda f: (not f.above_scale, f.uscc))
            for firm in firms[:count]:
                self.plan.pairings.append(PairingRow(username, firm.uscc, self.day(*started)))

    # --- departments, the service group, chambers ---------------------------------------------
    def departments(self) -> None:
        for district_code, district, _ in data.DISTRICTS:
            for name, kind in data.district_departments(district):
                self.plan.departments.append(DepartmentRow(name, kind, district_code))
        fenghua = self.plan.code_of("奉化区")
        chunhu = self.plan.code_of(data.CHUNHU)
        members = [(fenghua, name) for name, _ in data.district_departments("奉化区")]
        for region, rows in (
            (fenghua, data.CHUNHU_DISTRICT_MEMBERS),
            (chunhu, data.CHUNHU_LOCAL_MEMBERS),
        ):
            for name, kind in rows:
                self.plan.departments.append(DepartmentRow(name, kind, region))
                members.append((region, name))
        assert len(members) == data.CHUNHU_GROUP_SIZE
        self.plan.service_group = members

    def chambers(self) -> None:
        for name, region_name, size in data.CHAMBERS:
            code = self.plan.code_of(region_name)
            firms = [f for f in self.plan.firms if f.grid.startswith(code)]
            firms.sort(key=lambda f: (not f.above_scale, f.uscc))
            leaders = firms[: len(data.CHAMBER_POSITIONS)]
            rest = self.rng.sample(firms[len(leaders) :], size - len(leaders))
            wangli = self.plan.account_firms["wangli"]
            if region_name == data.GULIN and all(f.uscc != wangli for f in rest):
                rest[-1] = next(f for f in firms if f.uscc == wangli)
            members = [
                MembershipRow(
                    f.uscc,
                    data.CHAMBER_POSITIONS[i] if i < len(leaders) else "会员",
                    self.day(date(2018, 6, 1), date(2025, 12, 31)),
                )
                for i, f in enumerate([*leaders, *rest])
            ]
            self.plan.chambers.append(ChamberRow(name, code, tuple(members)))

    def run(self) -> DemoPlan:
        self.regions()
        self.gulin()
        self.lingfeng()
        self.other_towns()
        self.stewards()
        self.observers()
        self.departments()
        self.officials_and_pairings()
        self.chambers()
        return self.plan


def generate(seed: int = data.DEFAULT_SEED) -> DemoPlan:
    """The whole dataset for ``seed``; the same seed gives the same rows."""
    return _Generator(seed).run()


__all__ = [
    "ChamberRow",
    "DemoPlan",
    "DepartmentRow",
    "FirmRow",
    "MembershipRow",
    "PairingRow",
    "PersonRow",
    "RegionRow",
    "generate",
]
