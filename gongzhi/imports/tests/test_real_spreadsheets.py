"""Imports that take real spreadsheets (issue 12, sections 2 and 6): missing buildings
proposed and created inside the importer's area when confirmed, questions for buildings
outside it, bad optional values as warnings, messages naming the file's own headers, and
the re-import note judged by what the check found, not by the file's hash."""

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.core.errors import Forbidden
from gongzhi.core.tabular import write_xlsx
from gongzhi.imports import services
from gongzhi.imports.models import ImportStatus
from gongzhi.imports.tests.conftest import HEADER, outcomes, run, upload, xlsx
from gongzhi.registry.models import Area, AreaKind, Person
from gongzhi.testing import make_id_number


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def commit(batch, actor, **kwargs):
    """Ask for the commit (with the new-building choices) and run it as the worker would."""
    batch = services.import_request(actor=actor, batch=batch, phase="commit", **kwargs)
    services.import_run(
        batch_id=batch.pk,
        phase="commit",
        attempt=batch.attempt,
        language=translation.get_language(),
    )
    batch.refresh_from_db()
    return batch


def row(name, number, compound="玉岭花园", building="1栋", room="301", phone="", tags=""):
    return [name, number, phone, compound, building, "1", room, "户主", tags]


def page_of(user, batch, query=""):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(user)
    url = reverse("imports:detail", kwargs={"import_id": batch.pk}) + query
    return client.get(url).content.decode()


def codes(batch):
    return {
        n: [p[1] for p in o[3]] if o[1] == "error" else o[1] for n, o in outcomes(batch).items()
    }


# --- missing buildings ------------------------------------------------------------------------


def test_the_check_proposes_missing_buildings_and_creates_nothing(world):
    rows = [
        row("赵六", make_id_number(), building="5栋"),
        row("钱七", make_id_number(), building="5号楼", room="302"),
        row("孙八", make_id_number(), compound="新苑", building="1"),
    ]
    areas = Area.objects.count()
    batch = run(upload(world.grid_worker_a, xlsx(rows)), "check", world.grid_worker_a)
    assert Area.objects.count() == areas
    assert codes(batch) == {2: ["new_building"], 3: ["new_building"], 4: ["new_building"]}
    new = {(p["compound"], p["building"]): p for p in batch.places["new"]}
    assert set(new) == {("玉岭花园", "5栋"), ("新苑", "1栋")}
    assert new[("玉岭花园", "5栋")]["rows"] == 2 and not new[("玉岭花园", "5栋")]["new_compound"]
    assert new[("新苑", "1栋")]["rows"] == 1 and new[("新苑", "1栋")]["new_compound"]
    assert batch.places["grids"] == [[world.grid_a1.pk, world.grid_a1.name]]
    page = page_of(world.grid_worker_a, batch)
    assert "2 new buildings will be created under 第一网格" in page
    assert 'name="create_buildings"' in page


def test_a_confirmed_commit_creates_the_buildings_in_the_grid_and_places_the_rows(world):
    rows = [
        row("赵六", make_id_number(), building="5栋"),
        row("钱七", make_id_number(), building="5号楼", room="302"),
        row("孙八", make_id_number(), compound="新苑", building="1"),
        row("李九", make_id_number()),  # an existing building
    ]
    actor = world.grid_worker_a
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    batch = commit(batch, actor, create_buildings=True)
    assert batch.status == ImportStatus.COMMITTED, batch.error
    assert (batch.rows_created, batch.rows_failed) == (4, 0), outcomes(batch)
    five = Area.objects.get(kind=AreaKind.BUILDING, name="5栋")
    assert five.parent == world.grid_a1 and five.compound.name == "玉岭花园"
    assert five.code.startswith(five.compound.code + "B")
    compound = Area.objects.get(kind=AreaKind.COMPOUND, name="新苑")
    assert compound.parent == world.community_a
    one = Area.objects.get(kind=AreaKind.BUILDING, compound=compound)
    assert one.parent == world.grid_a1 and one.name == "1栋"
    assert Person.objects.get(name="赵六").household.building == five
    assert Person.objects.get(name="钱七").household.building == five
    assert Person.objects.get(name="孙八").household.building == one
    assert {tuple(c[:2]) for c in batch.places["created"]} == {("玉岭花园", "5栋"), ("新苑", "1栋")}


def test_without_confirmation_rows_for_missing_buildings_are_rejected(world):
    actor = world.grid_worker_a
    rows = [row("赵六", make_id_number(), building="5栋"), row("李九", make_id_number())]
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    areas = Area.objects.count()
    batch = commit(batch, actor)
    assert Area.objects.count() == areas
    assert codes(batch) == {2: ["new_building"], 3: "created"}
    message = outcomes(batch)[2][3][0][2]
    assert "5栋" in message and "not created" in message


