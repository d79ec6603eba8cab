"""The workbench pages (/orders/) and the residents' pages (/m/orders/): the loop from a
resident's request to their rating, through the forms people use."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from gongzhi.workorders.models import Attachment, Offer, WorkOrder
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import new_order, order_in, photo


def _client(user) -> Client:
    """Signed in, pages in English (tests do not depend on the Chinese catalogue)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def test_the_whole_loop_through_the_pages(people, world):
    resident, worker, volunteer = (
        _client(people.resident),
        _client(people.grid_worker),
        _client(people.volunteer),
    )

    # The resident asks on /m/orders/new/, with a photo.
    response = resident.post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "厨房水龙头漏水", "where": "home", "photos": photo()},
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders_resident:detail", args=[order.pk])
    assert order.attachments.count() == 1

    # The grid worker sees it waiting in the inbox and dispatches to a suggestion.
    inbox = worker.get(reverse("workorders:inbox"))
    assert order.number in inbox.content.decode()
    page = worker.get(reverse("workorders:detail", args=[order.pk]))
    assert 'id="suggestions"' in page.content.decode()
    assert volunteer.get(reverse("workorders:detail", args=[order.pk])).status_code == 404
    worker.post(
        reverse("workorders:dispatch", args=[order.pk]), {"handlers": [people.volunteer.pk]}
    )
    assert WorkOrder.objects.get().status == Status.DISPATCHED

    # The volunteer accepts from the task list, starts, resolves with a photo.
    tasks = volunteer.get(reverse("workorders:tasks"))
    assert order.number in tasks.content.decode()
    volunteer.post(reverse("workorders:accept", args=[order.pk]))
    volunteer.post(reverse("workorders:start", args=[order.pk]))
    volunteer.post(
        reverse("workorders:resolve", args=[order.pk]),
        {"note": "已更换阀芯", "photos": photo("after.png", fmt="PNG")},
    )
    order.refresh_from_db()
    assert order.status == Status.RESOLVED
    assert order.attachments.count() == 2

    # The resident sees the evidence and rates it.
    detail = resident.get(reverse("workorders_resident:detail", args=[order.pk]))
    assert 'id="rate"' in detail.content.decode()
    evidence = Attachment.objects.filter(order=order, kind="evidence").get()
    assert (
        resident.get(reverse("workorders_resident:photo", args=[order.pk, evidence.pk])).status_code
        == 200
    )
    resident.post(
        reverse("workorders_resident:rate", args=[order.pk]), {"rating": "5", "note": "快"}
    )
    order.refresh_from_db()
    assert (order.status, order.rating) == (Status.CLOSED, 5)


def test_a_conflict_is_a_message_on_the_order_page(people):
    order = order_in(people, Status.NEW)
    from gongzhi.workorders import services
    from gongzhi.workorders.states import Action

    services.workorder_transition(
        actor=people.grid_worker,
        order=order,
        action=Action.DISPATCH,
        handlers=[people.volunteer, people.party_member],
    )
    services.workorder_transition(actor=people.party_member, order=order, action=Action.ACCEPT)
    client = _client(people.volunteer)

    response = client.post(reverse("workorders:accept", args=[order.pk]), follow=True)

    assert "Someone else accepted this order first." in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).assignee == people.party_member


def test_the_inbox_is_per_grid_and_the_board_counts_by_grid(people, world):
    new_order(people)
    order_in(people, Status.DISPATCHED)
    client = _client(people.secretary)

    grid = client.get(reverse("workorders:inbox"), {"tab": "all", "area": world.grid_a1.pk})
    other = client.get(reverse("workorders:inbox"), {"tab": "all", "area": world.grid_a2.pk})
    board = client.get(reverse("workorders:board"))

    assert grid.content.decode().count('href="/orders/') >= 2
    assert "No orders here." in other.content.decode()
    assert board.status_code == 200
    assert world.grid_a1.name in board.content.decode()


def test_bulk_escalation_from_the_inbox(people, world):
    a, b = new_order(people), new_order(people)
    client = _client(people.grid_worker)

    client.post(
        reverse("workorders:bulk"),
        {"orders": [a.pk, b.pk], "action": "escalate", "note": "物业问题需社区协调"},
    )

    assert set(WorkOrder.objects.values_list("status", flat=True)) == {Status.ESCALATED}
    assert set(WorkOrder.objects.values_list("level", flat=True)) == {world.community_a.pk}


def test_a_grid_worker_files_for_a_resident_found_in_the_register(people, world):
    client = _client(people.grid_worker)

    search = client.get(reverse("workorders:create"), {"q": "张晓明"})
    assert f"?person={world.person_a1.pk}" in search.content.decode()
    client.post(
        reverse("workorders:create"),
        {
            "person": world.person_a1.pk,
            "category": "escort",
            "priority": "high",
            "description": "电话求助：明早去医院复查",
        },
    )

    order = WorkOrder.objects.get()
    assert (order.person, order.channel, order.priority) == (world.person_a1, "staff", "high")


def test_form_errors_name_the_field(people):
    client = _client(people.resident)

    response = client.post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "", "where": "home"},
    )

    assert response.status_code == 200
    assert not WorkOrder.objects.exists()
    assert "This field is required." in response.content.decode()


def test_a_non_image_disguised_as_a_photo_is_refused(people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(people.resident)
    fake = SimpleUploadedFile("photo.jpg", b"<?php echo 'hi'; ?>", content_type="image/jpeg")

    response = client.post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "x", "where": "home", "photos": fake},
    )

    assert response.status_code == 200
    assert "not a photo" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_residents_pages_show_only_their_own_orders(people, world):
    order = new_order(people)
    stranger = _client(people.grid_worker)  # staff: the workbench, not the resident pages

    assert stranger.get(reverse("workorders_resident:detail", args=[order.pk])).status_code == 404
    mine = _client(people.resident).get(reverse("workorders_resident:list"))
    assert order.number in mine.content.decode()


def test_photos_are_served_only_to_those_who_see_the_order(people, world):
    order = new_order(people, photos=[photo()])
    shot = order.attachments.get()
    url = reverse("workorders:attachment", args=[order.pk, shot.pk])

    allowed = _client(people.grid_worker).get(url)
    assert allowed.status_code == 200
    assert allowed["Content-Type"] == "image/jpeg"
    assert allowed["X-Content-Type-Options"] == "nosniff"
    assert _client(people.grid_worker_b).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to sign in


def test_decline_from_the_order_page_needs_a_reason(people):
    order = order_in(people, Status.DISPATCHED)
    client = _client(people.volunteer)

    response = client.post(reverse("workorders:decline", args=[order.pk]), follow=True)

    assert "This field is required." in response.content.decode()
    assert Offer.objects.get(order=order).outcome == ""
