"""The three ready-made templates, built with the same mechanism as any department's:
an XLSX workbook (made here with openpyxl, so no binary lives in the repository) and a
column mapping. Their titles and headers are Chinese data: what departments expect.

- 重点人员排查表 — the watch list, for the epidemic-prevention command;
- 独居老人关爱台账 — persons tagged elderly living alone, for the civil-affairs office;
- 疫苗接种统计表 — per-grid vaccination counts and rates, for the health centre.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class Column:
    header: str
    field: str = ""
    transform: str = ""
    arg: str = ""
    width: int = 12


@dataclass(frozen=True)
class Builtin:
    code: str
    name: str
    department: str
    dataset: str
    columns: tuple[Column, ...]
    filters: dict[str, Any] = field(default_factory=dict)
    subtitle: str = "填报单位：{区域}　　　　统计日期：{日期}"
    footer: str = "填表人：　　　　　　审核人：　　　　　　联系电话："

    def workbook(self) -> bytes:
        """The template as a department would send it: title, subtitle, a styled header,
        one styled (empty) data row, a footer two rows below."""
        book = Workbook()
        sheet = book.active
        sheet.title = self.name[:31]
        width = len(self.columns)
        last = get_column_letter(width)
        thin = Side(style="thin", color="000000")
        border = Border(left=thin, right=thin, top=thin, bottom=thin)
        sheet.merge_cells(f"A1:{last}1")
        sheet["A1"] = "{区域}" + self.name
        sheet["A1"].font = Font(name="宋体", size=16, bold=True)
        sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[1].height = 30
        sheet.merge_cells(f"A2:{last}2")
        sheet["A2"] = self.subtitle
        sheet["A2"].font = Font(name="宋体", size=10)
        header_fill = PatternFill("solid", fgColor="D9E1F2")
        for index, column in enumerate(self.columns, start=1):
            cell = sheet.cell(3, index, column.header)
            cell.font = Font(name="宋体", size=11, bold=True)
            cell.fill = header_fill
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            sheet.column_dimensions[get_column_letter(index)].width = column.width
            data = sheet.cell(4, index)
            data.border = border
            data.font = Font(name="宋体", size=10)
            data.alignment = Alignment(vertical="center", wrap_text=column.width >= 20)
        sheet.row_dimensions[3].height = 32
        sheet.freeze_panes = "A4"
        sheet.cell(6, 1, self.footer).font = Font(name="宋体", size=10)
        sheet.merge_cells(f"A6:{last}6")
        sheet.page_setup.orientation = "landscape"
        sheet.print_title_rows = "3:3"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def mapping(self) -> list[dict[str, Any]]:
        return [
            {"column": i, "field": c.field, "transform": c.transform, "arg": c.arg}
            for i, c in enumerate(self.columns, start=1)
        ]


BUILTINS: dict[str, Builtin] = {
    b.code: b
    for b in (
        Builtin(
            code="watchlist",
            name="重点人员排查表",
            department="街道疫情防控指挥部",
            dataset="watch_entries",
            columns=(
                Column("序号", "sequence", width=6),
                Column("姓名", "name", width=10),
                Column("性别", "gender", "label", width=6),
                Column("年龄", "age", width=6),
                Column("身份证号码", "id_number", width=21),
                Column("联系电话", "phone", width=14),
                Column("来源地", "origin", width=14),
                Column("到达日期", "arrival_date", "date", "YYYY-MM-DD", width=12),
                Column("现居住地址", "address", width=26),
                Column("所属网格", "grid", width=12),
                Column("网格员", "grid_worker", width=10),
                Column("是否在册", "tier", "label", width=16),
                Column("线上研判", "review_note", width=20),
                Column("线下核实情况", "verification_note", width=20),
                Column("核实日期", "verified_on", "date", "YYYY-MM-DD", width=12),
                Column("管控措施", "outcome", "label", width=14),
                Column("状态", "status", "label", width=8),
            ),
        ),
        Builtin(
            code="elderly_alone",
            name="独居老人关爱台账",
            department="社区民政办",
            dataset="persons",
            filters={"tags": ["elderly_alone"]},
            columns=(
                Column("序号", "sequence", width=6),
                Column("姓名", "name", width=10),
                Column("性别", "gender", "label", width=6),
                Column("年龄", "age", width=6),
                Column("身份证号码", "id_number", width=21),
                Column("联系电话", "phone", width=14),
                Column("家庭住址", "address", width=28),
                Column("所属网格", "grid", width=12),
                Column("网格员", "grid_worker", width=10),
                Column("健康及特殊情况", "tags", width=22),
                Column("疫苗接种剂次", "doses", width=8),
                Column("关爱措施", "", "constant", "每周走访一次", width=14),
                Column("备注", width=14),
            ),
        ),
        Builtin(
            code="vaccination",
            name="疫苗接种统计表",
            department="社区卫生服务中心",
            dataset="grid_vaccination",
            columns=(
                Column("序号", "sequence", width=6),
                Column("网格", "grid", width=16),
                Column("常住人口", "persons", width=10),
                Column("60岁以上人口", "aged_60_plus", width=10),
                Column("第一剂接种人数", "dose_1", width=10),
                Column("第一剂接种率", "rate_1", "percent", "1", width=10),
                Column("全程接种人数", "dose_2", width=10),
                Column("全程接种率", "rate_2", "percent", "1", width=10),
                Column("加强针接种人数", "dose_3", width=10),
                Column("加强针接种率", "rate_3", "percent", "1", width=10),
                Column("60岁以上接种人数", "aged_60_plus_dose_1", width=10),
                Column("60岁以上接种率", "rate_60_plus", "percent", "1", width=10),
            ),
        ),
    )
}
