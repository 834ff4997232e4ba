"""Item names: normalising, a small synonym list, and a simple text similarity.

``normalise("一次性 医用口罩")`` gives ``"口罩"``: the text is folded (NFKC, lower case, no
spaces or punctuation), then looked up in :data:`SYNONYMS`. Two names that fold to the same
key are the same item (score 1.0); otherwise their similarity is the ``difflib`` ratio of the
folded texts, raised to 0.8 when one contains the other (普工 ⊂ 电子厂普工).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

#: canonical key → other names of the same item
SYNONYMS: dict[str, tuple[str, ...]] = {
    "口罩": (
        "医用口罩",
        "一次性口罩",
        "一次性医用口罩",
        "医用外科口罩",
        "外科口罩",
        "防护口罩",
        "kn95口罩",
        "n95口罩",
        "kn95",
        "n95",
    ),
    "消毒液": ("84消毒液", "消毒水", "含氯消毒液", "次氯酸消毒液", "消毒剂"),
    "酒精": ("医用酒精", "75%酒精", "75酒精", "乙醇", "酒精消毒液"),
    "防护服": ("医用防护服", "隔离衣", "一次性防护服"),
    "手套": ("一次性手套", "医用手套", "乳胶手套", "丁腈手套"),
    "测温枪": ("额温枪", "体温枪", "红外测温仪", "测温仪"),
    "护目镜": ("防护眼镜", "防护面屏", "面屏"),
    "普工": ("操作工", "普通工人", "流水线工人", "生产工人", "普通工"),
    "缝纫工": ("车工", "平车工", "缝纫机工"),
    "电焊工": ("焊工", "电焊"),
    "叉车司机": ("叉车工", "叉车"),
    "注塑工": ("注塑机操作工", "注塑"),
}

#: similarity at or above which two different items are still suggested
MIN_SIMILARITY = 0.6

_PUNCTUATION = re.compile(r"[\s\-_/·・,，.。、:：;；()（）\[\]【】\"'“”‘’]+")
_LOOKUP = {
    **{key: key for key in SYNONYMS},
    **{name: key for key, names in SYNONYMS.items() for name in names},
}


def fold(text: str) -> str:
    """Width- and case-folded text without spaces or punctuation."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text or "").lower())


def normalise(text: str) -> str:
    """The item key of a name: its synonym group's key, else the folded name."""
    folded = fold(text)
    return _LOOKUP.get(folded, folded)[:64]


def similarity(a: str, b: str) -> float:
    """1.0 for the same item key; else the text similarity of the folded names (0–1)."""
    key_a, key_b = normalise(a), normalise(b)
    if not key_a or not key_b:
        return 0.0
    if key_a == key_b:
        return 1.0
    ratio = SequenceMatcher(None, key_a, key_b).ratio()
    if key_a in key_b or key_b in key_a:
        ratio = max(ratio, 0.8)
    return round(min(ratio, 0.99), 2)
