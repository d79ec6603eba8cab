"""The mode page, the confirm step and the switch, the profiles page, the emergency home on
the workbench and on /m/."""

import json

import pytest
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.emergency import switching
from gongzhi.emergency.models import Mode, ModeProfile, ModeState, ModeSwitch


@pytest.fixture
def client_of(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def _emergency(world):
    switching.mode_switch(
        actor=world.secretary, area=world.community_a, to_mode=Mode.EMERGENCY,
        kind="epidemic", reason="本地出现聚集性疫情",
    )  # fmt: skip


def test_the_mode_page_lists_the_communities_in_scope(world, client_of):
    response = client_of(world.by_role[Role.STREET_OFFICER]).get(reverse("emergency:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "玉岭社区" in body and "江边社区" in body

    response = client_of(world.grid_worker_a).get(reverse("emergency:index"))
    body = response.content.decode()
    assert "玉岭社区" in body and "江边社区" not in body
    assert reverse("emergency:switch") not in body  # a grid worker does not switch


def test_a_switch_needs_a_confirm_step(world, client_of):
    client = client_of(world.secretary)
    data = {
        "community": world.community_a.pk, "mode": "emergency", "kind": "flood",
        "reason": "暴雨预警",
    }  # fmt: skip
    response = client.post(reverse("emergency:switch"), data)
    assert response.status_code == 200
    assert 'name="confirm" value="1"' in response.content.decode()
    assert not ModeSwitch.objects.exists()

    response = client.post(reverse("emergency:switch"), {**data, "confirm": "1"})
    assert response.status_code == 302
    assert ModeState.objects.get(area=world.community_a).mode == Mode.EMERGENCY


def test_a_refused_switch_shows_the_error(world, client_of):
    response = client_of(world.secretary).post(
        reverse("emergency:switch"),
        {"community": world.community_a.pk, "mode": "emergency", "reason": "x", "confirm": "1"},
    )
    assert response.status_code == 400
    assert not ModeSwitch.objects.exists()


def test_a_community_out_of_scope_is_not_found(world, client_of):
    response = client_of(world.secretary).post(
        reverse("emergency:switch"),
        {"community": world.community_b.pk, "mode": "emergency", "kind": "fire", "reason": "x"},
    )
    assert response.status_code == 404


def test_the_profiles_page_saves_a_version(world, client_of):
    client = client_of(world.by_role[Role.COMMUNITY_STAFF])
    url = reverse("emergency:profiles")
    assert client.get(url).status_code == 200
    config = {"sla_factor": 0.3, "duties": [{"title": "晨检", "role": "doctor", "time": "07:30"}]}
    response = client.post(
        url,
        {"community": world.community_a.pk, "mode": "emergency",
         "config": json.dumps(config), "reason": "调整"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ModeProfile.objects.get().config["sla_factor"] == 0.3
    page = client.get(f"{url}?community={world.community_a.pk}&mode=emergency").content.decode()
    assert "晨检" in page and "0.3" in page


def test_the_profiles_page_shows_errors_naming_the_key(world, client_of):
    response = client_of(world.secretary).post(
        reverse("emergency:profiles"),
        {"community": world.community_a.pk, "mode": "emergency",
         "config": '{"sla_factor": 3}', "reason": "调整"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "sla_factor" in response.content.decode()
    response = client_of(world.secretary).post(
        reverse("emergency:profiles"),
        {"community": world.community_a.pk, "mode": "emergency", "config": "{", "reason": "x"},
    )
    assert response.status_code == 400
    assert not ModeProfile.objects.exists()


def test_the_workbench_home_shows_the_emergency_first(world, client_of):
    switching.profile_save(
        actor=world.secretary, area=world.community_a, mode=Mode.EMERGENCY,
        config={"duties": [
            {"title": "网格巡查", "role": "grid_worker", "time": "10:00"},
            {"title": "晨检体温汇总", "role": "doctor", "time": "08:00"},
        ], "workbench_links": ["health:watchlist"]},
        reason="配置",
    )  # fmt: skip
    client = client_of(world.grid_worker_a)
    body = client.get(reverse("web:home")).content.decode()
    assert "emergency-banner" not in body

    _emergency(world)
    body = client.get(reverse("web:home")).content.decode()
    assert "emergency-banner" in body
    assert "本地出现聚集性疫情" in body
    assert "网格巡查" in body and "晨检体温汇总" not in body  # the grid worker's duties only
    assert reverse("health:watchlist") in body
    assert body.index("emergency-banner") < body.index('id="home-search"')

    other = client_of(world.by_role[Role.STREET_OFFICER])
    assert "emergency-banner" in other.get(reverse("emergency:home")).content.decode()


def test_the_residents_home_shows_the_emergency_services_first(world, client_of):
    world.resident.person = world.person_a1
    world.resident.save()
    switching.profile_save(
        actor=world.secretary, area=world.community_a, mode=Mode.EMERGENCY,
        config={"portal_services": ["health_me:status"]}, reason="配置",
    )  # fmt: skip
    client = client_of(world.resident)
    body = client.get(reverse("portal:home")).content.decode()
    assert "emergency-banner" not in body

    _emergency(world)
    for elder in (False, True):
        world.resident.elder_mode = elder
        world.resident.save()
        body = client.get(reverse("portal:home")).content.decode()
        assert "emergency-banner" in body
        assert reverse("health_me:status") in body
        assert body.index("emergency-banner") < body.index("tile-grid", body.index("</section>"))
    body = client.get(reverse("emergency_home_m:index")).content.decode()
    assert "本地出现聚集性疫情" in body


def test_services_that_do_not_resolve_are_left_out(world, client_of):
    from gongzhi.emergency import home

    links = home.links(["emergency_m:no_such_page", "health_me:status"])
    assert [link.name for link in links] == ["health_me:status"]
