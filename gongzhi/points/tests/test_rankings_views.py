"""The rankings pages and the API operation: who reaches which node, what the pages say."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.services import user_create
from gongzhi.points import ledger
from gongzhi.points.models import EntryKind, HolderKind

_sources = itertools.count(1)
PAGE = "points_rankings:page"
MINE = "points_rankings_m:mine"
API = "/api/v1/points/rankings"


def award(user, points, area, *, as_=HolderKind.VOLUNTEER, when=None):
    ledger.entry_post(
        holder=user, kind=EntryKind.AWARD, points=points, hours=1,
        source=f"view-test:{next(_sources)}", area_path=area.path, holder_kind=as_,
        at=when or timezone.now(),
    )  # fmt: skip


@pytest.fixture
def earned(world):
    """A volunteer of grid A1, a party member of grid A2, and the resident (张晓明, of
    household A1), with points this month; someone of community B too."""
    world.resident.person = world.person_a1
    world.resident.save(update_fields=["person"])
    volunteer = user_create(username="v1", display_name="李志愿", password=None)
    member = user_create(username="p1", display_name="王党员", password=None)
    other = user_create(username="b1", display_name="赵外区", password=None)
    award(volunteer, 30, world.building_a1)
    award(member, 20, world.building_a2, as_=HolderKind.PARTY_MEMBER)
    award(world.resident, 5, world.building_a1, as_=HolderKind.RESIDENT)
    award(other, 99, world.building_b1)
    return world


def test_the_secretary_sees_the_community_with_full_names_and_the_rule(client, earned):
    client.force_login(earned.secretary)
    response = client.get(reverse(PAGE), {"area": earned.community_a.pk, "period": "year"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "李志愿" in body and "王党员" in body and "张晓明" in body
    assert "赵外区" not in body  # another community's
    assert "whoever reached the score first" in body or "谁先达到" in body


def test_a_grid_worker_gets_their_grid_by_default_and_404_for_the_community(client, earned):
    client.force_login(earned.grid_worker_a)
    response = client.get(reverse(PAGE))
    body = response.content.decode()
    assert response.status_code == 200 and "李志愿" in body and "王党员" not in body
    for area in (earned.community_a, earned.grid_a2, earned.grid_b1, earned.building_a1):
        assert client.get(reverse(PAGE), {"area": area.pk}).status_code == 404
        assert client.get(API, {"area": area.pk}).status_code == 404
    assert client.get(reverse(PAGE), {"area": "x"}).status_code == 404


def test_a_bad_period_is_a_400_naming_the_rule(client, earned):
    client.force_login(earned.secretary)
    response = client.get(reverse(PAGE), {"period": "2026-13"})
    assert response.status_code == 400
    assert "2026-03" in response.content.decode()
    answer = client.get(API, {"period": "2026-13"})
    assert answer.status_code == 400 and "period" in answer.json()["fields"]


def test_the_api_ranks_the_three_lists_apart(client, earned):
    client.force_login(earned.secretary)
    answer = client.get(API, {"area": earned.community_a.pk, "top": 5})
    assert answer.status_code == 200
    data = answer.json()
    assert data["area"]["id"] == earned.community_a.pk and data["top"] == 5
    assert [(p["name"], p["place"], p["points"]) for p in data["volunteers"]] == [("李志愿", 1, 30)]
    assert [p["name"] for p in data["party_members"]] == ["王党员"]
    assert [p["name"] for p in data["residents"]] == ["张晓明"]
    assert client.get(API, {"top": 0}).status_code in (400, 422)


def test_staff_without_points_view_get_404(client, earned):
    for user in (earned.by_role["police"], earned.resident, earned.outsider):
        client.force_login(user)
        assert client.get(reverse(PAGE)).status_code == 404
        assert client.get(API).status_code == 404


def test_the_resident_sees_their_community_masked_and_their_own_place(client, earned):
    client.force_login(earned.resident)
    response = client.get(reverse(MINE))
    body = response.content.decode()
    assert response.status_code == 200
    assert "李*愿" in body and "王*员" in body and "张*明" in body
    assert "李志愿" not in body and "张晓明" not in body and "赵外区" not in body
    assert 'class="me"' in body
    grid = client.get(reverse(MINE), {"node": "grid", "period": "year"}).content.decode()
    assert "李*愿" in grid and "王*员" not in grid  # grid A1 only


def test_the_phone_page_keeps_elder_mode(client, earned):
    client.force_login(earned.resident)
    body = client.get(reverse(MINE), {"elder": "1"}).content.decode()
    assert 'class="portal elder"' in body
    earned.resident.refresh_from_db()
    assert earned.resident.elder_mode


def test_someone_with_no_place_is_told_why(client, earned):
    client.force_login(earned.outsider)
    response = client.get(reverse(MINE))
    assert response.status_code == 200
    assert "?node=" not in response.content.decode()  # no ranking, no tabs


def test_the_phone_page_asks_to_sign_in(client):
    response = client.get(reverse(MINE))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_a_volunteer_without_a_household_sees_the_community_they_serve(client, earned):
    volunteer = earned.by_role["volunteer"]  # a volunteer of community A, no person
    award(volunteer, 7, earned.community_a)
    client.force_login(volunteer)
    body = client.get(reverse(MINE)).content.decode()
    assert earned.community_a.name in body and "李*愿" in body


def test_last_month_entries_are_not_in_this_month(client, earned):
    user = user_create(username="old", display_name="钱旧人", password=None)
    award(user, 50, earned.building_a1, when=timezone.now() - dt.timedelta(days=62))
    client.force_login(earned.resident)
    assert "钱*人" not in client.get(reverse(MINE)).content.decode()
