from qinqing.common.masking import mask_name, mask_phone


def test_a_mobile_number_keeps_its_first_three_and_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_an_empty_phone_stays_empty_and_a_short_one_is_hidden_whole() -> None:
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*****"


def test_a_name_keeps_only_its_family_name() -> None:
    assert mask_name("王丽") == "王*"
