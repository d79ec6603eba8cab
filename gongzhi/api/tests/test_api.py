"""The register over REST: scoped, masked, paginated, filtered; every write validated by
the services, every error in the `{"code", "message", "fields"}` shape."""

import datetime as dt

import pytest

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.api.tests.conftest import assert_error
from gongzhi.audit.models import AuditEntry
from gongzhi.core.identity import id_check_digit
from gongzhi.registry import services
from gongzhi.registry.models import Household, Person
from gongzhi.testing import make_id_number, make_phone


def _plaintexts() -> list[str]:
    values = []
    for person in Person.objects.all():
        values.append(person.id_number.reveal())
        if person.phone:
            values.append(person.phone.reveal())
    return values


def assert_masked(response) -> None:
    """No resident ID number or phone of anyone in the register appears in plain text."""
    text = response.content.decode()
    for plain in _plaintexts():
        assert plain not in text, f"plaintext {plain[:4]}… in {response.request['PATH_INFO']}"


def _new_person(world, **extra) -> dict:
    data = {
        "household": world.household_a1.pk,
        "name": "赵丽华",
        "id_number": make_id_number(birth=dt.date(1975, 3, 9), male=False),
        "phone": make_phone(),
        "relation": "spouse",
    }
    data.update(extra)
    return data


# --- scope ---------------------------------------------------------------------------------


def test_grid_worker_lists_only_households_of_their_grid(world, as_user):
    body = as_user(world.grid_worker_a).get("/households").json()

    assert [h["id"] for h in body["items"]] == [world.household_a1.pk]
    assert body["count"] == 1


def test_street_officer_lists_households_of_both_communities(world, as_user):
    body = as_user(world.by_role[Role.STREET_OFFICER]).get("/households").json()

    assert {h["id"] for h in body["items"]} == {
        world.household_a1.pk,
        world.household_a2.pk,
        world.household_b1.pk,
    }
    assert {h["community_id"] for h in body["items"]} == {
        world.community_a.pk,
        world.community_b.pk,
    }


def test_grid_worker_lists_only_persons_of_their_grid(world, as_user):
    body = as_user(world.grid_worker_a).get("/persons").json()

    assert [p["id"] for p in body["items"]] == [world.person_a1.pk]


def test_resident_sees_no_register(world, as_user):
    caller = as_user(world.resident)

    assert caller.get("/households").json() == {"items": [], "count": 0}
    assert_error(caller.get(f"/persons/{world.person_a1.pk}"), 404, "not_found")


@pytest.mark.parametrize(
    ("path", "attr"),
    [("/persons/{}", "person_b1"), ("/households/{}", "household_b1"), ("/areas/{}", "grid_b1")],
)
def test_out_of_scope_id_is_404_identical_to_a_missing_one(world, as_user, path, attr):
    caller = as_user(world.grid_worker_a)

    out_of_scope = caller.get(path.format(getattr(world, attr).pk))
    missing = caller.get(path.format(999_999))
    malformed = caller.get(path.format("abc"))

    assert_error(out_of_scope, 404, "not_found")
    assert out_of_scope.content == missing.content == malformed.content
    assert out_of_scope.status_code == missing.status_code == malformed.status_code


def test_writes_to_an_out_of_scope_id_are_404_too(world, as_user):
    caller = as_user(world.grid_worker_a)
    pk = world.person_b1.pk

    for response in (
        caller.patch(f"/persons/{pk}", {"notes": "x"}),
        caller.post(f"/persons/{pk}/move-out", {}),
        caller.put(f"/persons/{pk}/tags", {"tags": []}),
        caller.post(f"/persons/{pk}/reveal", {"field": "phone", "purpose": "上门走访核实"}),
        caller.patch(f"/households/{world.household_b1.pk}", {"notes": "x"}),
    ):
        assert_error(response, 404, "not_found")


# --- masking -------------------------------------------------------------------------------


