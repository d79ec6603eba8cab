import datetime as dt

import pytest
from django.urls import reverse

from gongzhi.audit.models import AuditEntry
from gongzhi.registry import services
from gongzhi.registry.models import Household, Person, Residency
from gongzhi.testing import make_id_number

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_grid_worker_a(client, world):
    client.force_login(world.grid_worker_a)
    return client


def _url(name, *args):
    return reverse(f"registry:{name}", args=args)


# --- scope: pages render in scope, 404 outside -------------------------------------------------


def test_household_list_shows_only_the_grid_workers_own_grid(as_grid_worker_a, world):
    body = as_grid_worker_a.get(_url("household_list")).content.decode()
    assert world.household_a1.address in body
    assert world.household_a2.address not in body
    assert world.household_b1.address not in body


def test_grid_worker_of_grid_a_cannot_open_a_household_of_grid_b(as_grid_worker_a, world):
    assert as_grid_worker_a.get(_url("household_detail", world.household_a2.pk)).status_code == 404


def test_a_missing_household_is_404_like_an_out_of_scope_one(as_grid_worker_a, world):
    assert as_grid_worker_a.get(_url("household_detail", 999999)).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["household_detail", "household_edit", "household_move", "person_create"],
)
def test_household_pages_render_in_scope(as_grid_worker_a, world, name):
    assert as_grid_worker_a.get(_url(name, world.household_a1.pk)).status_code == 200


@pytest.mark.parametrize(
    "name",
    ["household_detail", "household_edit", "household_move", "person_create"],
)
def test_household_pages_are_404_out_of_scope(as_grid_worker_a, world, name):
    assert as_grid_worker_a.get(_url(name, world.household_b1.pk)).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["person_detail", "person_edit", "person_move_out", "person_move_in", "person_tags"],
)
def test_person_pages_render_in_scope(as_grid_worker_a, world, name):
    assert as_grid_worker_a.get(_url(name, world.person_a1.pk)).status_code == 200


@pytest.mark.parametrize(
    "name",
    ["person_detail", "person_edit", "person_move_out", "person_move_in", "person_tags"],
)
def test_person_pages_are_404_out_of_scope(as_grid_worker_a, world, name):
    assert as_grid_worker_a.get(_url(name, world.person_a2.pk)).status_code == 404


def test_reveal_page_is_404_out_of_scope(as_grid_worker_a, world):
    url = _url("person_reveal", world.person_b1.pk, "phone")
    assert as_grid_worker_a.get(url).status_code == 404


def test_reveal_of_another_field_is_404(as_grid_worker_a, world):
    url = _url("person_reveal", world.person_a1.pk, "name")
    assert as_grid_worker_a.get(url).status_code == 404


def test_area_tree_starts_at_the_grid_workers_grid(as_grid_worker_a, world):
    body = as_grid_worker_a.get(_url("area_tree")).content.decode()
    assert world.grid_a1.name in body
    assert world.grid_a2.name not in body