def test_a_building_that_exists_only_in_another_grid_is_a_question_not_a_new_building(world):
    """2栋 of 玉岭花园 lies in grid A2: a grid worker of A1 is asked, the rows are held, and
    no second 2栋 is made even when they confirm the new buildings."""
    actor = world.grid_worker_a
    rows = [
        row("赵六", make_id_number(), building="2栋"),
        row("钱七", make_id_number(), compound="", building="2号楼"),
        row("孙八", make_id_number(), building="5栋"),
    ]
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    assert codes(batch) == {2: ["out_of_scope"], 3: ["out_of_scope"], 4: ["new_building"]}
    questions = batch.places["questions"]
    assert [(q["building"], q["where"], q["rows"]) for q in questions] == [("2栋", "第二网格", 2)]
    assert [p["building"] for p in batch.places["new"]] == ["5栋"]
    page = page_of(actor, batch)
    assert "outside the area you import into" in page
    batch = commit(batch, actor, create_buildings=True)
    assert Area.objects.filter(kind=AreaKind.BUILDING, name="2栋").count() == 1
    assert codes(batch) == {2: ["out_of_scope"], 3: ["out_of_scope"], 4: "created"}
    assert not Person.objects.filter(name__in=["赵六", "钱七"]).exists()


def test_a_missing_building_without_a_compound_cannot_be_proposed(world):
    header = ["姓名", "身份证号", "楼栋", "房号"]
    actor = world.grid_worker_a
    batch = run(
        upload(actor, xlsx([["赵六", make_id_number(), "7栋", "301"]], header)), "check", actor
    )
    assert codes(batch) == {2: ["unknown_building"]}
    assert batch.places["new"] == []
    assert "compound" in outcomes(batch)[2][3][0][2]


def test_a_secretary_chooses_the_grid_of_the_new_buildings(world):
    actor = world.secretary
    batch = run(
        upload(actor, xlsx([row("赵六", make_id_number(), building="5栋")])), "check", actor
    )
    assert {g[0] for g in batch.places["grids"]} == {world.grid_a1.pk, world.grid_a2.pk}
    assert "Choose the grid" in page_of(actor, batch)
    with pytest.raises(ValidationError) as err:
        services.import_request(actor=actor, batch=batch, phase="commit", create_buildings=True)
    assert "grid" in err.value.message_dict
    batch = commit(batch, actor, create_buildings=True, grid=world.grid_a2)
    assert batch.rows_created == 1, outcomes(batch)
    assert Area.objects.get(kind=AreaKind.BUILDING, name="5栋").parent == world.grid_a2


def test_a_grid_worker_cannot_put_new_buildings_in_another_grid(world):
    actor = world.grid_worker_a
    batch = run(
        upload(actor, xlsx([row("赵六", make_id_number(), building="5栋")])), "check", actor
    )
    with pytest.raises((ValidationError, Forbidden)):
        services.import_request(
            actor=actor, batch=batch, phase="commit", create_buildings=True, grid=world.grid_a2
        )
    with pytest.raises((ValidationError, Forbidden)):
        services.import_request(
            actor=actor, batch=batch, phase="commit", create_buildings=True, grid=world.grid_b1
        )
    assert not Area.objects.filter(name="5栋").exists()