def test_personal_data_is_masked_in_every_answer(world, as_user):
    caller = as_user(world.by_role[Role.STREET_OFFICER])
    responses = [
        caller.get("/persons"),
        caller.get("/persons", q="张晓明"),
        caller.get(f"/persons/{world.person_a1.pk}"),
        caller.get("/households"),
    ]
    editor = as_user(world.secretary)
    responses.append(editor.post("/persons", _new_person(world)))
    responses.append(editor.patch(f"/persons/{world.person_a1.pk}", {"phone": make_phone()}))
    # a duplicate's message names the existing person: still no number in it
    responses.append(
        editor.post("/persons", _new_person(world, id_number=world.person_a1.id_number.reveal()))
    )

    for response in responses:
        assert response.status_code < 500
        assert_masked(response)
    person = caller.get(f"/persons/{world.person_a1.pk}").json()
    assert person["id_number"] == world.person_a1.id_number.masked
    assert "*" in person["id_number"] and "*" in person["phone"]


def test_searching_by_full_id_number_finds_the_person_but_answers_masked(world, as_user):
    caller = as_user(world.grid_worker_a)

    response = caller.get("/persons", q=world.person_a1.id_number.reveal())

    assert [p["id"] for p in response.json()["items"]] == [world.person_a1.pk]
    assert_masked(response)


# --- pagination and filters ---------------------------------------------------------------


def test_lists_are_paginated_with_a_count(world, as_user):
    for room in range(102, 107):
        services.household_create(actor=None, building=world.building_a1, unit="1", room=str(room))
    caller = as_user(world.grid_worker_a)

    first = caller.get("/households", limit=2, offset=0).json()
    second = caller.get("/households", limit=2, offset=2).json()
    last = caller.get("/households", limit=2, offset=4).json()

    assert first["count"] == second["count"] == last["count"] == 6
    assert len(first["items"]) == len(second["items"]) == 2
    assert len(last["items"]) == 2
    ids = [h["id"] for page in (first, second, last) for h in page["items"]]
    assert len(set(ids)) == 6


@pytest.mark.parametrize("limit", [0, 201, "x"])
def test_page_size_outside_1_to_200_is_refused_on_limit(world, as_user, limit):
    response = as_user(world.grid_worker_a).get("/persons", limit=limit)

    assert_error(response, 422, "invalid", fields=("limit",))


def test_households_filter_by_area_status_and_tag(world, as_user):
    caller = as_user(world.secretary)
    services.person_tag_set(actor=None, person=world.person_a2, tag_codes=["elderly_alone"])
    services.household_update(actor=None, household=world.household_a1, data={"status": "vacant"})

    by_area = caller.get("/households", area_id=world.grid_a2.pk).json()["items"]
    by_status = caller.get("/households", status="vacant").json()["items"]
    by_tag = caller.get("/households", tag="elderly_alone").json()["items"]
    by_address = caller.get("/households", q="2栋").json()["items"]
    by_member = caller.get("/households", q="zxm").json()["items"]

    assert [h["id"] for h in by_area] == [world.household_a2.pk]
    assert [h["id"] for h in by_status] == [world.household_a1.pk]
    assert [h["id"] for h in by_tag] == [world.household_a2.pk]
    assert [h["id"] for h in by_address] == [world.household_a2.pk]
    assert [h["id"] for h in by_member] == [world.household_a1.pk]


def test_household_filter_by_an_out_of_scope_area_is_404(world, as_user):
    response = as_user(world.grid_worker_a).get("/households", area_id=world.grid_b1.pk)

    assert_error(response, 404, "not_found")


def test_household_filter_by_an_unknown_status_is_refused(world, as_user):
    response = as_user(world.grid_worker_a).get("/households", status="gone")

    assert_error(response, 422, "invalid", fields=("status",))


