"""Anonymisation of a decision before it is published as a case.

Two passes (docs/exemption.md, "Anonymisation"):
1. every identifier the platform knows about the case is replaced literally, longest first:
   names of the people involved (applicant, filer, assessor, reviewers, the firm's legal
   representative), firm names, departments, USCCs, phone numbers, readable case numbers and
   the names of places below the district;
2. patterns catch what nobody typed into a field: 18-character USCCs, 18-digit ID numbers,
   mobile and landline numbers, e-mail addresses, readable case numbers.

The replacement runs until the text no longer changes. ``leaks`` scans a text for every
known identifier and every pattern; publishing refuses a text with leaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Application

PERSON = "〔人员{}〕"
FIRM = "〔企业{}〕"
UNIT = "〔单位{}〕"
PLACE = "〔某地〕"
USCC = "〔统一社会信用代码〕"
ID_NUMBER = "〔身份证号〕"
PHONE = "〔电话〕"
EMAIL = "〔电子邮箱〕"
NUMBER = "〔编号〕"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
USCC_RE = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}"
    r"(?![0-9A-Za-z])"
)
MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
NUMBER_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:SQ|RC|AL|TJ|JB|BB)-\d{4}-\d{4,8}(?![0-9A-Za-z])", re.IGNORECASE
)
PATTERNS = [
    (EMAIL_RE, EMAIL),
    (NUMBER_RE, NUMBER),
    (ID_RE, ID_NUMBER),
    (USCC_RE, USCC),
    (MOBILE_RE, PHONE),
    (LANDLINE_RE, PHONE),
]


@dataclass
class Identifiers:
    people: list[str] = field(default_factory=list)
    firms: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return [
            *self.people,
            *self.firms,
            *self.units,
            *self.places,
            *self.codes,
            *self.phones,
            *self.numbers,
        ]


def _add(target: list[str], value: Any, minimum: int = 2) -> None:
    text = str(value or "").strip()
    if len(text) >= minimum and text not in target:
        target.append(text)


def add_person(ids: Identifiers, user: Any) -> None:
    if user is None:
        return
    _add(ids.people, getattr(user, "display_name", ""))
    full = f"{getattr(user, 'last_name', '')}{getattr(user, 'first_name', '')}"
    _add(ids.people, full)
    _add(ids.phones, getattr(user, "phone", ""), 5)


def add_firm(ids: Identifiers, firm: Any) -> None:
    if firm is None:
        return
    _add(ids.firms, firm.name)
    _add(ids.people, firm.legal_representative)
    _add(ids.codes, firm.uscc)
    _add(ids.phones, firm.contact_phone, 5)
    _add(ids.places, firm.address, 4)


def identifiers_of(application: Application) -> Identifiers:
    """Everything the platform knows that names the case's people, firms and places."""
    from qinqing.directory.models import Enterprise, Region

    from .checks import firms_concerned

    ids = Identifiers()
    for user in (
        application.applicant,
        application.filed_by,
        application.accepted_by,
        application.assessor,
        application.signed_off_by,
        application.appeal_reviewer,
    ):
        add_person(ids, user)
    firms = Enterprise.objects.filter(pk__in=firms_concerned(application)).select_related("grid")
    paths = [application.region_path]
    for firm in firms:
        add_firm(ids, firm)
        paths.append(firm.grid.path)
    if application.department is not None:
        _add(ids.units, application.department.name)
    # places below the district: the town, community and grid (level ≥ 3) of applicant and firms
    codes = {c for p in paths for c in p.strip("/").split("/") if c}
    for name in Region.objects.filter(code__in=codes, level__gte=3).values_list("name", flat=True):
        _add(ids.places, name)
    _add(ids.numbers, application.number)
    if application.link_label:
        _add(ids.numbers, application.link_label, 4)
    return ids


def _replace_known(text: str, ids: Identifiers) -> str:
    labels: dict[str, str] = {}
    for i, name in enumerate(ids.people):
        labels.setdefault(name, PERSON.format(LETTERS[i % len(LETTERS)]))
    for i, name in enumerate(ids.firms):
        labels.setdefault(name, FIRM.format(LETTERS[i % len(LETTERS)]))
    for i, name in enumerate(ids.units):
        labels.setdefault(name, UNIT.format(LETTERS[i % len(LETTERS)]))
    for name in ids.places:
        labels.setdefault(name, PLACE)
    for code in ids.codes:
        labels.setdefault(code, USCC)
    for phone in ids.phones:
        labels.setdefault(phone, PHONE)
    for number in ids.numbers:
        labels.setdefault(number, NUMBER)
    for value in sorted(labels, key=len, reverse=True):
        text = text.replace(value, labels[value])
        if value.isascii():  # codes typed in lower case
            text = re.sub(re.escape(value), labels[value], text, flags=re.IGNORECASE)
    return text


def _replace_patterns(text: str) -> str:
    for pattern, label in PATTERNS:
        text = pattern.sub(label, text)
    return text


def anonymise(text: str, ids: Identifiers) -> str:
    """``text`` with every known identifier and every identifier-shaped string replaced."""
    for _round in range(8):
        changed = _replace_patterns(_replace_known(text, ids))
        if changed == text:
            break
        text = changed
    return text


def leaks(text: str, ids: Identifiers) -> list[str]:
    """The identifiers still in ``text``: known values, then pattern matches."""
    found = [v for v in ids.all() if v in text or (v.isascii() and v.lower() in text.lower())]
    for pattern, _label in PATTERNS:
        found += [m.group(0) for m in pattern.finditer(text)]
    return list(dict.fromkeys(found))
