from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core.masking import (
    looks_like_id_number,
    looks_like_phone,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    mask_value,
)

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
id_numbers = st.from_regex(r"\A[1-8][0-9]{16}[0-9X]\Z", fullmatch=True)


def test_id_number_mask_keeps_region_and_check_digit():
    assert mask_id_number("420102199001011234") == "420102***********4"


def test_phone_mask_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_name_mask_keeps_the_surname():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳修远") == "欧**远"


@given(id_numbers)
def test_masked_id_number_hides_birth_date_and_sequence(number):
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked[6:17] == "*" * 11
    assert masked[:6] == number[:6] and masked[-1:] == number[-1:]


@given(digits)
def test_masked_phone_hides_the_middle_four(phone):
    masked = mask_phone(phone)
    assert masked[3:7] == "****"
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:]


@given(st.text(max_size=7))
def test_short_values_are_never_shown_whole(value):
    masked = mask_phone(value)
    if len(value) > 1:
        assert masked != value or set(value[1:]) == {"*"}


@given(id_numbers, st.sampled_from(["", " ", "-"]), st.sampled_from(["核实", "id:", "(", "x "]))
def test_an_id_number_inside_text_is_masked_whatever_its_separators(number, sep, before):
    text = f"{before}{number[:6]}{sep}{number[6:14]}{sep}{number[14:]} 户籍"
    masked = mask_text(text)
    assert number[6:14] not in masked
    assert masked.startswith(before) and masked.endswith(" 户籍")


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z", fullmatch=True), st.sampled_from(["", "+86", "86 "]))
def test_a_mobile_number_inside_text_is_masked(phone, prefix):
    masked = mask_text(f"电话{prefix}{phone}。")
    assert phone not in masked
    assert masked.endswith(f"{phone[:3]}****{phone[-4:]}。")


def test_text_without_personal_values_is_left_alone():
    for text in ("", "第3网格 12栋 301室", "sha256:4201021990010112341234abcd", "2026-12-05"):
        assert mask_text(text) == text


# --- values that look like ID numbers or mobile numbers, in any text -----------------------


def test_an_id_number_anywhere_in_a_text_is_masked():
    text = "户主身份证号：420102199001011234，备注"
    assert mask_text(text) == "户主身份证号：420102***********4，备注"


def test_an_id_number_ending_in_x_and_an_old_15_digit_one_are_masked():
    assert mask_text("42010219900101123X") == "420102***********X"
    assert mask_text("42010219900101123x") == "420102***********x"
    assert mask_text("old 420102900101123 id") == "old 420102********3 id"


def test_mobile_numbers_are_masked_with_prefix_or_separators():
    assert mask_text("紧急联系人 13812345678") == "紧急联系人 138****5678"
    assert mask_text("+8613812345678") == "+86138****5678"
    assert mask_text("86 13812345678") == "86 138****5678"
    assert mask_text("138-1234-5678") == "138****5678"
    assert mask_text("tel 138 1234 5678.") == "tel 138****5678."
    assert mask_text("+86 138-1234-5678") == "+86 138****5678"


def test_full_width_digits_are_masked_too():
    assert "12345678" not in mask_text("１３８１２３４５６７８").translate(
        str.maketrans("０１２３４５６７８９", "0123456789")
    )
    assert mask_text("１３８１２３４５６７８") == "138****5678"


def test_other_numbers_and_text_stay_as_they_are():
    for text in ("3栋 2单元 301室", "2024-03-01", "12345678901", "1381234567", "订单 123456", ""):
        assert mask_text(text) == text
    # A longer run of digits is not a phone inside it.
    assert mask_text("138123456789") == "138123456789"


def test_looks_like_detectors_judge_the_whole_value():
    assert looks_like_id_number(" 420102199001011234 ")
    assert looks_like_id_number("420102900101123")
    assert not looks_like_id_number("ID 420102199001011234")
    assert looks_like_phone("13812345678") and looks_like_phone("+86 138-1234-5678")
    assert not looks_like_phone("12812345678") and not looks_like_phone("0716-1234567")


def test_mask_value_masks_numbers_stored_as_numbers():
    assert mask_value(13812345678) == "138****5678"
    assert mask_value(13812345678.0) == "138****5678"
    # Excel keeps 15 digits of a number: what is left of the ID number is still masked.
    assert mask_value(4.20102199001011e17) == "420102***********8"
    assert mask_value(301) == 301 and mask_value(None) is None and mask_value(True) is True
    assert mask_value("赵六") == "赵六"


@given(st.from_regex(r"\A[1-8][0-9]{16}[0-9X]\Z", fullmatch=True))
def test_no_id_number_survives_mask_text(number):
    assert mask_text(f"a{number}b") == f"a{mask_id_number(number)}b"


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z", fullmatch=True), st.sampled_from(["", "+86", "86 "]))
def test_no_mobile_number_survives_mask_text(phone, prefix):
    assert mask_text(f"电话{prefix}{phone}。") == f"电话{prefix}{mask_phone(phone)}。"
