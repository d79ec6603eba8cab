"""Plan pages: list, draft, detail with versions and what changed, edit, refresh, approve,
lessons, downloads; readers cannot write."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.emergency import plans
from gongzhi.emergency.models import Plan
from gongzhi.emergency.tests.plan_factories import SECRET_NAME, build_register

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def plan(world):
    return plans.plan_draft(
        actor=world.secretary, area=world.community_a, kind="epidemic", title="疫情防控预案"
    )


def test_secretary_drafts_a_plan_from_the_form(world):
    build_register(world)
    response = _client(world.secretary).post(
        reverse("emergency_plans:create"),
        {"area": world.community_a.pk, "kind": "fire", "title": "火灾预案"},
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "emergency_plans:detail", args=[plan.pk]
    )
    page = _client(world.secretary).get(response.url).content.decode()
    assert "火灾处置流程" in page and "玉岭花园1栋" in page
    assert SECRET_NAME not in page


def test_the_form_offers_only_ones_communities(world):
    page = _client(world.secretary).get(reverse("emergency_plans:create")).content.decode()
    assert "玉岭社区" in page and "江边社区" not in page
    response = _client(world.secretary).post(
        reverse("emergency_plans:create"),
        {"area": world.community_b.pk, "kind": "fire", "title": "x"},
    )
    assert response.status_code == 200 and not Plan.objects.exists()


def test_edit_makes_a_version_and_the_page_shows_what_changed(world, plan):
    client = _client(world.secretary)
    form = client.get(reverse("emergency_plans:edit", args=[plan.pk])).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data.update(body_overview="我们改写的总则。", note="改写总则")
    response = client.post(reverse("emergency_plans:edit", args=[plan.pk]), data)
    assert response.status_code == 302
    assert plan.versions.count() == 2
    page = client.get(reverse("emergency_plans:detail", args=[plan.pk])).content.decode()
    assert "我们改写的总则。" in page and "改写总则" in page
    assert "v1" in page and "v2" in page
    old = client.get(reverse("emergency_plans:detail", args=[plan.pk]) + "?v=1")
    assert old.context["version"].number == 1


def test_refresh_approve_and_download(world, plan):
    client = _client(world.secretary)
    client.post(reverse("emergency_plans:refresh", args=[plan.pk]))
    client.post(reverse("emergency_plans:approve", args=[plan.pk]))
    plan.refresh_from_db()
    assert (plan.approved_number, plan.versions.count()) == (2, 2)
    response = client.get(reverse("emergency_plans:download", args=[plan.pk, "docx"]) + "?v=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="plan-{plan.pk}-v1.docx"'
    assert response.content[:2] == b"PK"
    assert AuditEntry.objects.filter(action="export").count() == 1
    assert client.get(reverse("emergency_plans:download", args=[plan.pk, "exe"])).status_code == 404


def test_a_grid_worker_reads_but_cannot_write(world, plan):
    client = _client(world.grid_worker_a)
    assert client.get(reverse("emergency_plans:list")).status_code == 200
    assert client.get(reverse("emergency_plans:detail", args=[plan.pk])).status_code == 200
    assert client.get(reverse("emergency_plans:edit", args=[plan.pk])).status_code == 403
    assert client.post(reverse("emergency_plans:approve", args=[plan.pk])).status_code == 403
    assert client.get(reverse("emergency_plans:create")).status_code == 404


def test_lessons_page_links_lessons(world, plan):
    from gongzhi.emergency.models import Lesson

    lesson = Lesson.objects.create(
        area=world.community_a, area_path=world.community_a.path, street_path=world.street.path,
        source="drill", kind="epidemic", title="封控演练复盘", body="正文",
    )  # fmt: skip
    client = _client(world.by_role[Role.COMMUNITY_STAFF])
    assert (
        "封控演练复盘"
        in client.get(reverse("emergency_plans:lessons", args=[plan.pk])).content.decode()
    )
    client.post(reverse("emergency_plans:lessons", args=[plan.pk]), {"lessons": [lesson.pk]})
    assert list(plan.lessons.all()) == [lesson]


def test_a_plan_drafted_by_the_system_shows_no_author(world):
    plan = plans.plan_draft(actor=None, area=world.community_a, kind="fire", title="系统预案")
    plans.plan_approve(actor=None, plan=plan)
    page = _client(world.secretary).get(reverse("emergency_plans:detail", args=[plan.pk]))
    assert page.status_code == 200 and "系统预案" in page.content.decode()