def test_persons_filter_by_household_tag_residency_and_search(world, as_user):
    caller = as_user(world.secretary)
    services.person_tag_set(actor=None, person=world.person_a2, tag_codes=["disabled"])
    services.person_move_out(actor=None, person=world.person_a1)

    by_household = caller.get("/persons", household_id=world.household_a2.pk).json()["items"]
    by_tag = caller.get("/persons", tag="disabled").json()["items"]
    moved_out = caller.get("/persons", residency="moved_out").json()["items"]
    by_pinyin = caller.get("/persons", q="lixiu").json()["items"]
    by_initials = caller.get("/persons", q="zxm").json()["items"]

    assert [p["id"] for p in by_household] == [world.person_a2.pk]
    assert [p["id"] for p in by_tag] == [world.person_a2.pk]
    assert by_tag[0]["tags"] == ["disabled"]
    assert [p["id"] for p in moved_out] == [world.person_a1.pk]
    assert [p["id"] for p in by_pinyin] == [world.person_a2.pk]
    assert [p["id"] for p in by_initials] == [world.person_a1.pk]


def test_persons_filter_by_an_out_of_scope_household_is_404(world, as_user):
    response = as_user(world.grid_worker_a).get("/persons", household_id=world.household_b1.pk)

    assert_error(response, 404, "not_found")


def test_areas_filter_by_kind_and_parent(world, as_user):
    caller = as_user(world.secretary)

    grids = caller.get("/areas", kind="grid").json()["items"]
    children = caller.get("/areas", parent_id=world.grid_a1.pk).json()["items"]

    assert [a["id"] for a in grids] == [world.grid_a1.pk, world.grid_a2.pk]
    assert [a["id"] for a in children] == [world.building_a1.pk]
    assert_error(caller.get("/areas", kind="planet"), 422, "invalid", fields=("kind",))


def test_tags_are_listed(world, as_user):
    tags = as_user(world.grid_worker_a).get("/tags").json()

    assert {"code": "elderly_alone", "name": "独居老人", "name_en": "Elderly living alone"} in tags


# --- persons: create ---------------------------------------------------------------------


def test_grid_worker_registers_a_person(world, as_user):
    data = _new_person(world, gender="female", birth_date="1975-03-09")

    response = as_user(world.grid_worker_a).post("/persons", data)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "赵丽华"
    assert body["gender"] == "female"
    assert body["birth_date"] == "1975-03-09"
    assert body["household_id"] == world.household_a1.pk
    assert body["version"] == 1
    assert Person.objects.get(pk=body["id"]).id_number.reveal() == data["id_number"]


def _id_with_date(text: str) -> str:
    first17 = f"421087{text}123"
    return first17 + id_check_digit(first17)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "42108719800517003X"}, "id_number"),  # wrong check digit
        ({"id_number": _id_with_date("19801332")}, "id_number"),  # no 32nd of month 13
        ({"id_number": _id_with_date("20990101")}, "id_number"),  # born in the future
        ({"id_number": "12345"}, "id_number"),
        ({"gender": "male"}, "gender"),  # the ID number is a woman's
        ({"birth_date": "1975-03-10"}, "birth_date"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "139abc45678"}, "phone"),
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"name": "张三<b>"}, "name"),
        ({"name": "   "}, "name"),
        ({"ethnicity": "99"}, "ethnicity"),
        ({"moved_in_on": "2999-01-01"}, "moved_in_on"),
        ({"household": 999_999}, "household"),
    ],
)
def test_person_create_refuses_bad_input_naming_the_field(world, as_user, change, field):
    response = as_user(world.grid_worker_a).post("/persons", _new_person(world, **change))

    assert_error(response, 400, "invalid", fields=(field,))
    assert Person.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "张" * 41}, "name"),
        ({"notes": "x" * 2001}, "notes"),
        ({"id_number": "4" * 33}, "id_number"),
        ({"phone": "1" * 33}, "phone"),
        ({"relation": "cousin"}, "relation"),
        ({"birth_date": "1975-02-30"}, "birth_date"),
        ({"household": "abc"}, "household"),
        ({"unexpected": 1}, "unexpected"),
        ({"name": None}, "name"),
    ],
)
def test_person_create_refuses_malformed_request_naming_the_field(world, as_user, change, field):
    response = as_user(world.grid_worker_a).post("/persons", _new_person(world, **change))

    assert_error(response, 422, "invalid", fields=(field,))


