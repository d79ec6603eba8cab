"""`gongzhi areas import`: a community's structure from a spreadsheet."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from gongzhi.core.errors import Forbidden
from gongzhi.registry import services
from gongzhi.registry.models import Area
from gongzhi.registry.structure_import import StructureImportError, structure_import

GOOD = (
    "小区,楼栋,网格,单元数,层数\n"
    "玉岭花园,1栋,第一网格,,\n"  # exists already, in 第一网格
    "玉岭花园,5栋,第一网格/第一小组,2,6\n"
    "玉岭花园,6栋,第一网格/第一小组,2,\n"
    "桂花苑,1栋,第三网格,3,18\n"
)


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (the catalogue may translate them)."""
    with translation.override("en"):
        yield


def codes(community):
    return set(Area.objects.within(community.path).values_list("code", flat=True))


def run(world, text, *, commit=True, encoding="utf-8", actor=None):
    return structure_import(
        actor=actor,
        community=world.community_a,
        source=text.encode(encoding),
        filename="结构.csv",
        commit=commit,
    )


def test_a_good_file_creates_what_is_missing(world):
    result = run(world, GOOD)
    assert result.grids == ["第一网格/第一小组", "第三网格"]
    assert result.compounds == ["桂花苑"]
    assert len(result.buildings) == 3
    five = Area.objects.get(name="5栋", compound=world.building_a1.compound)
    assert five.parent.name == "第一小组" and five.parent.parent_id == world.grid_a1.pk
    assert five.parent.grid_level == 2 and (five.units, five.floors) == (2, 6)
    assert five.code == world.building_a1.compound.code + "B03"  # after B01, B02
    osmanthus = Area.objects.get(name="桂花苑")
    assert osmanthus.code == world.community_a.code + "C002"


def test_running_the_same_file_again_changes_nothing(world):
    run(world, GOOD)
    before = codes(world.community_a)
    again = run(world, GOOD)
    assert again.changes == 0
    assert codes(world.community_a) == before


def test_a_dry_run_reports_the_same_and_writes_nothing(world):
    before = codes(world.community_a)
    result = run(world, GOOD, commit=False)
    assert len(result.buildings) == 3 and not result.committed
    assert codes(world.community_a) == before


def test_bad_rows_are_listed_by_row_and_column_and_nothing_is_written(world):
    before = codes(world.community_a)
    text = (
        "小区,楼栋,网格,层数\n"
        "玉岭花园,7栋,第一网格,6\n"  # good
        ",8栋,第一网格,6\n"  # row 3: no compound
        "玉岭花园,9栋,一/二/三/四,6\n"  # row 4: four levels
        "玉岭花园,10栋,第一网格,九\n"  # row 5: floors not a number
        "玉岭花园,2栋,第一网格,\n"  # row 6: 2栋 is in 第二网格 already
    )
    with pytest.raises(StructureImportError) as excinfo:
        run(world, text)
    problems = {(p.row, p.column) for p in excinfo.value.problems}
    assert {(3, "小区"), (4, "网格"), (5, "层数")} <= problems
    assert len(excinfo.value.problems) == 3  # file checks stop the file before the tree's
    assert codes(world.community_a) == before
    with pytest.raises(StructureImportError) as excinfo:
        run(world, "小区名称,楼号,所属网格\n玉岭花园,2栋,第一网格\n")
    problem = excinfo.value.problems[0]
    assert "第二网格" in str(problem) and problem.column == "所属网格"  # the file's own header


def test_a_file_without_the_columns_says_which(world):
    with pytest.raises(StructureImportError) as excinfo:
        run(world, "名称,地址\n甲,乙\n")
    assert "小区" in str(excinfo.value.problems[0]) and "网格" in str(excinfo.value.problems[0])


def test_a_gbk_csv_is_read(world):
    result = run(world, "小区,楼栋,网格\n桂花苑,2栋,第二网格\n", encoding="gbk")
    assert result.buildings == ["桂花苑 2栋 (第二网格)"]
    assert Area.objects.get(name="2栋", compound__name="桂花苑").parent_id == world.grid_a2.pk


def test_an_xlsx_is_read(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["小区", "楼栋", "网格", "单元数"])
    sheet.append(["桂花苑", 3, "第二网格", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    result = structure_import(
        actor=None, community=world.community_a, source=buffer.getvalue(), commit=True
    )
    assert result.buildings == ["桂花苑 3 (第二网格)"]


def test_only_those_who_manage_the_community_import(world):
    with pytest.raises(Forbidden):
        run(world, GOOD, actor=world.grid_worker_a)
    with pytest.raises(Forbidden):
        structure_import(
            actor=world.secretary,
            community=world.community_b,
            source=GOOD.encode(),
            commit=False,
        )


def test_a_closed_grid_is_a_problem(world):
    g = services.area_create(
        actor=None, parent=world.community_a, kind="grid", name="旧网格", code="421087001001009"
    )
    services.area_close(actor=None, area=g)
    with pytest.raises(StructureImportError) as excinfo:
        run(world, "小区,楼栋,网格\n玉岭花园,9栋,旧网格\n")
    assert "closed" in str(excinfo.value.problems[0])


# --- the command ---------------------------------------------------------------------------


def test_the_command_is_a_dry_run_unless_told_to_commit(world, tmp_path):
    path = tmp_path / "结构.csv"
    path.write_bytes(GOOD.encode("gbk"))
    out = io.StringIO()
    before = codes(world.community_a)
    call_command("areas", "import", str(path), "--community", world.community_a.code, stdout=out)
    assert "would be created" in out.getvalue() and "--commit" in out.getvalue()
    assert codes(world.community_a) == before
    out = io.StringIO()
    call_command(
        "areas", "import", str(path), "--community", world.community_a.code, "--commit",
        stdout=out,
    )  # fmt: skip
    assert "3 buildings created" in out.getvalue()
    out = io.StringIO()
    call_command(
        "areas", "import", str(path), "--community", world.community_a.code, "--commit",
        stdout=out,
    )  # fmt: skip
    assert "nothing to change" in out.getvalue()


def test_the_command_lists_every_problem_and_fails(world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("小区,楼栋,网格\n,1栋,第一网格\n玉岭花园,,第一网格\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "areas", "import", str(path), "--community", world.community_a.code, stderr=err
        )
    assert "2 problems" in str(excinfo.value)
    assert "Row 2, column 小区" in err.getvalue() and "Row 3, column 楼栋" in err.getvalue()


def test_the_command_names_an_unknown_community(world, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(CommandError, match="no community"):
        call_command("areas", "import", str(path), "--community", "999999999999")
