import io

import pytest
from openpyxl import load_workbook

from gongzhi.reports import filling
from gongzhi.reports.builtin import BUILTINS
from gongzhi.reports.tests.factories import department_workbook


def test_the_header_of_a_ready_made_template_is_its_third_row():
    layout = filling.analyse(BUILTINS["watchlist"].workbook())
    assert layout.header_row == 3
    assert [h["header"] for h in layout.headers][:3] == ["序号", "姓名", "性别"]


def test_a_two_row_header_with_merged_cells():
    layout = filling.analyse(department_workbook())
    assert layout.sheet == "老人名册"
    assert layout.header_row == 3
    assert [(h["letter"], h["header"]) for h in layout.headers] == [
        ("A", "序号"),
        ("B", "姓名"),
        ("C", "身份证号"),
        ("D", "联系方式/本人电话"),
        ("E", "联系方式/住址"),
        ("F", "出生日期"),
        ("G", "人员类别"),
    ]


def test_a_workbook_without_a_header_is_refused():
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "只有一个标题"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(filling.TemplateError) as info:
        filling.analyse(out.getvalue())
    assert info.value.code == "no_header"


def test_not_a_workbook_is_refused():
    with pytest.raises(filling.TemplateError) as info:
        filling.analyse(b"PK\x03\x04 broken")
    assert info.value.code == "malformed"


def filled(rows, placeholders=None):
    data, count = filling.fill(
        department_workbook(),
        sheet="老人名册",
        header_row=3,
        columns=[1, 2, 7],
        rows=[[filling.Cell(v) for v in row] for row in rows],
        placeholders=placeholders or {"区域": "玉岭社区", "日期": "2022年3月14日"},
    )
    return load_workbook(io.BytesIO(data)).active, count


def test_rows_are_written_under_the_header_with_the_first_rows_style():
    sheet, count = filled([[1, "张三", "独居老人"], [2, "李四", ""]])
    assert count == 2
    assert [sheet.cell(4, c).value for c in (1, 2, 7)] == [1, "张三", "独居老人"]
    assert sheet.cell(5, 2).value == "李四"
    assert sheet.cell(5, 2).font.bold  # B4's style, copied down


def test_the_footer_moves_below_the_data_with_its_merge():
    sheet, _count = filled([[i, f"人{i}", ""] for i in range(1, 6)])
    # Template: data row 4, one empty row, footer on row 6; five rows -> footer on row 10.
    assert sheet["A10"].value == "填表人：　　审核人："
    assert "A10:G10" in {str(m) for m in sheet.merged_cells.ranges}
    assert sheet["A6"].value == 3  # a data row now


def test_placeholders_are_replaced_outside_the_data():
    sheet, _count = filled([[1, "{区域}", ""]])
    assert sheet["A1"].value == "玉岭社区高龄老人名册（2022年3月14日）"
    assert sheet["B4"].value == "{区域}"  # data is written as given


def test_text_that_excel_would_run_is_neutralised():
    sheet, _count = filled([[1, '=HYPERLINK("http://x","点我")', "@SUM(1)"]])
    assert sheet["B4"].value.startswith("'=")
    assert sheet["G4"].value.startswith("'@")
    assert sheet["B4"].data_type == "s"