def test_missing_required_fields_are_each_named(world, as_user):
    response = as_user(world.grid_worker_a).post("/persons", {})

    body = assert_error(response, 422, "invalid", fields=("household", "name", "id_number"))
    assert set(body["fields"]) == {"household", "name", "id_number"}


def test_a_name_that_grows_past_the_limit_when_normalised_is_refused_by_the_service(world, as_user):
    # "㍿" is one character that NFKC turns into four (株式会社): 11 pass the schema's 40 …
    response = as_user(world.grid_worker_a).post("/persons", _new_person(world, name="㍿" * 11))

    # … and the service, which counts after normalising, refuses 44.
    assert_error(response, 400, "invalid", fields=("name",))


def test_a_body_that_is_not_a_json_object_is_refused(world, as_user):
    caller = as_user(world.grid_worker_a)

    not_json = caller.client.generic(
        "POST", "/api/v1/persons", "{oops", content_type="application/json"
    )
    a_list = caller.client.generic(
        "POST", "/api/v1/persons", "[1]", content_type="application/json"
    )

    assert_error(not_json, 400, "bad_request")
    assert_error(a_list, 422, "invalid", fields=("__all__",))


def test_duplicate_id_number_is_409_with_the_existing_person_when_visible(world, as_user):
    number = world.person_a1.id_number.reveal()

    response = as_user(world.grid_worker_a).post("/persons", _new_person(world, id_number=number))

    body = assert_error(response, 409, "duplicate", fields=("id_number",))
    assert body["existing"] == {
        "id": world.person_a1.pk,
        "url": f"/api/v1/persons/{world.person_a1.pk}",
    }
    assert Person.objects.count() == 3


def test_duplicate_id_number_outside_the_callers_area_hides_the_person(world, as_user):
    number = world.person_a1.id_number.reveal()  # lives in grid A1
    data = _new_person(world, household=world.household_a2.pk, id_number=number)

    response = as_user(world.grid_worker_b).post("/persons", data)  # grid A2

    body = assert_error(response, 409, "duplicate", fields=("id_number",))
    assert "existing" not in body
    assert world.person_a1.name not in response.content.decode()


def test_view_only_role_cannot_register_a_person(world, as_user):
    response = as_user(world.by_role[Role.PARTY_MEMBER]).post("/persons", _new_person(world))

    assert_error(response, 403, "forbidden")


# --- persons: update, concurrency, notes ---------------------------------------------------


