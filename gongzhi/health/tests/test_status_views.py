"""The pages: a resident sees their own status (or the parent's they act for) and their
health data; the grid worker sees their grid's statuses, names masked; the community's
staff edit the rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from gongzhi.accounts import acting
from gongzhi.accounts.services import proxy_link_create
from gongzhi.core import clock
from gongzhi.core.masking import mask_name
from gongzhi.health import status, status_rules
from gongzhi.health.models import StatusRuleSet
from gongzhi.health.tests import status_factories as f
from gongzhi.testing import _user

NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.freeze(NOW):
        yield


@pytest.fixture
def a1_user(world):
    user = _user("zhang")
    user.person = world.person_a1
    user.save(update_fields=["person"])
    return user


def _red(person):
    f.sample(person, hours_ago=2, result="positive")
    status.status_refresh([person.pk])


# --- /m/health/me/ ---------------------------------------------------------------------------


def test_a_resident_sees_their_own_status_with_its_word_and_reason(client, world, a1_user):
    _red(world.person_a1)
    client.force_login(a1_user)
    response = client.get(reverse("health_me:status"))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["shown"].color == "red"
    assert "health-code red" in body and "红码：12月6日 检测结果阳性" in body
    assert str(response.context["word"]) in body  # the colour in words too


def test_without_a_stored_status_the_rules_give_one_without_writing_it(client, world, a1_user):
    from gongzhi.health.models import HealthStatus

    client.force_login(a1_user)
    response = client.get(reverse("health_me:status"))
    assert response.context["shown"].color == "green"
    assert not response.context["shown"].stored
    assert not HealthStatus.objects.exists()


def test_acting_for_a_parent_shows_the_parents_status(client, world, a1_user):
    _red(world.person_a2)
    link = proxy_link_create(user=a1_user, person=world.person_a2, relation="child")
    client.force_login(a1_user)
    session = client.session
    session[acting.SESSION_KEY] = link.person_id
    session.save()
    response = client.get(reverse("health_me:status"))
    assert response.context["shown"].color == "red"
    assert response.context["name"] == mask_name(world.person_a2.name)


def test_a_user_without_a_person_is_told_so(client, world):
    client.force_login(world.resident)
    response = client.get(reverse("health_me:status"))
    assert response.status_code == 200 and response.context["shown"] is None


def test_the_residents_data_page_lists_only_their_own(client, world, a1_user):
    f.declaration(world.person_a1, community=world.community_a)
    f.sample(world.person_a2)
    client.force_login(a1_user)
    lines = client.get(reverse("health_me:data")).context["lines"]
    assert [(line["held"].kind, line["held"].count) for line in lines] == [("declaration", 1)]


def test_the_resident_pages_need_signing_in(client):
    for name in ("health_me:status", "health_me:data"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("portal:login") in response["Location"]


# --- the grid worker's board -------------------------------------------------------------------


def test_the_grid_worker_sees_their_grids_statuses_masked(client, world):
    _red(world.person_a1)
    f.watch_entry(world.person_a2, status="to_review")
    status.status_refresh([world.person_a2.pk])
    client.force_login(world.grid_worker_a)  # grid A1: person_a1 only
    response = client.get(reverse("health_status:board"))
    body = response.content.decode()
    assert [line["person_id"] for line in response.context["lines"]] == [world.person_a1.pk]
    assert dict((c.value, n) for c, n in response.context["counts"]) == {
        "green": 0, "amber": 0, "red": 1,
    }  # fmt: skip
    assert world.person_a1.name not in body and mask_name(world.person_a1.name) in body
    assert "检测结果阳性" in body


def test_the_secretary_sees_the_whole_community_and_can_filter_by_colour(client, world):
    _red(world.person_a1)
    f.watch_entry(world.person_a2, status="to_review")
    status.status_refresh([world.person_a2.pk])
    client.force_login(world.secretary)
    lines = client.get(reverse("health_status:board")).context["lines"]
    assert [line["person_id"] for line in lines] == [world.person_a1.pk, world.person_a2.pk]
    amber = client.get(reverse("health_status:board") + "?color=amber").context["lines"]
    assert [line["person_id"] for line in amber] == [world.person_a2.pk]


def test_the_board_is_404_without_the_permission(client, world):
    client.force_login(world.by_role["street_officer"])
    assert client.get(reverse("health_status:board")).status_code == 404


# --- the rules editor --------------------------------------------------------------------------


def test_the_secretary_saves_a_version_with_a_reason(client, world):
    client.force_login(world.secretary)
    page = client.get(reverse("health_status:rules"))
    assert page.status_code == 200 and json.loads(page.context["text"])[-1]["id"] == "default"
    first, second = page.context["readable"][:2]
    assert first["conditions"] == ["test_result · result=positive · days=14"]
    assert "outcomes=central_isolation,home_isolation" in second["conditions"][0]
    response = client.post(reverse("health_status:rules"), {
        "community": world.community_a.pk, "rules": json.dumps(status_rules.DEFAULT_RULES),
        "reason": "按上级要求调整",
    })  # fmt: skip
    assert response.status_code == 302
    saved = StatusRuleSet.objects.get()
    assert (saved.version, saved.reason, saved.area) == (1, "按上级要求调整", world.community_a)
    versions = client.get(reverse("health_status:rules")).context["versions"]
    assert [v.version for v in versions] == [1]


def test_bad_rules_are_shown_back_with_errors_and_nothing_saved(client, world):
    client.force_login(world.secretary)
    bad = client.post(reverse("health_status:rules"), {"rules": "[{", "reason": "x"})
    assert bad.status_code == 400 and "rules" in bad.context["errors"]
    no_default = json.dumps(status_rules.DEFAULT_RULES[:-1])
    response = client.post(reverse("health_status:rules"), {"rules": no_default, "reason": ""})
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"rules", "reason"}
    assert response.context["text"] == no_default  # kept for correcting
    assert not StatusRuleSet.objects.exists()


def test_another_communitys_rules_are_404(client, world):
    client.force_login(world.secretary)
    url = reverse("health_status:rules") + f"?community={world.community_b.pk}"
    assert client.get(url).status_code == 404


def test_the_grid_worker_may_not_edit_rules(client, world):
    client.force_login(world.grid_worker_a)
    assert client.get(reverse("health_status:rules")).status_code == 404
