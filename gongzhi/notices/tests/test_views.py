import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.notices import services
from gongzhi.notices.models import Notice, NoticeReceipt
from gongzhi.notices.tests.factories import pdf, publish, resident_of


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def linked(world):
    """A resident account linked to a person of building A1."""
    person, user = resident_of(world.household_a1, "陈红梅", username="chen")
    return person, user


# --- workbench ------------------------------------------------------------------------------


def test_staff_list_shows_notices_in_scope(world):
    publish(world.building_a1, title="一栋停水")
    publish(world.building_a2, title="二栋停电")
    page = _client(world.grid_worker_a).get(reverse("notices:list")).content.decode()
    assert "一栋停水" in page and "二栋停电" not in page


def test_a_resident_has_no_workbench_list(world):
    assert _client(world.resident).get(reverse("notices:list")).status_code == 404


def test_publishing_from_the_form(world):
    response = _client(world.grid_worker_a).post(
        reverse("notices:create"),
        {"title": "停水通知", "body": "三号楼停水", "kind": "news",
         "targets": [world.building_a1.pk], "sms_delay_minutes": "120"},
    )  # fmt: skip
    notice = Notice.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "notices:detail", args=[notice.pk]
    )
    assert notice.created_by == world.grid_worker_a


def test_the_form_names_each_bad_field(world):
    now = clock.now()
    response = _client(world.grid_worker_a).post(
        reverse("notices:create"),
        {"title": "", "body": "x", "kind": "news", "targets": [world.building_a2.pk],
         "published_at": now.strftime("%Y-%m-%dT%H:%M"),
         "expires_at": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
         "attachments": [pdf(b"GIF89a not really", name="a.pdf")]},
    )  # fmt: skip
    assert response.status_code == 200 and not Notice.objects.exists()
    errors = response.context["form"].errors
    assert {"title", "targets", "expires_at"} <= set(errors)


