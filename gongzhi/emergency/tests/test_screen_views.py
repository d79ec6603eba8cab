"""The big screen's pages: who may open which screen, the page (no inline script), the
JSON it refetches, the chooser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.core import clock
from gongzhi.emergency.models import Mode, ModeState
from gongzhi.emergency.tests.screen_world import NOW, populate

pytestmark = pytest.mark.django_db


def _get(client, user, name, **kwargs):
    client.force_login(user)
    return client.get(reverse(name, kwargs=kwargs))


def test_the_secretary_opens_the_community_screen(client, world):
    expected = populate(world)
    with clock.freeze(NOW):
        response = _get(client, world.secretary, "screen:page", area_id=world.community_a.pk)
    assert response.status_code == 200
    body = response.content.decode()
    assert "玉岭社区" in body and "第一网格" in body and "第二网格" in body
    assert response.context["data"]["totals"] == expected["community_a"]
    assert reverse("screen:data", kwargs={"area_id": world.community_a.pk}) in body
    assert "echarts.min.js" in body and "emergency/screen.js" in body


def test_the_page_has_no_inline_script(client, world):
    response = _get(client, world.secretary, "screen:page", area_id=world.community_a.pk)
    body = response.content.decode()
    # Only data blocks (json_script) and static files: the CSP allows nothing else.
    import re

    for tag in re.findall(r"<script[^>]*>", body):
        assert 'type="application/json"' in tag or "src=" in tag, tag
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_data_json_is_the_screen_data(client, world):
    expected = populate(world)
    with clock.freeze(NOW):
        response = _get(client, world.secretary, "screen:data", area_id=world.community_a.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["totals"] == expected["community_a"]
    assert [r["name"] for r in data["rows"]] == ["第一网格", "第二网格"]


def test_a_grid_worker_cannot_open_another_community(client, world):
    community_b = world.community_b
    for name in ("screen:page", "screen:data"):
        assert _get(client, world.grid_worker_a, name, area_id=community_b.pk).status_code == 404


def test_a_grid_worker_cannot_open_a_whole_community_or_the_street(client, world):
    for area in (world.community_a, world.street):
        assert _get(client, world.grid_worker_a, "screen:page", area_id=area.pk).status_code == 404


def test_the_secretary_cannot_open_the_street_or_the_other_community(client, world):
    for area in (world.street, world.community_b):
        response = _get(client, world.secretary, "screen:data", area_id=area.pk)
        assert response.status_code == 404


def test_a_street_officer_opens_the_street_and_its_communities(client, world):
    officer = world.by_role[Role.STREET_OFFICER]
    for area in (world.street, world.community_a, world.community_b):
        assert _get(client, officer, "screen:page", area_id=area.pk).status_code == 200
    data = _get(client, officer, "screen:data", area_id=world.street.pk).json()
    assert [r["name"] for r in data["rows"]] == ["玉岭社区", "江边社区"]


def test_a_grid_or_building_has_no_screen_even_for_its_keeper(client, world):
    officer = world.by_role[Role.STREET_OFFICER]
    for area in (world.grid_a1, world.building_a1):
        assert _get(client, officer, "screen:page", area_id=area.pk).status_code == 404


def test_a_missing_area_is_404(client, world):
    assert _get(client, world.secretary, "screen:page", area_id=999_999).status_code == 404


def test_residents_and_outsiders_see_nothing(client, world):
    for user in (world.resident, world.outsider, world.by_role[Role.VOLUNTEER]):
        for name, kwargs in (
            ("screen:index", {}),
            ("screen:page", {"area_id": world.community_a.pk}),
        ):
            assert _get(client, user, name, **kwargs).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(reverse("screen:data", kwargs={"area_id": world.community_a.pk}))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_the_index_sends_a_one_community_user_straight_to_it(client, world):
    response = _get(client, world.secretary, "screen:index")
    assert response.status_code == 302
    assert response["Location"] == reverse("screen:page", kwargs={"area_id": world.community_a.pk})


def test_the_index_lists_the_street_and_its_communities_for_the_officer(client, world):
    response = _get(client, world.by_role[Role.STREET_OFFICER], "screen:index")
    assert response.status_code == 200
    body = response.content.decode()
    for area in (world.street, world.community_a, world.community_b):
        assert reverse("screen:page", kwargs={"area_id": area.pk}) in body


def test_the_index_explains_to_a_grid_worker(client, world):
    response = _get(client, world.grid_worker_a, "screen:index")
    assert response.status_code == 200
    assert response.context["areas"] == []


def test_the_emergency_banner_shows_in_emergency_mode_only(client, world):
    url_kwargs = {"area_id": world.community_a.pk}
    calm = _get(client, world.secretary, "screen:page", **url_kwargs).content.decode()
    assert 'id="screen-banner" role="status" hidden' in calm
    assert "screen-normal" in calm
    ModeState.objects.create(
        area=world.community_a, area_path=world.community_a.path, mode=Mode.EMERGENCY,
        kind="flood", since=NOW,
    )  # fmt: skip
    urgent = client.get(reverse("screen:page", kwargs=url_kwargs) + "?fresh=1").content.decode()
    assert 'id="screen-banner" role="status">' in urgent
    assert "screen-emergency" in urgent


def test_the_page_hides_the_panels_the_mode_leaves_out(client, world):
    calm = _get(client, world.secretary, "screen:page", area_id=world.community_a.pk)
    body = calm.content.decode()
    assert 'data-figure="households"' in body
    assert 'data-figure="isolation"' not in body  # not a normal-mode panel


def test_the_workbench_menu_links_to_the_screens_for_their_holders_only(client, world):
    link = f'href="{reverse("screen:index")}"'
    assert link in _get(client, world.secretary, "web:home").content.decode()
    assert link not in _get(client, world.by_role[Role.VOLUNTEER], "web:home").content.decode()


def test_the_table_has_a_row_for_what_lies_in_no_grid(client, world):
    populate(world)
    with clock.freeze(NOW):
        response = _get(client, world.secretary, "screen:page", area_id=world.community_a.pk)
    names = [name for name, _emergency, _values in response.context["table"]]
    assert names[:2] == ["第一网格", "第二网格"] and len(names) == 3  # + "not in a grid"
