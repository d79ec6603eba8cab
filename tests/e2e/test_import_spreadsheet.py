"""A grid worker imports the spreadsheet their community keeps, in a real browser:
upload → preview with the columns mapped (one changed by hand) → check in the background
worker (progress shown) → every row's problems → import (progress) → the result, and the
problem rows downloaded as an XLSX with an error column."""

import io
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from gongzhi.imports.models import ImportBatch
from gongzhi.registry.models import Household, Person
from gongzhi.testing import PASSWORD, make_id_number, make_phone

HEADER = [
    "序号",
    "姓名",
    "身份证号",
    "联系电话",
    "小区",
    "楼栋",
    "单元",
    "房号",
    "与户主关系",
    "备注",
]


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()


def spreadsheet(path) -> tuple[list[list], str]:
    rows = []
    for i in range(60):
        rows.append(
            [
                i + 1,
                f"张{'一二三四五六七八九十'[i % 10]}{'甲乙丙丁'[i // 10 % 4]}",
                make_id_number(),
                make_phone(),
                "玉岭花园",
                "1栋",
                str(i // 20 + 1),
                str(101 + i // 2),
                "户主" if i % 2 == 0 else "配偶",
                "导入测试",
            ]
        )
    bad = make_id_number()
    rows[10][2] = bad[:-1] + ("1" if bad[-1] != "1" else "2")  # wrong check digit
    rows[20][5] = "99栋"  # no such building
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["玉岭社区人口登记表"])  # a title row above the header
    sheet.merge_cells("A1:J1")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return rows, rows[10][2]


def test_grid_worker_imports_a_spreadsheet(world, new_page, worker, tmp_path):
    path = tmp_path / "玉岭花园1栋.xlsx"
    _rows, bad_id = spreadsheet(path)
    page = new_page()
    sign_in(page, world.grid_worker_a.username)

    # Upload: the preview maps the Chinese headers by itself
    page.goto("/register/imports/new/")
    page.set_input_files("input[name=file]", str(path))
    page.locator("form:has(input[name=file]) button[type=submit]").click()
    expect(page.locator("select[name=id_number]")).to_have_value("2")
    expect(page.locator("select[name=building]")).to_have_value("5")
    assert bad_id not in page.content()  # the preview masks ID numbers
    # The user changes one mapping by hand: 备注 (column J) into the notes
    page.select_option("select[name=notes]", "9")

    # Check: queued for the worker, the page shows it waiting, then the outcome
    page.locator("button[name=action][value=check]").click()
    expect(page.locator("#import-progress .progress")).to_be_visible()
    batch = ImportBatch.objects.get()
    assert batch.status == "checking" and batch.mapping["notes"] == 9
    worker.go.set()
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-testid", "import-status")
    expect(page.get_by_test_id("import-counts")).to_be_visible(timeout=30_000)
    worker.pause()
    batch.refresh_from_db()
    assert (batch.status, batch.rows_total, batch.rows_created, batch.rows_failed) == (
        "checked", 60, 58, 2,
    )  # fmt: skip
    table = page.get_by_test_id("import-rows")
    expect(table).to_contain_text("99栋")
    assert not Person.objects.filter(notes="导入测试").exists()  # a check writes nothing

    # The problem rows as XLSX with an error column
    with page.expect_download() as download:
        page.locator(f"a[href='/register/imports/{batch.pk}/report/']").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    report = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[0] for r in report[1:]] == [13, 23]  # rows as Excel shows them
    assert report[2][-1] and bad_id not in str(report)

    # Import: progress while the worker runs, then the result
    page.locator("button[name=action][value=commit]").click()
    expect(page.locator("#import-progress .progress")).to_be_visible()
    worker.go.set()
    expect(page.locator("a[href^='/register/persons/']").first).to_be_visible(timeout=30_000)
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.rows_created == 58
    assert Person.objects.filter(notes="导入测试").count() == 58
    assert Household.objects.filter(building=world.building_a1, unit="3").count() == 10
