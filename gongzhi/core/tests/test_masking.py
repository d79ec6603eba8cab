from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core.masking import mask_id_number, mask_in_text, mask_name, mask_phone

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
id_numbers = st.from_regex(r"\A[1-8]\d{16}[\dX]\Z", fullmatch=True)


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
    masked = mask_in_text(text)
    assert number[6:14] not in masked
    assert masked.startswith(before) and masked.endswith(" 户籍")


@given(st.from_regex(r"\A1[3-9]\d{9}\Z", fullmatch=True), st.sampled_from(["", "+86", "86 "]))
def test_a_mobile_number_inside_text_is_masked(phone, prefix):
    masked = mask_in_text(f"电话{prefix}{phone}。")
    assert phone not in masked
    assert masked.endswith(f"{phone[:3]}****{phone[-4:]}。")


def test_text_without_personal_values_is_left_alone():
    for text in ("", "第3网格 12栋 301室", "sha256:4201021990010112341234abcd", "2026-12-05"):
        assert mask_in_text(text) == text
