"""A plan version as PDF and DOCX: title page, numbered sections, tables of counts; no
personal value; each download audited once."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.emergency import plan_export, plans
from gongzhi.emergency.tests.plan_factories import AT, SECRET_NAME, build_register

pytestmark = pytest.mark.django_db


def _read(page) -> str:
    """A page's text, spaces dropped. pypdf's own extract_text reads the embedded CJK
    font's two-byte codes as one-byte codes once the subset has more than 255 glyphs, so
    decode the page's text operators through the font's ToUnicode map here (still pypdf)."""
    fonts = page["/Resources"]["/Font"]
    maps = {}
    for name, font in fonts.items():
        cmap = font.get_object()["/ToUnicode"].get_object().get_data().decode("latin-1")
        maps[name] = {
            bytes.fromhex(code): bytes.fromhex(uni).decode("utf-16-be")
            for code, uni in re.findall(r"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]*)>", cmap)
        }
    out, current = [], {}
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"Tf":
            current = maps.get(operands[0], {})
        elif operator in (b"Tj", b"TJ"):
            parts = operands[0] if operator == b"TJ" else [operands[0]]
            for part in parts:
                if isinstance(part, (bytes, str)):
                    raw = bytes(getattr(part, "original_bytes", None) or part)
                    out.extend(current.get(raw[i : i + 2], "") for i in range(0, len(raw), 2))
    return "".join("".join(out).split())


WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def plan(world):
    world.register = build_register(world)
    with clock.freeze(AT):
        plan = plans.plan_draft(
            actor=world.secretary, area=world.community_a, kind="fire", title="玉岭社区火灾应急预案"
        )
        return plans.plan_approve(actor=world.secretary, plan=plan)


def _docx_text(body: bytes) -> tuple[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(z.namelist())
        root = ElementTree.fromstring(z.read("word/document.xml"))  # noqa: S314 - our own output
    text = "".join(t.text or "" for t in root.iter(f"{WORD}t"))
    tables = [
        ["|".join(t.text or "" for t in row.iter(f"{WORD}t")) for row in table.iter(f"{WORD}tr")]
        for table in root.iter(f"{WORD}tbl")
    ]
    return text, tables


def test_docx_opens_with_title_page_sections_and_counts(world, plan):
    version = plans.latest_version(plan)
    body = plan_export.plan_document(actor=world.secretary, plan=plan, version=version, fmt="docx")
    text, tables = _docx_text(body)
    assert "玉岭社区火灾应急预案" in text
    assert "编制单位：玉岭社区" in text and "预案类型：火灾" in text and "版本：第 1 版" in text
    assert "审批：secretary（2026-06-01）" in text
    assert "一、总则" in text and "八、火灾处置流程" in text
    rows = [row for table in tables for row in table]
    assert "玉岭花园1栋|3|4|1|1|1|1|1|1" in rows


def test_pdf_reads_back_with_the_same_contents(world, plan):
    version = plans.latest_version(plan)
    body = plan_export.plan_document(actor=world.secretary, plan=plan, version=version, fmt="pdf")
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) >= 3
    first = _read(reader.pages[0])
    assert "玉岭社区火灾应急预案" in first and "第1版" in first and "审批secretary" in first
    text = "".join(_read(page) for page in reader.pages)
    assert "火灾处置流程" in text and "玉岭花园3栋" in text


def test_no_personal_value_in_either_document(world, plan):
    version = plans.latest_version(plan)
    elderly = world.register.elderly
    secrets = [SECRET_NAME, elderly.id_number.reveal(), elderly.phone.reveal()]
    text, _tables = _docx_text(
        plan_export.plan_document(actor=world.secretary, plan=plan, version=version, fmt="docx")
    )
    pdf = PdfReader(
        io.BytesIO(
            plan_export.plan_document(actor=world.secretary, plan=plan, version=version, fmt="pdf")
        )
    )
    pdf_text = "".join(_read(page) for page in pdf.pages)
    for value in secrets:
        assert value not in text and value not in pdf_text


def test_each_download_is_audited_once_without_values(world, plan):
    version = plans.latest_version(plan)
    plan_export.plan_document(actor=world.grid_worker_a, plan=plan, version=version, fmt="docx")
    entry = AuditEntry.objects.filter(action="export").get()
    assert (entry.object_type, entry.object_id) == ("emergency.planversion", str(version.pk))
    assert entry.purpose == "emergency plan docx" and entry.actor_id == world.grid_worker_a.pk


def test_a_draft_version_says_it_is_not_approved(world, plan):
    version = plans.plan_edit(
        actor=world.secretary, plan=plan,
        sections=[{"key": "overview", "title": "总则", "body": "修订后的总则。"}], note="修订",
    )  # fmt: skip
    text, _ = _docx_text(
        plan_export.plan_document(actor=world.secretary, plan=plan, version=version, fmt="docx")
    )
    assert "草稿，尚未审批" in text and "修订后的总则。" in text
