import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from gongzhi.core.crypto import blind_index
from gongzhi.health import parsing
from gongzhi.testing import make_id_number

HEADER = ["姓名", "身份证号码（必填）", "联系电话", "来源地", "到达日期", "现居住地址", "备注"]


def columns(header=HEADER):
    return parsing.map_columns(header)


def test_columns_are_recognised_by_their_usual_names_and_remarks_are_ignored():
    mapped = columns()
    assert mapped.fields == {
        "name": 0,
        "id_number": 1,
        "phone": 2,
        "origin": 3,
        "arrival_date": 4,
        "address": 5,
    }
    assert mapped.ignored == ["备注"]


def test_a_list_with_neither_id_nor_phone_column_is_refused_on_file():
    with pytest.raises(ValidationError) as info:
        parsing.map_columns(["姓名", "来源地", "到达日期"])
    error = info.value.error_dict["file"][0]
    assert error.code == "no_identifier"


def test_a_phone_column_alone_is_enough():
    assert parsing.map_columns(["手机号码", "姓名"]).fields == {"phone": 0, "name": 1}


def row(values, header=HEADER):
    return parsing.parse_row(2, values, columns(header))


def test_id_with_lower_case_x_and_full_width_digits_is_normalised_and_indexed():
    number = make_id_number(seq=3)
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number[:17]) + (
        number[17].lower()
    )
    parsed = row(["张三", typed, "", "", "", "", ""])
    assert parsed.id_number == number
    assert parsed.id_index == blind_index(number, "person.id_number")
    assert parsed.birth_date == dt.date(1980, 5, 17)
    assert parsed.problems == {}


def test_an_id_with_a_wrong_check_digit_is_a_problem_of_the_row():
    number = make_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    parsed = row(["张三", wrong, "13912345678", "", "", "", ""])
    assert parsed.id_index == ""
    assert "id_number" in parsed.problems
    assert parsed.phone_index  # the row can still be matched by phone


def test_an_id_that_excel_turned_into_a_number_is_named_as_such():
    with translation.override("en"):
        parsed = row(["张三", 421087198005170036, "", "", "", "", ""])
    assert "15 digits" in parsed.problems["id_number"][0]


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2022, 3, 14),
        dt.datetime(2022, 3, 14, 8, 30),
        44634,  # Excel serial
        "44634",
        "2022-03-14",
        "2022/3/14",
        "2022.03.14",
        "2022年3月14日",
        "20220314",
        20220314,
    ],
)
def test_arrival_dates_as_dates_serials_or_text(value):
    assert row(["张三", "", "13912345678", "", value, "", ""]).arrival_date == dt.date(2022, 3, 14)


def test_a_date_that_is_not_one_is_a_problem():
    parsed = row(["张三", "", "13912345678", "", "下周一", "", ""])
    assert parsed.arrival_date is None
    assert "arrival_date" in parsed.problems


def test_full_width_phone_with_spaces_and_dashes_is_normalised():
    parsed = row(["张三", "", "１３９ 1234-5678", "", "", "", ""])
    assert parsed.phone == "13912345678"
    assert parsed.phone_index == blind_index("13912345678", "person.phone")


def test_a_formula_in_a_name_is_refused_and_in_an_address_kept_as_text():
    parsed = row(['=HYPERLINK("x")', "", "13912345678", "", "", "=1+2", ""])
    assert parsed.name == ""
    assert "name" in parsed.problems
    assert parsed.address == "=1+2"  # exports neutralise it (core.tabular.safe_cell)


def test_overlong_text_is_cut_and_noted():
    parsed = row(["张三", "", "13912345678", "", "", "地" * 250, ""])
    assert len(parsed.address) == 200
    assert "address" in parsed.problems


def test_a_row_without_anything_usable_says_so():
    parsed = row(["", "", "", "武汉", "", "", ""])
    assert "__all__" in parsed.problems


def test_a_repeated_id_number_is_noted_on_the_later_row():
    number = make_id_number()
    rows = parsing.parse_rows(
        [(2, ["张三", number, "", "", "", "", ""]), (3, ["张三", number, "", "", "", "", ""])],
        columns(),
    )
    assert rows[0].problems == {}
    assert "row 2" in rows[1].problems["id_number"][0] or "2" in rows[1].problems["id_number"][0]