def test_person_update_changes_only_the_given_fields(world, as_user):
    response = as_user(world.grid_worker_a).patch(
        f"/persons/{world.person_a1.pk}", {"residency": "away", "version": 1}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["residency"] == "away"
    assert body["name"] == "张晓明"
    assert body["version"] == 2


def test_stale_version_is_409_conflict(world, as_user):
    caller = as_user(world.grid_worker_a)
    path = f"/persons/{world.person_a1.pk}"
    assert caller.patch(path, {"notes": "first", "version": 1}).status_code == 200

    response = caller.patch(path, {"notes": "second", "version": 1})

    assert_error(response, 409, "conflict")
    world.person_a1.refresh_from_db()
    assert world.person_a1.notes == "first"


def test_person_update_refuses_script_in_the_name(world, as_user):
    response = as_user(world.grid_worker_a).patch(
        f"/persons/{world.person_a1.pk}", {"name": "<script>alert(1)</script>"}
    )

    assert_error(response, 400, "invalid", fields=("name",))


def test_derived_fields_cannot_be_patched(world, as_user):
    response = as_user(world.grid_worker_a).patch(
        f"/persons/{world.person_a1.pk}", {"gender": "female"}
    )

    assert_error(response, 422, "invalid", fields=("gender",))


def test_markup_in_notes_is_kept_and_returned_as_data(world, as_user):
    notes = '<script>alert("x")</script><img src=x onerror=alert(1)> 需要轮椅'
    caller = as_user(world.grid_worker_a)

    caller.patch(f"/persons/{world.person_a1.pk}", {"notes": notes})
    response = caller.get(f"/persons/{world.person_a1.pk}")

    assert response["Content-Type"].startswith("application/json")
    assert response.json()["notes"] == notes


def test_oversized_notes_are_refused_naming_notes(world, as_user):
    response = as_user(world.grid_worker_a).patch(
        f"/persons/{world.person_a1.pk}", {"notes": "长" * 2001}
    )

    assert_error(response, 422, "invalid", fields=("notes",))


# --- persons: move out / in, tags ---------------------------------------------------------


def test_person_moves_out_and_back_in(world, as_user):
    caller = as_user(world.secretary)
    path = f"/persons/{world.person_a1.pk}"

    out = caller.post(f"{path}/move-out", {"note": "随子女搬往武汉"})
    again = caller.post(f"{path}/move-out", {})
    back = caller.post(
        f"{path}/move-in", {"household": world.household_a2.pk, "relation": "parent"}
    )

    assert out.status_code == 200, out.content
    assert out.json()["residency"] == "moved_out"
    assert_error(again, 400, "invalid", fields=("reason",))
    assert back.status_code == 200, back.content
    assert back.json()["household_id"] == world.household_a2.pk
    assert back.json()["residency"] == "living"


def test_move_out_date_in_the_future_is_refused(world, as_user):
    response = as_user(world.grid_worker_a).post(
        f"/persons/{world.person_a1.pk}/move-out", {"on_date": "2999-01-01"}
    )

    assert_error(response, 400, "invalid", fields=("on_date",))


def test_move_in_to_an_out_of_scope_household_is_an_error_on_household(world, as_user):
    response = as_user(world.grid_worker_a).post(
        f"/persons/{world.person_a1.pk}/move-in", {"household": world.household_b1.pk}
    )

    assert_error(response, 400, "invalid", fields=("household",))


def test_tags_are_replaced(world, as_user):
    caller = as_user(world.grid_worker_a)
    path = f"/persons/{world.person_a1.pk}/tags"

    first = caller.put(path, {"tags": ["elderly", "disabled"]})
    second = caller.put(path, {"tags": ["elderly"]})
    unknown = caller.put(path, {"tags": ["nonsense"]})

    assert first.json()["tags"] == ["elderly", "disabled"]
    assert second.json()["tags"] == ["elderly"]
    assert_error(unknown, 400, "invalid", fields=("tags",))


# --- reveal ----------------------------------------------------------------------------------


def test_reveal_gives_the_full_value_and_audits_the_purpose(world, as_user):
    response = as_user(world.grid_worker_a).post(
        f"/persons/{world.person_a1.pk}/reveal", {"field": "phone", "purpose": "上门走访需联系本人"}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"field": "phone", "value": world.person_a1.phone.reveal()}
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.filter(action="person.reveal").latest("seq")
    assert entry.actor_id == world.grid_worker_a.pk
    assert entry.object_id == str(world.person_a1.pk)
    assert entry.fields == ["phone"]
    assert entry.purpose == "上门走访需联系本人"
    assert entry.via == "api"


def test_reveal_needs_a_purpose(world, as_user):
    caller = as_user(world.grid_worker_a)
    path = f"/persons/{world.person_a1.pk}/reveal"

    missing = caller.post(path, {"field": "id_number"})
    too_short = caller.post(path, {"field": "id_number", "purpose": " 查 "})

    assert_error(missing, 422, "invalid", fields=("purpose",))
    assert_error(too_short, 400, "invalid", fields=("purpose",))
    assert not AuditEntry.objects.filter(action="person.reveal").exists()


def test_reveal_only_of_id_number_or_phone(world, as_user):
    response = as_user(world.grid_worker_a).post(
        f"/persons/{world.person_a1.pk}/reveal", {"field": "notes", "purpose": "上门走访核实"}
    )

    assert_error(response, 422, "invalid", fields=("field",))


def test_party_member_may_see_the_person_but_not_reveal(world, as_user):
    caller = as_user(world.by_role[Role.PARTY_MEMBER])
    path = f"/persons/{world.person_a1.pk}"
    assert caller.get(path).status_code == 200

    response = caller.post(f"{path}/reveal", {"field": "id_number", "purpose": "上门走访核实"})

    assert_error(response, 403, "forbidden")
    assert_masked(response)
    assert not AuditEntry.objects.filter(action="person.reveal").exists()


# --- households ------------------------------------------------------------------------------


def test_grid_worker_registers_a_household(world, as_user):
    response = as_user(world.grid_worker_a).post(
        "/households", {"building": world.building_a1.pk, "unit": "2", "room": "302"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == "玉岭花园 1栋 2单元 302室"
    assert body["community_id"] == world.community_a.pk
    assert body["status"] == "active"


def test_household_create_refuses_an_occupied_dwelling_on_room(world, as_user):
    response = as_user(world.grid_worker_a).post(
        "/households", {"building": world.building_a1.pk, "unit": "1", "room": "101"}
    )

    assert_error(response, 400, "invalid", fields=("room",))


def test_household_create_in_an_out_of_scope_building_is_an_error_on_building(world, as_user):
    response = as_user(world.grid_worker_a).post(
        "/households", {"building": world.building_b1.pk, "room": "501"}
    )

    assert_error(response, 400, "invalid", fields=("building",))
    assert not Household.objects.filter(room="501").exists()


def test_household_create_refuses_oversized_fields(world, as_user):
    response = as_user(world.grid_worker_a).post(
        "/households",
        {"building": world.building_a1.pk, "room": "1" * 21, "unit": "1" * 11, "notes": "x" * 2001},
    )

    assert_error(response, 422, "invalid", fields=("room", "unit", "notes"))


def test_household_moves_within_its_community(world, as_user):
    response = as_user(world.secretary).post(
        f"/households/{world.household_a1.pk}/move",
        {"building": world.building_a2.pk, "unit": "3", "room": "601"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["building_id"] == world.building_a2.pk
    assert response.json()["address"] == "玉岭花园 2栋 3单元 601室"


def test_household_cannot_move_into_a_building_of_another_community(world, as_user):
    # A user who may edit both communities still may not move a household between them.
    keeper = user_create(username="street_keeper", password=None)
    membership_grant(user=keeper, area=world.street, role=Role.COMMUNITY_STAFF)

    response = as_user(keeper).post(
        f"/households/{world.household_a1.pk}/move",
        {"building": world.building_b1.pk, "room": "909"},
    )

    assert_error(response, 400, "invalid", fields=("building",))
    world.household_a1.refresh_from_db()
    assert world.household_a1.building_id == world.building_a1.pk


def test_household_head_must_be_a_member(world, as_user):
    caller = as_user(world.secretary)
    path = f"/households/{world.household_a1.pk}"

    wrong = caller.patch(path, {"head": world.person_a2.pk})
    unseen = caller.patch(path, {"head": world.person_b1.pk})
    none = caller.patch(path, {"head": None})

    assert_error(wrong, 400, "invalid", fields=("head",))
    assert_error(unseen, 400, "invalid", fields=("head",))
    assert none.status_code == 200 and none.json()["head_id"] is None


def test_household_notes_keep_markup_as_data(world, as_user):
    notes = "<b>门口有狗</b><script>x()</script>"
    caller = as_user(world.grid_worker_a)

    response = caller.patch(f"/households/{world.household_a1.pk}", {"notes": notes})

    assert response.status_code == 200, response.content
    assert caller.get(f"/households/{world.household_a1.pk}").json()["notes"] == notes


# --- areas -----------------------------------------------------------------------------------


def test_secretary_adds_a_grid_and_renames_it(world, as_user):
    caller = as_user(world.secretary)

    created = caller.post(
        "/areas",
        {
            "parent": world.community_a.pk,
            "kind": "grid",
            "name": "第三网格",
            "code": "421087001001003",
        },
    )
    renamed = caller.patch(f"/areas/{created.json()['id']}", {"name": "滨江网格"})

    assert created.status_code == 201, created.content
    assert created.json()["grid_level"] == 1
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "滨江网格"


def test_area_create_refuses_a_code_that_does_not_fit(world, as_user):
    response = as_user(world.secretary).post(
        "/areas",
        {"parent": world.community_a.pk, "kind": "grid", "name": "第三网格", "code": "123"},
    )

    assert_error(response, 400, "invalid", fields=("code",))


def test_grid_worker_cannot_manage_areas(world, as_user):
    caller = as_user(world.grid_worker_a)

    created = caller.post(
        "/areas",
        {
            "parent": world.grid_a1.pk,
            "kind": "grid",
            "name": "子网格",
            "code": "421087001001001001",
        },
    )
    renamed = caller.patch(f"/areas/{world.grid_a1.pk}", {"name": "改名"})
    unseen_parent = caller.post(
        "/areas",
        {"parent": world.community_b.pk, "kind": "grid", "name": "x", "code": "421087001002009"},
    )

    assert_error(created, 403, "forbidden")
    assert_error(renamed, 403, "forbidden")
    assert_error(unseen_parent, 400, "invalid", fields=("parent",))


# --- hostile input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/persons", {"offset": 10**30}, "offset"),
        ("/persons", {"household_id": 10**30}, "household_id"),
        ("/households", {"area_id": 10**30}, "area_id"),
        ("/areas", {"parent_id": 10**30}, "parent_id"),
        ("/persons", {"q": "张\x00"}, "q"),
    ],
)
def test_numbers_past_what_the_database_holds_and_nul_are_refused_not_500(
    world, as_user, path, query, field
):
    response = as_user(world.secretary).get(path, **query)

    assert_error(response, 422, "invalid", fields=(field,))


def test_control_characters_in_text_are_refused_naming_the_field(world, as_user):
    caller = as_user(world.secretary)

    notes = caller.patch(f"/persons/{world.person_a1.pk}", {"notes": "a\x00b"})
    room = caller.post("/households", {"building": world.building_a1.pk, "room": "1\x1b"})
    tags = caller.put(f"/persons/{world.person_a1.pk}/tags", {"tags": ["elderly\x00"]})
    kept = caller.patch(f"/persons/{world.person_a1.pk}", {"notes": "第一行\n第二行\t完"})

    assert_error(notes, 422, "invalid", fields=("notes",))
    assert_error(room, 422, "invalid", fields=("room",))
    assert_error(tags, 422, "invalid", fields=("tags",))
    assert kept.status_code == 200


def test_a_huge_body_id_is_refused_on_its_field(world, as_user):
    response = as_user(world.secretary).post("/persons", _new_person(world, household=10**30))

    assert_error(response, 422, "invalid", fields=("household",))


# --- language ----------------------------------------------------------------------------


def test_messages_are_chinese_by_default_and_follow_the_chosen_language(world, as_user):
    caller = as_user(world.grid_worker_a)

    chinese = caller.post("/persons", {"household": world.household_a1.pk, "name": "赵丽华"})
    caller.client.cookies["django_language"] = "en"
    english = caller.post("/persons", {"household": world.household_a1.pk, "name": "赵丽华"})

    from django.utils import translation

    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    assert chinese["Content-Language"] == "zh-hans"
    assert required != "This field is required."
    assert chinese.json()["fields"]["id_number"] == [required]
    assert english.json()["fields"]["id_number"] == ["This field is required."]
