"""Name and ID-number matching robust to real data; it proposes, a supervisor decides.

- ``name_key``: NFKC (full-width → half-width), traditional → simplified (zhconv), spaces,
  middle dots and other separators removed, Latin letters lower-cased.
- ``name_pinyin``: the key in toneless pinyin (pypinyin), so 张伟 and 章伟 share ``zhangwei``.
- ``similar``: same key, same pinyin, or one edit apart for names of three or more
  characters; returns a score and the reasons.
- ID-card numbers (GB 11643-1999): 18 characters, a valid birth date and the ISO 7064
  MOD 11-2 check character; compared exactly through a keyed hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from pypinyin import lazy_pinyin
from zhconv import convert

_SEPARATORS = re.compile(r"[\s·•・‧．.\-_'’`,，、]+")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "")
    text = convert(text, "zh-hans")
    return _SEPARATORS.sub("", text).lower()[:64]


def name_pinyin(name: str) -> str:
    return "".join(lazy_pinyin(name_key(name)))


def edit_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def similar(a: str, b: str) -> tuple[int, list[str]]:
    """(score 0–100, reasons). 0 means not a candidate."""
    if not a or not b:
        return 0, []
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0, []
    if ka == kb:
        reasons = ["same_name"] if a.strip() == b.strip() else ["normalised_name"]
        return (95 if a.strip() == b.strip() else 90), reasons
    if name_pinyin(a) == name_pinyin(b):
        return 75, ["same_pinyin"]
    if min(len(ka), len(kb)) >= 3 and edit_distance_at_most_one(ka, kb):
        return 60, ["one_character_apart"]
    return 0, []


REASON_LABELS = {
    "same_name": "姓名相同",
    "normalised_name": "繁简、全角或空格规范化后相同",
    "same_pinyin": "拼音相同",
    "one_character_apart": "仅一字之差",
}


# --- ID-card numbers ------------------------------------------------------------------------
def normalise_id(raw: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def valid_id(raw: str) -> bool:
    number = normalise_id(raw)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > dt.date.today():
        return False
    return id_check_char(number[:17]) == number[17]


def id_hash(raw: str) -> str:
    """A keyed hash: without the key, the hash cannot be reversed by trying every number."""
    key = getattr(settings, "RELATIONS_ID_KEY", "") or settings.SECRET_KEY
    digest = hmac.new(
        f"qinqing.relations.id:{key}".encode(), normalise_id(raw).encode(), hashlib.sha256
    )
    return digest.hexdigest()


def make_id(first17: str) -> str:
    """A valid number from its first 17 digits (demo data and tests)."""
    return first17 + id_check_char(first17)
