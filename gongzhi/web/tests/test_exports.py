"""The one export mechanism: files in three formats with escaped formulas, one audit entry
per download naming the kinds of filters, never their values. (Every app's exports:
tests/test_exports_audited.py.)"""

import io

import openpyxl
import pytest
from django.core.exceptions import BadRequest
from django.test import RequestFactory

from gongzhi.accounts.policy import Perm
from gongzhi.audit.models import AuditEntry
from gongzhi.audit.vocabulary import system_purpose
from gongzhi.web import exports
from gongzhi.web.exports import (
    Column,
    Export,
    Sensitivity,
    export_response,
    filter_kinds,
    search_kind,
)

HEADER = ["姓名", "身份证号", "联系电话"]
ROWS: Export
SHAPED: Export


@pytest.fixture(autouse=True)
def _declarations():
    """Two declarations for these tests only, gone afterwards (the list of every
    declaration is checked against the routes in tests/test_exports_audited.py)."""
    global ROWS, SHAPED
    ROWS = Export(
        name="test.rows",
        filename="户列表",
        object_type="test.row",
        sensitivity=Sensitivity.PERSONAL,
        scope_perms=(Perm.REGISTER_VIEW,),
        columns=tuple(Column(h, lambda r, i=i: r[i]) for i, h in enumerate(HEADER)),
    )
    SHAPED = Export(
        name="test.shaped", filename="x", object_type="test.row", sensitivity=Sensitivity.NONE
    )
    yield
    exports._DECLARED.pop("test.rows")
    exports._DECLARED.pop("test.shaped")


def _request(user, **params):
    request = RequestFactory().get("/list/", params)
    request.user = user
    return request


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_csv_download_has_a_chinese_filename_and_escaped_formulas(world):
    response = export_response(_request(world.secretary, export="csv"), ROWS, [["张三", "=1", 2]])
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert "'=1" in body.decode("utf-8-sig")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store"


def test_a_gbk_csv_is_gb18030(world):
    response = export_response(_request(world.secretary, export="csv-gbk"), ROWS, [])
    assert _body(response).decode("gb18030").startswith("姓名")


def test_an_xlsx_download_opens_in_openpyxl(world):
    rows = ([f"张{i}", f"-{i}", i] for i in range(1000))
    response = export_response(_request(world.secretary, export="xlsx"), ROWS, rows)
    sheet = openpyxl.load_workbook(io.BytesIO(_body(response))).active
    assert sheet.max_row == 1001
    assert sheet["B3"].value == "'-1"
    assert ".xlsx" in response["Content-Disposition"]


def test_an_unknown_format_is_a_bad_request_and_leaves_no_entry(world):
    with pytest.raises(BadRequest):
        export_response(_request(world.secretary, export="pdf"), ROWS, [])
    assert not AuditEntry.objects.filter(action="export").exists()


def test_one_entry_with_the_count_the_format_and_the_kinds_of_filters(world):
    filters = {"q": "张三", "status": "active", "area_id": world.grid_a1.pk, "tag": ""}

    export_response(
        _request(world.grid_worker_a, export="csv"), ROWS, [["a", "b", "c"]] * 3, filters=filters
    )

    entry = AuditEntry.objects.get(action="export")
    assert entry.object_type == "test.row" and entry.object_label == "test.rows"
    assert entry.purpose == system_purpose("export", fmt="csv", rows=3, sensitivity="personal")
    assert entry.fields == ["area_id", "q:name", "status"]
    assert entry.area_path == world.grid_a1.path


def test_a_failing_export_leaves_no_entry(world):
    def rows():
        yield ["a", "b", "c"]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        export_response(_request(world.secretary, export="csv"), ROWS, rows())
    assert not AuditEntry.objects.filter(action="export").exists()


def test_shaped_rows_need_their_header_and_declared_columns_refuse_one(world):
    request = _request(world.secretary, export="csv")
    with pytest.raises(ValueError, match="header"):
        export_response(request, SHAPED, [[1]])
    with pytest.raises(ValueError, match="header"):
        export_response(request, ROWS, [], header=HEADER)
    response = export_response(request, SHAPED, [[1, 2]], header=["a", "b"])
    assert _body(response).decode("utf-8-sig").splitlines() == ["a,b", "1,2"]


def test_an_export_must_be_declared_once():
    with pytest.raises(ValueError, match="twice"):
        Export(name="test.rows", filename="x", object_type="t", sensitivity=Sensitivity.NONE)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("42108719800517001X", "id_number"),
        ("421087 19800517 001x", "id_number"),
        ("１３８１２３４５６７８", "phone"),
        ("138-1234-5678", "phone"),
        ("+8613812345678", "phone"),
        ("5678", "digits"),
        ("张三", "name"),
        ("zhangsan", "pinyin"),
        ("zs", "pinyin"),
        ("!!", "text"),
    ],
)
def test_a_search_term_is_recorded_as_its_kind(text, kind):
    assert search_kind(text) == kind
    assert filter_kinds({"q": text}) == [f"q:{kind}"]


def test_filter_kinds_never_hold_a_value():
    from gongzhi.registry.selectors import HouseholdFilters

    kinds = filter_kinds(HouseholdFilters(q="13812345678", tag="elderly_alone"))
    assert kinds == ["q:phone", "tag"]
    assert filter_kinds(None) == [] and filter_kinds({"mine": False, "area": None}) == []
