"""Knowledge-base pages: search with highlighted snippets, punctuation refused on the page,
write, edit and share by staff; read-only for a shared lesson of another community."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.emergency.models import Lesson
from gongzhi.emergency.tests.lesson_fixtures import write

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_search_shows_the_hit_marked(world):
    write(world.community_a, title="封控复盘", body="独居老人在居家隔离期间缺药。")
    body = (
        _client(world.grid_worker_a)
        .get(reverse("emergency_lessons:list"), {"q": "居家隔离"})
        .content.decode()
    )
    assert "<mark>居家隔离</mark>" in body and "封控复盘" in body


def test_punctuation_only_is_explained_on_the_page(world):
    response = _client(world.secretary).get(reverse("emergency_lessons:list"), {"q": "？！"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def test_staff_write_then_share(world):
    client = _client(world.by_role[Role.COMMUNITY_STAFF])
    response = client.post(
        reverse("emergency_lessons:create"),
        {"area": world.community_a.pk, "source": "incident", "kind": "flood", "title": "内涝",
         "body": "地下车库进水", "tags": "内涝"},
    )  # fmt: skip
    lesson = Lesson.objects.get()
    assert response.status_code == 302 and not lesson.shared
    client.post(reverse("emergency_lessons:share", args=[lesson.pk]), {"shared": "1"})
    lesson.refresh_from_db()
    assert lesson.shared


def test_another_communitys_shared_lesson_is_read_only(world):
    lesson = write(world.community_b, title="江边经验", shared=True)
    client = _client(world.by_role[Role.COMMUNITY_STAFF])
    page = client.get(reverse("emergency_lessons:detail", args=[lesson.pk]))
    assert page.status_code == 200
    assert reverse("emergency_lessons:edit", args=[lesson.pk]) not in page.content.decode()
    assert client.get(reverse("emergency_lessons:edit", args=[lesson.pk])).status_code == 403
