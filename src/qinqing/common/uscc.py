"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters: registration authority (1), entity type (1), region code (6),
organisation code (9), check character (1). The alphabet is the digits and the capital
letters without I, O, Z, S and V; the check character is chosen so that the weighted sum
over the first 17 characters (weights 3**i mod 31) plus the check value is 0 modulo 31.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
LENGTH = 18
FORBIDDEN_LETTERS = set("IOZSV")


def check_character(body: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(body) != LENGTH - 1 or any(ch not in VALUES for ch in body):
        raise ValueError("body must be 17 characters of the USCC alphabet")
    total = sum(VALUES[ch] * w for ch, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    return (code or "").strip().upper()


def uscc_error(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or None when it is."""
    code = normalize(code)
    if len(code) != LENGTH:
        return str(_("统一社会信用代码应为18位，当前为%(n)d位。") % {"n": len(code)})
    bad = sorted({ch for ch in code if ch in FORBIDDEN_LETTERS})
    if bad:
        return str(
            _("统一社会信用代码不得含字母 I、O、Z、S、V（发现：%(chars)s）。")
            % {"chars": "、".join(bad)}
        )
    other = sorted({ch for ch in code if ch not in VALUES})
    if other:
        return str(_("统一社会信用代码含非法字符：%(chars)s。") % {"chars": "、".join(other)})
    if check_character(code[:17]) != code[17]:
        return str(_("统一社会信用代码校验位错误。"))
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_error(code) is None


def validate_uscc(code: str) -> None:
    """Django validator."""
    error = uscc_error(code)
    if error:
        raise ValidationError(error, code="invalid_uscc")
