"""Helpers for report tests: fill a template synchronously and open the result."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from gongzhi.reports import services


def fill(template, *, actor=None, area=None):
    report = services.report_request(actor=actor, template=template, area=area)
    return services.report_fill(report_id=report.pk)


def open_report(report, actor):
    data, _name = services.report_download(actor=actor, report=report)
    return load_workbook(io.BytesIO(data)).active


def values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def department_workbook() -> bytes:
    """A department's template: a title, a two-row header with merged cells, a footer."""
    book = Workbook()
    sheet = book.active
    sheet.title = "老人名册"
    sheet["A1"] = "{区域}高龄老人名册（{日期}）"
    sheet.merge_cells("A1:G1")
    sheet["A2"], sheet["B2"], sheet["C2"] = "序号", "姓名", "身份证号"
    sheet["D2"] = "联系方式"
    sheet.merge_cells("D2:E2")
    sheet["D3"], sheet["E3"] = "本人电话", "住址"
    sheet["F2"], sheet["G2"] = "出生日期", "人员类别"
    for column in "ABCFG":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet["B4"].font = Font(bold=True)
    sheet["A6"] = "填表人：　　审核人："
    sheet.merge_cells("A6:G6")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
