import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core import clock, identity
from gongzhi.core.identity import (
    FEMALE,
    MALE,
    id_check_digit,
    normalize_name,
    normalize_phone,
    parse_resident_id,
)

# Division codes known to GB/T 2260 (Songzi, Zhengzhou Zhongyuan, Hefei Yaohai, Beijing Dongcheng).
DIVISIONS = ["421087", "410102", "340102", "110101"]


def build(division: str, birth: dt.date, order: int) -> str:
    first17 = f"{division}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


valid_ids = st.builds(
    build,
    st.sampled_from(DIVISIONS),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


@given(valid_ids)
def test_every_well_formed_id_number_is_accepted_and_decoded(number):
    rid = parse_resident_id(number)
    assert rid.number == number
    assert rid.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert rid.gender == (MALE if int(number[16]) % 2 else FEMALE)
    assert rid.division_code == number[:6]


@given(valid_ids, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_any_one_digit_breaks_the_check(number, position, delta):
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        parse_resident_id(changed)


@given(valid_ids)
def test_lower_case_x_and_full_width_digits_are_normalised(number):
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in number)
    assert parse_resident_id(full_width).number == number


def _code(number: str) -> str:
    try:
        parse_resident_id(number)
    except ValidationError as exc:
        return exc.code
    return "ok"


def test_wrong_length_is_named():
    assert _code("42108719800517001") == "length"


def test_letters_in_the_body_are_a_format_error():
    assert _code("4210871980051700AX") == "format"


def test_wrong_check_digit_is_named():
    number = build("421087", dt.date(1980, 5, 17), 1)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert _code(wrong) == "checksum"


def test_impossible_birth_date_is_named():
    first17 = "42108719800230001"  # 30 February
    assert _code(first17 + id_check_digit(first17)) == "birth_date"


def test_future_birth_date_is_refused():
    future = clock.today() + dt.timedelta(days=30)
    assert _code(build("421087", future, 1)) == "birth_date"


def test_digits_of_other_scripts_are_refused():
    # NFKC keeps Arabic-Indic digits as they are, and str.isdigit() accepts them.
    number = build("421087", dt.date(1980, 5, 17), 1)
    other = number[:6] + "".join(chr(0x0660 + int(c)) for c in number[6:14]) + number[14:]
    assert _code(other) == "format"
    with pytest.raises(ValueError):
        id_check_digit(other[:17])


def test_birth_date_is_checked_against_the_given_day():
    number = build("421087", dt.date(2020, 5, 17), 1)
    assert identity.parse_resident_id(number, today=dt.date(2020, 5, 17)).gender == "male"
    with pytest.raises(ValidationError) as caught:
        identity.parse_resident_id(number, today=dt.date(2020, 5, 16))
    assert caught.value.code == "birth_date"


def test_unknown_division_code_is_named():
    assert _code(build("999999", dt.date(1980, 5, 17), 1)) == "division"


def test_error_message_names_the_rule_in_chinese_by_default():
    from django.utils import translation

    number = build("421087", dt.date(1980, 5, 17), 1)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as info:
        parse_resident_id(wrong)
    chinese = str(info.value.messages[0])
    with translation.override("en"):
        english = str(info.value.messages[0])
    assert "check digit" in english
    assert "校验" in chinese


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0716-6234567", "07166234567"),
    ],
)
def test_phone_numbers_are_normalised(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "1381234567", "23812345678", "phone", "+1 202 555 0143"])
def test_malformed_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


@pytest.mark.parametrize("raw", ["张三", "阿卜杜拉·买买提", "Li Wei", "  王  小 明 "])
def test_real_names_are_accepted(raw):
    assert normalize_name(raw)


@pytest.mark.parametrize("raw", ["<script>alert(1)</script>", "张三<b>", "", "名" * 41, "张三1"])
def test_names_with_markup_digits_or_oversize_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_name(raw)
