"""A plan version as a document a street office accepts: PDF (fpdf2, with the CJK font the
certificates use) or DOCX (Office Open XML written here with zipfile: a title page, numbered
sections, tables of counts; no dependency for a few fixed parts).

Title page: the plan's title, community, kind, version, its date and who approved it (or
"draft, not approved"). Then the sections, numbered 一、二、…, each with its text and its
tables, and the lessons linked to the plan. Counts only: the content never held a
resident's name, phone, ID number or address.

Each download is audited once (`export`, the version as object, the format as purpose).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.utils import timezone
from fpdf import FPDF

from gongzhi.accounts.types import Actor
from gongzhi.audit.services import audit_record
from gongzhi.emergency import plans
from gongzhi.emergency.models import Plan, PlanVersion
from gongzhi.points.certificate_pdf import font_file

FORMATS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
NUMERALS = "一二三四五六七八九十"
TABLE_FONT_MIN = 5.5
KIND_LABELS = plans.KIND_NAMES


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    if n < 20:
        return "十" + NUMERALS[n - 11]
    return str(n)


@dataclass
class Document:
    """What both formats print, prepared once."""

    title: str
    facts: list[tuple[str, str]]
    sections: list[dict[str, Any]]
    lessons: list[str]


def document_of(plan: Plan, version: PlanVersion) -> Document:
    approved = plan.approved_number == version.number and plan.approved_at is not None
    approver = ""
    if approved:
        by = plan.approved_by
        who = (by.display_name or by.username) if by is not None else "—"
        approver = f"{who}（{timezone.localtime(plan.approved_at):%Y-%m-%d}）"
    facts = [
        ("编制单位", plan.area.name),
        ("预案类型", KIND_LABELS.get(plan.kind, plan.kind)),
        ("版本", f"第 {version.number} 版"),
        ("版本日期", f"{timezone.localtime(version.created_at):%Y-%m-%d}"),
        ("数据截至", str(version.profile.get("as_of", ""))),
        ("审批", approver or "草稿，尚未审批"),
    ]
    return Document(
        title=plan.title,
        facts=facts,
        sections=version.content.get("sections", []),
        lessons=[
            f"{lesson.title}（{lesson.get_source_display()}）" for lesson in plan.lessons.all()
        ],
    )


def _heading(n: int, section: dict[str, Any]) -> str:
    return f"{_numeral(n)}、{section['title']}"


# --- PDF -----------------------------------------------------------------------------------


def render_pdf(doc: Document) -> bytes:
    path, index = font_file()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(doc.title)
    pdf.set_creator("Gongzhi")
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=18)
    width = pdf.w - 40

    pdf.add_page()
    pdf.set_y(70)
    pdf.set_font("cjk", size=24)
    pdf.multi_cell(width, 14, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(24)
    pdf.set_font("cjk", size=13)
    for label, value in doc.facts:
        pdf.set_x(45)
        pdf.cell(30, 10, label)
        pdf.multi_cell(width - 55, 10, value, new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    for n, section in enumerate(doc.sections, start=1):
        pdf.set_font("cjk", size=15)
        pdf.multi_cell(width, 10, _heading(n, section), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        for paragraph in section.get("body", "").splitlines():
            if paragraph.strip():
                pdf.multi_cell(width, 6.5, paragraph, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
        for table in section.get("tables", []):
            _pdf_table(pdf, table)
        if section.get("key") == "drills" and doc.lessons:
            pdf.set_font("cjk", size=11)
            pdf.multi_cell(width, 7, "关联经验：", new_x="LMARGIN", new_y="NEXT")
            for lesson in doc.lessons:
                pdf.multi_cell(width, 6.5, f"· {lesson}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return bytes(pdf.output())


def _pdf_table(pdf: FPDF, table: dict[str, Any]) -> None:
    """A table drawn cell by cell (fpdf2's `table()` measures and wraps every cell:
    26-40 s for Qifu's 172 grid tables); values are counts and short names, one line each."""
    width = pdf.w - 40
    pdf.ln(2)
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(width, 7, table["caption"], new_x="LMARGIN", new_y="NEXT")
    if not table["rows"]:
        pdf.set_font("cjk", size=9)
        pdf.multi_cell(width, 6, "（暂无）", new_x="LMARGIN", new_y="NEXT")
        return
    columns = [str(c) for c in table["columns"]]
    first = min(60.0, max(28.0, width / len(columns)))
    rest = (width - first) / max(1, len(columns) - 1) if len(columns) > 1 else 0
    widths = [first if len(columns) > 1 else width] + [rest] * (len(columns) - 1)
    size = 8 if len(columns) > 6 else 9
    height = 5.5

    def line(values: list[str], fill: bool) -> None:
        for w, text in zip(widths, values, strict=False):
            pdf.set_font_size(size)
            while pdf.get_string_width(text) > w - 1 and pdf.font_size_pt > TABLE_FONT_MIN:
                pdf.set_font_size(pdf.font_size_pt - 0.5)
            pdf.cell(w, height, text, border=1, align="C", fill=fill)
        pdf.ln(height)

    pdf.set_fill_color(235, 235, 235)
    line(columns, True)
    for values in table["rows"]:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            line(columns, True)
        line([str(v) for v in values], False)
    pdf.set_font("cjk", size=11)
    pdf.ln(2)


# --- DOCX ----------------------------------------------------------------------------------

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _t(text: Any) -> str:
    return escape(_BAD_XML.sub("", str(text)))


def _p(text: str, style: str = "", *, center: bool = False, size: int = 0) -> str:
    props = ""
    if style or center:
        props = "<w:pPr>"
        props += f'<w:pStyle w:val="{style}"/>' if style else ""
        props += '<w:jc w:val="center"/>' if center else ""
        props += "</w:pPr>"
    run = f'<w:rPr><w:sz w:val="{size}"/></w:rPr>' if size else ""
    return f'<w:p>{props}<w:r>{run}<w:t xml:space="preserve">{_t(text)}</w:t></w:r></w:p>'


def _docx_table(table: dict[str, Any]) -> str:
    def cell(value: Any, head: bool = False) -> str:
        bold = "<w:rPr><w:b/></w:rPr>" if head else ""
        return (
            '<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr><w:p><w:pPr><w:jc '
            f'w:val="center"/></w:pPr><w:r>{bold}<w:t xml:space="preserve">{_t(value)}</w:t>'
            "</w:r></w:p></w:tc>"
        )

    rows = [
        "<w:tr>" + "".join(cell(c, head=True) for c in table["columns"]) + "</w:tr>",
        *("<w:tr>" + "".join(cell(v) for v in values) + "</w:tr>" for values in table["rows"]),
    ]
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    props = (
        f'<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/>'
        f"<w:tblBorders>{borders}</w:tblBorders></w:tblPr>"
    )
    return f"<w:tbl>{props}{''.join(rows)}</w:tbl>"


def render_docx(doc: Document) -> bytes:
    body: list[str] = ['<w:p><w:pPr><w:spacing w:before="2400"/></w:pPr></w:p>']
    body.append(_p(doc.title, "Title", center=True))
    body.extend(_p(f"{label}：{value}", center=True, size=28) for label, value in doc.facts)
    body.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
    for n, section in enumerate(doc.sections, start=1):
        body.append(_p(_heading(n, section), "Heading1"))
        body.extend(_p(line) for line in section.get("body", "").splitlines() if line.strip())
        for table in section.get("tables", []):
            body.append(_p(table["caption"], "Caption"))
            body.append(_docx_table(table) if table["rows"] else _p("（暂无）"))
        if section.get("key") == "drills" and doc.lessons:
            body.append(_p("关联经验："))
            body.extend(_p(f"· {lesson}") for lesson in doc.lessons)
    section_props = (
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1247" '
        'w:bottom="1440" w:left="1247" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>'
    )
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W}><w:body>'
        + "".join(body)
        + section_props
        + "</w:body></w:document>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/_rels/document.xml.rels", _DOCUMENT_RELS)
        z.writestr("word/styles.xml", _STYLES)
        z.writestr("word/document.xml", document)
    return out.getvalue()


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""
_DOCUMENT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles {W}>
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="宋体"/><w:sz w:val="24"/><w:lang w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>
<w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="360" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:after="600"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/><w:b/><w:sz w:val="44"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/><w:b/><w:sz w:val="32"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/></w:pPr><w:rPr><w:b/><w:sz w:val="21"/></w:rPr></w:style>
<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:rPr><w:sz w:val="18"/></w:rPr></w:style>
</w:styles>"""


# --- the download --------------------------------------------------------------------------


@transaction.atomic
def plan_document(*, actor: Actor, plan: Plan, version: PlanVersion, fmt: str) -> bytes:
    """The version's document in `fmt` ("pdf" or "docx"), its download audited once.
    The caller got `plan` through `plans.plan_get_for` (emergency.view)."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    doc = document_of(plan, version)
    body = render_pdf(doc) if fmt == "pdf" else render_docx(doc)
    audit_record(
        actor=actor,
        action="export",
        obj=version,
        object_label=f"plan #{plan.pk} v{version.number}",
        area_path=plan.area_path,
        purpose=f"emergency plan {fmt}",
    )
    return body


def filename(plan: Plan, version: PlanVersion, fmt: str) -> str:
    return f"plan-{plan.pk}-v{version.number}.{fmt}"
