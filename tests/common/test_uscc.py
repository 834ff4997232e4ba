from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.common.uscc import ALPHABET, check_character, is_valid_uscc, uscc_error

# Published codes of real registrants (check characters per GB 32100-2015).
KNOWN_VALID = [
    "91350100M000100Y43",
    "91110108551385082Q",
    "91110000802100433B",
    "91440300708461136T",
]

bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_published_codes_are_accepted(code: str) -> None:
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", [c.lower() for c in KNOWN_VALID])
def test_lower_case_input_is_accepted_as_upper_case(code: str) -> None:
    assert is_valid_uscc(code)


@given(bodies)
def test_a_generated_code_with_its_check_character_is_valid(body: str) -> None:
    assert is_valid_uscc(body + check_character(body))


@given(bodies, st.sampled_from(ALPHABET))
def test_any_other_check_character_is_rejected(body: str, wrong: str) -> None:
    right = check_character(body)
    if wrong != right:
        assert uscc_error(body + wrong) == "统一社会信用代码校验位错误。"


@given(bodies, st.integers(min_value=0, max_value=16), st.sampled_from(ALPHABET))
def test_changing_one_character_is_caught(body: str, position: int, replacement: str) -> None:
    code = body + check_character(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert not is_valid_uscc(changed)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_letters_outside_the_alphabet_are_named(letter: str) -> None:
    code = "91350100M000100Y43"
    error = uscc_error(code[:10] + letter + code[11:])
    assert error is not None and letter in error


@pytest.mark.parametrize("code", ["", "9133020", "91350100M000100Y430", "91350100M000100Y4"])
def test_wrong_length_is_rejected_with_the_length(code: str) -> None:
    error = uscc_error(code)
    assert error is not None and "18位" in error and str(len(code)) in error
