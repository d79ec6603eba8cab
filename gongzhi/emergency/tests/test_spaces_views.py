"""The reserved spaces page: by kind with free places; taking places; editing."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.emergency.models import Space
from gongzhi.emergency.tests.supply_factories import space
from gongzhi.testing import PASSWORD

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_spaces_listed_by_kind_with_free_places(world):
    space(world.community_a, "隔离观察室一", "isolation", 4)
    space(world.community_a, "隔离观察室二", "isolation", 2)
    space(world.grid_a1, "小区广场集合点", "assembly", 300)
    space(world.community_b, "江边集合点", "assembly", 100)
    page = _client(world.by_role[Role.DOCTOR]).get(reverse("emergency_spaces:index"))
    groups = {g.kind: (g.capacity, g.free, len(g.spaces)) for g in page.context["groups"]}
    assert groups == {"isolation": (6, 6, 2), "assembly": (300, 300, 1)}
    only = _client(world.secretary).get(reverse("emergency_spaces:index") + "?kind=assembly")
    assert [g.kind for g in only.context["groups"]] == ["assembly"]


def test_taking_places_and_a_refusal_as_a_message(world):
    room = space(world.community_a, capacity=2)
    client = _client(world.secretary)
    url = reverse("emergency_spaces:occupy", args=[room.pk])
    assert client.post(url, {"delta": "2"}).status_code == 302
    answer = client.post(url, {"delta": "1"})
    assert [str(m) for m in get_messages(answer.wsgi_request)]
    room.refresh_from_db()
    assert (room.occupied, room.status) == (2, "in_use")


def test_creating_and_editing_a_space(world):
    client = _client(world.by_role[Role.COMMUNITY_STAFF])
    client.post(
        reverse("emergency_spaces:create"),
        {"area": world.community_a.pk, "name": "核酸采样点", "kind": "sampling", "capacity": "8",
         "status": "ready"},
    )  # fmt: skip
    made = Space.objects.get(name="核酸采样点")
    client.post(
        reverse("emergency_spaces:edit", args=[made.pk]),
        {"name": "核酸采样点", "kind": "sampling", "capacity": "10", "status": "closed"},
    )
    made.refresh_from_db()
    assert (made.capacity, made.status) == (10, "closed")


def test_a_grid_worker_reads_but_does_not_write(world):
    room = space(world.community_a)
    client = _client(world.grid_worker_a)
    assert client.get(reverse("emergency_spaces:index")).status_code == 200
    url = reverse("emergency_spaces:occupy", args=[room.pk])
    assert client.post(url, {"delta": "1"}).status_code == 403  # sees it, does not manage it
    room.refresh_from_db()
    assert room.occupied == 0