def test_a_forged_attachment_is_a_field_error(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    response = _client(world.grid_worker_a).post(
        reverse("notices:create"),
        {"title": "t", "body": "b", "kind": "news", "targets": [world.building_a1.pk],
         "attachments": [pdf(b"<svg onload=alert(1)>", name="x.png")]},
    )  # fmt: skip
    assert "attachments" in response.context["form"].errors


def test_detail_lists_who_has_not_read_masked_by_building(world, linked):
    notice = publish(world.building_a1, world.building_a2)
    services.notice_mark_read(notice=notice, person=linked[0], user=linked[1])
    page = _client(world.secretary).get(reverse("notices:detail", args=[notice.pk]))
    text = page.content.decode()
    assert "张*明" in text and "李*英" in text and "陈*梅" not in text
    assert "张晓明" not in text and "李秀英" not in text
    assert world.person_a1.phone.reveal() not in text
    assert page.context["counts"].read == 1 and page.context["counts"].unread == 2


def test_the_unread_list_downloads_masked_and_audited(world):
    notice = publish(world.building_a1)
    response = _client(world.grid_worker_a).get(
        reverse("notices:detail", args=[notice.pk]), {"export": "csv"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "张*明" in body and "张晓明" not in body
    assert AuditEntry.objects.filter(action="export", object_type="notices.notice").count() == 1


def test_a_notice_of_another_grid_is_404(world):
    notice = publish(world.building_a2)
    client = _client(world.grid_worker_a)
    assert client.get(reverse("notices:detail", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notices:withdraw", args=[notice.pk])).status_code == 404


def test_grid_worker_sees_but_may_not_withdraw_the_communitys_notice(world):
    notice = publish(world.community_a)
    client = _client(world.grid_worker_a)
    assert client.get(reverse("notices:detail", args=[notice.pk])).status_code == 200
    assert client.post(reverse("notices:withdraw", args=[notice.pk])).status_code == 403


def test_withdraw_and_pin(world):
    notice = publish(world.building_a1)
    client = _client(world.grid_worker_a)
    client.post(reverse("notices:pin", args=[notice.pk]), {"pinned": "1"})
    client.post(reverse("notices:withdraw", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.pinned and notice.withdrawn_at is not None


def test_edit_from_the_form(world):
    notice = publish(world.building_a1)
    response = _client(world.grid_worker_a).post(
        reverse("notices:edit", args=[notice.pk]),
        {"title": "更正", "body": "新内容", "kind": "policy", "targets": [world.building_a1.pk],
         "sms_delay_minutes": "120"},
    )  # fmt: skip
    notice.refresh_from_db()
    assert response.status_code == 302 and (notice.title, notice.kind) == ("更正", "policy")


def test_attachment_is_served_safely_to_staff_in_scope(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    notice = publish(world.building_a1, attachments=[pdf()])
    file = notice.attachments.get()
    url = reverse("notices:attachment", args=[notice.pk, file.pk])
    response = _client(world.grid_worker_a).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert _client(world.grid_worker_b).get(url).status_code == 404


# --- residents (/m/notices/) ---------------------------------------------------------------


def test_resident_list_marks_urgent_and_unread(world, linked):
    publish(world.building_a1, title="紧急停水", kind="urgent")
    publish(world.building_a2, title="二栋的事")
    page = _client(linked[1]).get(reverse("notices_resident:list")).content.decode()
    assert "紧急停水" in page and "二栋的事" not in page
    assert "notice-tag urgent" in page and "notice-tag unread" in page


def test_opening_a_notice_records_one_receipt(world, linked):
    notice = publish(world.building_a1, body="第一行\n<script>alert(1)</script>")
    client = _client(linked[1])
    response = client.get(reverse("notices_resident:detail", args=[notice.pk]))
    client.get(reverse("notices_resident:detail", args=[notice.pk]))
    text = response.content.decode()
    assert "&lt;script&gt;" in text and "<script>alert" not in text
    receipt = NoticeReceipt.objects.get()
    assert (receipt.person, receipt.read_by, receipt.by_proxy) == (linked[0], linked[1], False)


def test_a_notice_for_another_building_is_404_and_records_nothing(world, linked):
    notice = publish(world.building_a2)
    response = _client(linked[1]).get(reverse("notices_resident:detail", args=[notice.pk]))
    assert response.status_code == 404 and not NoticeReceipt.objects.exists()


def test_an_account_without_a_person_sees_no_notices(world):
    notice = publish(world.community_a)
    client = _client(world.resident)
    assert client.get(reverse("notices_resident:list")).status_code == 200
    assert client.get(reverse("notices_resident:detail", args=[notice.pk])).status_code == 404


def test_a_proxy_reads_the_parents_notice_recorded_as_by_proxy(world, linked):
    from gongzhi.accounts.services import proxy_link_create

    notice = publish(world.building_a2, title="二栋停电")
    proxy_link_create(user=linked[1], person=world.person_a2, relation="child", actor=None)
    client = _client(linked[1])
    client.post(reverse("portal:acting"), {"person": world.person_a2.pk})
    assert "二栋停电" in client.get(reverse("notices_resident:list")).content.decode()
    client.get(reverse("notices_resident:detail", args=[notice.pk]))
    receipt = NoticeReceipt.objects.get()
    assert (receipt.person, receipt.read_by, receipt.by_proxy) == (world.person_a2, linked[1], True)


def test_the_portal_home_has_the_notices_tile(world, linked):
    page = _client(linked[1]).get(reverse("portal:home")).content.decode()
    assert reverse("notices_resident:list") in page


def test_the_workbench_nav_has_notices_for_publishers_only(world):
    assert (
        reverse("notices:list")
        in _client(world.grid_worker_a).get(reverse("web:home")).content.decode()
    )
    assert (
        reverse("notices:list")
        not in _client(world.by_role["police"]).get(reverse("web:home")).content.decode()
    )