def test_area_children_come_as_a_fragment_for_htmx(client, world):
    client.force_login(world.secretary)
    response = client.get(_url("area_children", world.community_a.pk), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert world.grid_a1.name in body
    assert "<html" not in body


def test_area_outside_the_users_scope_is_404(as_grid_worker_a, world):
    assert as_grid_worker_a.get(_url("area_children", world.grid_b1.pk)).status_code == 404


def test_household_list_filtered_by_an_area_outside_scope_is_404(as_grid_worker_a, world):
    url = f"{_url('household_list')}?area={world.grid_b1.pk}"
    assert as_grid_worker_a.get(url).status_code == 404


@pytest.mark.parametrize("who", ["resident", "outsider"])
def test_residents_and_outsiders_get_404_on_the_register(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(_url("household_list")).status_code == 404
    assert client.get(_url("household_detail", world.household_a1.pk)).status_code == 404
    assert client.get(_url("person_detail", world.person_a1.pk)).status_code == 404
    assert client.get(_url("area_tree")).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(_url("household_detail", world.household_a1.pk))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_role_that_may_only_view_gets_403_on_edit(client, world):
    client.force_login(world.by_role["police"])
    assert client.get(_url("person_detail", world.person_a1.pk)).status_code == 200
    assert client.get(_url("person_edit", world.person_a1.pk)).status_code == 403


# --- search and filters ------------------------------------------------------------------------


def test_household_search_finds_by_pinyin_initials(as_grid_worker_a, world):
    response = as_grid_worker_a.get(_url("household_list"), {"q": "zxm"})
    assert list(response.context["page_obj"]) == [world.household_a1]


def test_household_search_finds_by_full_phone(as_grid_worker_a, world):
    phone = world.person_a1.phone.reveal()
    response = as_grid_worker_a.get(_url("household_list"), {"q": phone})
    assert list(response.context["page_obj"]) == [world.household_a1]


def test_household_search_does_not_reach_outside_the_grid(as_grid_worker_a, world):
    response = as_grid_worker_a.get(_url("household_list"), {"q": world.person_a2.name})
    assert list(response.context["page_obj"]) == []


def test_household_list_filters_by_status(as_grid_worker_a, world):
    response = as_grid_worker_a.get(_url("household_list"), {"status": "vacant"})
    assert list(response.context["page_obj"]) == []


def test_household_list_filters_by_tag(as_grid_worker_a, world):
    services.person_tag_set(actor=None, person=world.person_a1, tag_codes=["elderly_alone"])
    response = as_grid_worker_a.get(_url("household_list"), {"tag": "elderly_alone"})
    assert list(response.context["page_obj"]) == [world.household_a1]


def test_household_list_answers_htmx_with_only_the_results(as_grid_worker_a, world):
    response = as_grid_worker_a.get(
        _url("household_list"), {"q": "zxm"}, HTTP_HX_TARGET="results", **HTMX
    )
    body = response.content.decode()
    assert 'id="results"' in body
    assert "<html" not in body


def test_household_list_is_paginated_by_50(client, world):
    for room in range(1, 56):
        services.household_create(actor=None, building=world.building_a1, unit="2", room=str(room))
    client.force_login(world.grid_worker_a)
    response = client.get(_url("household_list"))
    page = response.context["page_obj"]
    assert len(page.object_list) == 50
    assert page.paginator.num_pages == 2


# --- households ----------------------------------------------------------------------------------


def test_household_create_registers_a_household(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("household_create"),
        {"building": world.building_a1.pk, "unit": "3", "room": "302", "status": "active"},
    )
    household = Household.objects.get(building=world.building_a1, unit="3", room="302")
    assert response.url == _url("household_detail", household.pk)


def test_household_create_without_a_room_shows_the_error_on_room(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("household_create"),
        {"building": world.building_a1.pk, "unit": "3", "room": "", "status": "active"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["room"]
    assert 'id="id_room-errors"' in response.content.decode()


def test_household_create_in_a_building_of_another_grid_is_refused(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("household_create"),
        {"building": world.building_a2.pk, "room": "909", "status": "active"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["building"]
    assert not Household.objects.filter(room="909").exists()


def test_household_edit_saves_notes(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("household_edit", world.household_a1.pk),
        {"unit": "1", "room": "101", "status": "active", "head": "", "notes": "新装防盗门"},
    )
    assert response.status_code == 302
    world.household_a1.refresh_from_db()
    assert world.household_a1.notes == "新装防盗门"


def test_notes_with_script_are_shown_escaped(as_grid_worker_a, world):
    services.household_update(
        actor=None, household=world.household_a1, data={"notes": "<script>alert(1)</script>"}
    )
    body = as_grid_worker_a.get(_url("household_detail", world.household_a1.pk)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_household_move_moves_to_another_room_in_the_grid(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("household_move", world.household_a1.pk),
        {"building": world.building_a1.pk, "unit": "2", "room": "202"},
    )
    assert response.status_code == 302
    world.household_a1.refresh_from_db()
    assert world.household_a1.room == "202"


# --- persons -------------------------------------------------------------------------------------


def test_person_create_registers_a_person_with_tags(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_create", world.household_a1.pk),
        {
            "name": "张小红",
            "id_number": make_id_number(male=False),
            "phone": "13900001111",
            "ethnicity": "01",
            "relation": "child",
            "residency": "living",
            "tags": ["disabled"],
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="张小红")
    assert [t.code for t in person.tags.all()] == ["disabled"]


def test_person_create_reports_every_bad_field_at_once(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_create", world.household_a1.pk),
        {
            "name": "",
            "id_number": "123",
            "phone": "12",
            "ethnicity": "01",
            "relation": "child",
            "residency": "living",
        },
    )
    errors = response.context["form"].errors
    assert {"name", "id_number", "phone"} <= set(errors)


def test_person_edit_with_a_bad_phone_shows_the_error_on_phone_and_saves_nothing(
    as_grid_worker_a, world
):
    before = world.person_a1.phone.reveal()
    response = as_grid_worker_a.post(
        _url("person_edit", world.person_a1.pk),
        {
            "name": "张晓明",
            "phone": "12345",
            "ethnicity": "01",
            "relation": "head",
            "residency": "living",
            "version": world.person_a1.version,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert 'id="id_phone-errors"' in response.content.decode()
    person = Person.objects.get(pk=world.person_a1.pk)
    assert person.phone.reveal() == before
    assert person.version == world.person_a1.version


def test_person_edit_corrects_the_phone_number(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_edit", world.person_a1.pk),
        {
            "name": "张晓明",
            "phone": "13712345678",
            "ethnicity": "01",
            "relation": "head",
            "residency": "living",
            "version": world.person_a1.version,
        },
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=world.person_a1.pk).phone.reveal() == "13712345678"


def test_person_edit_never_puts_the_full_id_number_in_the_page(as_grid_worker_a, world):
    body = as_grid_worker_a.get(_url("person_edit", world.person_a1.pk)).content.decode()
    assert world.person_a1.id_number.reveal() not in body
    assert world.person_a1.phone.reveal() not in body


def test_person_edit_after_someone_elses_edit_reports_a_conflict(as_grid_worker_a, world):
    services.person_update(actor=None, person=world.person_a1, data={"notes": "已走访"})
    response = as_grid_worker_a.post(
        _url("person_edit", world.person_a1.pk),
        {
            "name": "张晓明",
            "ethnicity": "01",
            "relation": "head",
            "residency": "living",
            "notes": "",
            "version": world.person_a1.version,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_duplicate_id_number_links_to_the_person_when_visible(client, world):
    client.force_login(world.secretary)
    response = client.post(
        _url("person_create", world.household_a1.pk),
        {
            "name": "李秀英",
            "id_number": world.person_a2.id_number.reveal(),
            "ethnicity": "01",
            "relation": "other",
            "residency": "living",
        },
    )
    assert response.context["form"].errors["id_number"]
    assert _url("person_detail", world.person_a2.pk) in response.content.decode()


def test_duplicate_id_number_outside_scope_names_no_one_and_has_no_link(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_create", world.household_a1.pk),
        {
            "name": "王建国",
            "id_number": world.person_b1.id_number.reveal(),
            "ethnicity": "01",
            "relation": "other",
            "residency": "living",
        },
    )
    body = response.content.decode()
    assert response.context["form"].errors["id_number"]
    assert _url("person_detail", world.person_b1.pk) not in body
    assert world.household_b1.address not in body


def test_move_out_records_the_person_as_moved_out(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_move_out", world.person_a1.pk),
        {"reason": "moved_out", "on_date": dt.date.today().isoformat(), "note": "去外地工作"},
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=world.person_a1.pk).residency == Residency.MOVED_OUT


def test_move_out_with_a_future_date_shows_the_error_on_the_date(as_grid_worker_a, world):
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = as_grid_worker_a.post(
        _url("person_move_out", world.person_a1.pk), {"reason": "moved_out", "on_date": future}
    )
    assert response.context["form"].errors["on_date"]
    assert Person.objects.get(pk=world.person_a1.pk).residency == Residency.LIVING


def test_move_in_brings_a_moved_out_person_back(as_grid_worker_a, world):
    services.person_move_out(actor=None, person=world.person_a1)
    response = as_grid_worker_a.post(
        _url("person_move_in", world.person_a1.pk),
        {"household": world.household_a1.pk, "relation": "head", "residency": "living"},
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=world.person_a1.pk).residency == Residency.LIVING


def test_move_in_to_a_household_outside_scope_is_refused_on_the_field(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_move_in", world.person_a1.pk),
        {"household": world.household_b1.pk, "relation": "other", "residency": "living"},
    )
    assert response.context["form"].errors["household"]
    assert Person.objects.get(pk=world.person_a1.pk).household_id == world.household_a1.pk


def test_move_in_search_lists_matching_households(client, world):
    client.force_login(world.secretary)
    response = client.get(
        _url("person_move_in", world.person_a1.pk),
        {"q": "2栋"},
        HTTP_HX_TARGET="pick-results",
        **HTMX,
    )
    assert world.household_a2 in response.context["candidates"]
    assert "<html" not in response.content.decode()


def test_tags_are_set_from_the_inline_form(as_grid_worker_a, world):
    response = as_grid_worker_a.post(
        _url("person_tags", world.person_a1.pk), {"tags": ["elderly_alone", "party_member"]}, **HTMX
    )
    assert response.status_code == 200
    assert 'id="person-tags"' in response.content.decode()
    codes = set(Person.objects.get(pk=world.person_a1.pk).tags.values_list("code", flat=True))
    assert codes == {"elderly_alone", "party_member"}


def test_person_page_shows_masked_values_only(as_grid_worker_a, world):
    body = as_grid_worker_a.get(_url("person_detail", world.person_a1.pk)).content.decode()
    assert world.person_a1.id_number.reveal() not in body
    assert str(world.person_a1.id_number) in body


# --- reveal --------------------------------------------------------------------------------------


def test_roles_with_reveal_see_the_reveal_button(as_grid_worker_a, world):
    body = as_grid_worker_a.get(_url("person_detail", world.person_a1.pk)).content.decode()
    assert _url("person_reveal", world.person_a1.pk, "id_number") in body


def test_roles_without_reveal_see_no_reveal_button(client, world):
    client.force_login(world.by_role["party_member"])
    body = client.get(_url("person_detail", world.person_a1.pk)).content.decode()
    assert _url("person_reveal", world.person_a1.pk, "id_number") not in body


def test_roles_without_reveal_get_403_on_the_reveal_url(client, world):
    client.force_login(world.by_role["party_member"])
    url = _url("person_reveal", world.person_a1.pk, "id_number")
    assert client.post(url, {"purpose": "入户走访核对"}).status_code == 403


def test_reveal_without_a_purpose_shows_the_error_and_reveals_nothing(as_grid_worker_a, world):
    url = _url("person_reveal", world.person_a1.pk, "phone")
    response = as_grid_worker_a.post(url, {"purpose": ""}, **HTMX)
    body = response.content.decode()
    assert response.context["form"].errors["purpose"]
    assert world.person_a1.phone.reveal() not in body
    assert not AuditEntry.objects.filter(action="person.reveal").exists()


def test_reveal_with_a_purpose_shows_the_value_and_writes_an_audit_entry(as_grid_worker_a, world):
    url = _url("person_reveal", world.person_a1.pk, "phone")
    response = as_grid_worker_a.post(url, {"purpose": "电话通知核酸检测"}, **HTMX)
    assert world.person_a1.phone.reveal() in response.content.decode()
    assert "<html" not in response.content.decode()
    entry = AuditEntry.objects.get(action="person.reveal")
    assert entry.purpose == "电话通知核酸检测"
    assert entry.fields == ["phone"]
    assert entry.actor_name == "grid_worker_a"


def test_reveal_responses_are_not_cached(as_grid_worker_a, world):
    url = _url("person_reveal", world.person_a1.pk, "phone")
    response = as_grid_worker_a.post(url, {"purpose": "电话通知核酸检测"}, **HTMX)
    assert "no-store" in response["Cache-Control"]


def test_reveal_form_comes_inline_for_htmx(as_grid_worker_a, world):
    url = _url("person_reveal", world.person_a1.pk, "id_number")
    body = as_grid_worker_a.get(url, **HTMX).content.decode()
    assert 'name="purpose"' in body
    assert "<html" not in body


def test_household_list_runs_the_same_queries_for_5_or_50_rows(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.grid_worker_a)

    def add_households(count: int, unit: str) -> None:
        for room in range(1, count + 1):
            household = services.household_create(
                actor=None, building=world.building_a1, unit=unit, room=str(room)
            )
            services.person_create(
                actor=None,
                household=household,
                data={"name": "赵六", "id_number": make_id_number(), "relation": "head"},
            )

    def queries_for_list() -> int:
        client.get(_url("household_list"))  # warm the session, tags and grids
        with CaptureQueriesContext(connection) as captured:
            response = client.get(_url("household_list"))
        assert response.status_code == 200
        return len(captured.captured_queries)

    add_households(4, "5")
    few = queries_for_list()
    add_households(49, "6")
    many = queries_for_list()
    assert few == many


def test_person_page_queries_do_not_grow_with_its_history(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.grid_worker_a)
    for n in range(20):
        services.person_update(actor=None, person=world.person_a1, data={"notes": f"走访 {n}"})
    # 14, and one each for the family proxies and who serves the household (issue 12).
    with django_assert_max_num_queries(16):
        client.get(_url("person_detail", world.person_a1.pk))


def test_household_page_queries_do_not_grow_with_its_members(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.grid_worker_a)
    for _ in range(8):
        services.person_create(
            actor=None,
            household=world.household_a1,
            data={"name": "赵六", "id_number": make_id_number(), "relation": "child"},
            tags=["disabled"],
        )
    # 14, and one for who serves the household (issue 12).
    with django_assert_max_num_queries(15):
        client.get(_url("household_detail", world.household_a1.pk))