def test_the_preview_confirmation_reaches_the_commit(world, django_capture_on_commit_callbacks):
    actor = world.grid_worker_a
    batch = run(
        upload(actor, xlsx([row("赵六", make_id_number(), building="5栋")])), "check", actor
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(actor)
    url = reverse("imports:detail", kwargs={"import_id": batch.pk})
    response = client.post(url, {"action": "commit", "create_buildings": "on"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.create_buildings and batch.building_grid == world.grid_a1


# --- bad optional values are warnings ------------------------------------------------------------


def test_a_phone_no_carrier_uses_is_a_warning_and_the_person_is_imported_without_it(world):
    actor = world.grid_worker_a
    bad_phone = "10012345678"
    existing = world.person_a1
    rows = [
        row("赵六", make_id_number(), phone=bad_phone),
        [
            existing.name,
            existing.id_number.reveal(),
            bad_phone,
            "玉岭花园",
            "1栋",
            "1",
            "101",
            "户主",
            "",
        ],
        row("钱七", make_id_number(), tags="独居老人、火星人"),
    ]
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    got = outcomes(batch)
    assert [got[n][1] for n in (2, 3, 4)] == ["created", "unchanged", "created"]
    assert batch.rows_warned == 3 and batch.rows_failed == 0
    warning = next(d for d in got[2][3] if isinstance(d, list))
    assert warning[0] == "phone" and bad_phone not in warning[2]
    batch = commit(batch, actor)
    assert batch.rows_warned == 3 and batch.rows_created == 2
    zhao = Person.objects.get(name="赵六")
    assert zhao.phone is None or not zhao.phone_index
    before = existing.phone_index
    existing.refresh_from_db()
    assert existing.phone_index == before  # the register's phone is kept
    assert list(Person.objects.get(name="钱七").tags.all()) == []  # the cell was not used
    warned = list(services.import_outcomes(batch, only="warning"))
    assert [o[0] for o in warned] == [2, 3, 4]


def test_bad_code_list_values_and_dates_are_warnings_too(world):
    header = [*HEADER, "民族", "居住状态", "入住日期", "出生日期"]
    actor = world.grid_worker_a
    rows = [
        [
            "赵六",
            make_id_number(),
            "",
            "玉岭花园",
            "1栋",
            "1",
            "301",
            "表舅",
            "",
            "火星族",
            "飘着",
            "明天",
            "1900-01-01",
        ]
    ]
    batch = run(upload(actor, xlsx(rows, header)), "check", actor)
    got = outcomes(batch)[2]
    assert got[1] == "created"
    assert {d[0] for d in got[3]} == {
        "relation",
        "ethnicity",
        "residency",
        "moved_in_on",
        "birth_date",
    }


def test_a_bad_required_value_or_an_unplaceable_address_still_rejects_the_row(world):
    actor = world.grid_worker_a
    bad = make_id_number()
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    rows = [row("赵六", bad), row("", make_id_number()), row("钱七", make_id_number(), room="")]
    batch = run(upload(actor, xlsx(rows)), "check", actor)
    assert codes(batch) == {2: ["checksum"], 3: ["required"], 4: ["required"]}


def test_rows_to_correct_are_shown_and_downloadable_without_the_values(world):
    actor = world.grid_worker_a
    bad_phone = "10012345678"
    batch = run(
        upload(actor, xlsx([row("赵六", make_id_number(), phone=bad_phone)])), "check", actor
    )
    page = page_of(actor, batch)
    assert "To correct" in page and "?rows=warning" in page
    header, body = services.import_error_report(batch, only="warning")
    out = io.BytesIO()
    write_xlsx(out, header, body)
    values = [[c.value for c in r] for r in openpyxl.load_workbook(out).active.iter_rows()]
    assert [r[0] for r in values[1:]] == [2]
    assert "联系电话" in values[1][-1]
    assert bad_phone not in str(values[1][-1])


# --- messages name the file's own headers -----------------------------------------------------------


def test_messages_name_the_files_own_header(world):
    header = ["姓名", "公民身份号码", "手机号", "小区", "楼栋", "单元", "房号"]
    bad = make_id_number()
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    rows = [
        ["赵六", bad, "", "玉岭花园", "1栋", "1", "301"],
        ["钱七", make_id_number(), "12345", "玉岭花园", "1栋", "1", "302"],
    ]
    actor = world.grid_worker_a
    batch = run(upload(actor, xlsx(rows, header)), "check", actor)
    page = page_of(actor, batch)
    assert "公民身份号码:" in page and "手机号:" in page
    assert "Resident ID number:" not in page and "Phone:" not in page
    _header_out, body = services.import_error_report(batch)
    assert next(iter(body))[-1].startswith("公民身份号码:")


# --- re-import: what would change, not the hash ------------------------------------------------------


def test_the_same_file_unchanged_says_nothing_would_change(world):
    actor = world.grid_worker_a
    data = xlsx([row("赵六", make_id_number(), phone="13800000001")])
    first = run(upload(actor, data), "check", actor)
    commit(first, actor)
    again = run(upload(actor, data), "check", actor)
    page = page_of(actor, again)
    assert "importing it again changes nothing" in page


def test_the_same_file_after_later_changes_is_a_note_not_no_change(world):
    actor = world.grid_worker_a
    number = make_id_number()
    data = xlsx([row("赵六", number, phone="13800000001")])
    commit(run(upload(actor, data), "check", actor), actor)
    later = xlsx([row("赵六", number, phone="13800000002")])
    commit(run(upload(actor, later), "check", actor), actor)
    again = run(upload(actor, data), "check", actor)
    assert again.rows_updated == 1
    page = page_of(actor, again)
    assert "importing it again changes nothing" not in page
    assert "The same file was imported on" in page


def test_the_same_file_with_another_mapping_is_a_note_not_no_change(world):
    actor = world.grid_worker_a
    data = xlsx([row("赵六", make_id_number(), tags="独居老人")])
    first = upload(actor, data)
    first = services.import_set_mapping(
        actor=actor, batch=first, mapping=dict(first.mapping, tags=None)
    )
    commit(run(first, "check", actor), actor)
    again = run(upload(actor, data), "check", actor)
    assert again.rows_updated == 1
    page = page_of(actor, again)
    assert "importing it again changes nothing" not in page
    assert "The same file was imported on" in page


def test_a_warning_stores_no_value_of_the_cell(world):
    """The left-out phone is in no stored message, outcome, staged row or count."""
    from gongzhi.imports.tests.test_privacy import _stored_text

    actor = world.grid_worker_a
    bad_phone = "10012345678"
    batch = run(
        upload(actor, xlsx([row("赵六", make_id_number(), phone=bad_phone)])), "check", actor
    )
    staged = services._staged_path(batch).read_text(encoding="utf-8")
    batch = commit(batch, actor)
    assert batch.rows_warned == 1
    for text in (_stored_text(batch), staged):
        assert bad_phone not in text and bad_phone[3:] not in text
