from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core.masking import mask_id_number, mask_name, mask_phone

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
id_numbers = st.from_regex(r"\A[1-8]\d{16}[\dX]\Z", fullmatch=True)


def test_id_number_mask_keeps_region_and_last_four():
    assert mask_id_number("420102199001011234") == "420102********1234"


def test_phone_mask_keeps_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"


def test_name_mask_keeps_the_surname():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳修远") == "欧**远"


@given(id_numbers)
def test_masked_id_number_never_shows_the_birth_date(number):
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked[6:14] == "********"
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]


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
