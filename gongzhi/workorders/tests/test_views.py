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


def test_a_building_head_files_for_a_neighbour_and_follows_it(people, world):
    client = _client(people.building_head)

    search = client.get(reverse("workorders:create"), {"q": "张晓明"})
    assert f"?person={world.person_a1.pk}" in search.content.decode()
    response = client.post(
        reverse("workorders:create"),
        {
            "person": world.person_a1.pk,
            "category": "repair",
            "priority": "normal",
            "description": "楼下老人家没有手机，托我报修水管",
        },
    )

    order = WorkOrder.objects.get()
    assert (order.person, order.channel, order.requester) == (
        world.person_a1,
        "staff",
        people.building_head,
    )
    assert order.timeline.get().on_behalf_of == world.person_a1
    assert client.get(response["Location"]).status_code == 200  # they follow what they filed
    # The resident sees it among their own requests.
    mine = _client(people.resident).get(reverse("workorders_resident:list")).content.decode()
    assert order.number in mine


def test_form_errors_name_the_field(people):
    client = _client(people.resident)

    response = client.post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "", "where": "home"},
    )

    assert response.status_code == 200
    assert not WorkOrder.objects.exists()
    assert "Tell us what you need: a few words are enough." in response.content.decode()


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


def test_resolving_with_too_many_photos_from_the_page_is_refused_not_done_without_them(people):
    order = order_in(people, Status.ACCEPTED)
    client = _client(people.volunteer)

    response = client.post(
        reverse("workorders:resolve", args=[order.pk]),
        {"note": "已修好", "photos": [photo(f"p{i}.jpg") for i in range(7)]},
        follow=True,
    )

    order.refresh_from_db()
    assert order.status == Status.ACCEPTED
    assert not order.attachments.exists()
    assert "At most 6 photos" in response.content.decode()


def test_a_too_long_note_is_refused_with_the_limit(people):
    order = order_in(people, Status.DISPATCHED)
    client = _client(people.volunteer)

    response = client.post(
        reverse("workorders:decline", args=[order.pk]), {"note": "忙" * 1500}, follow=True
    )

    assert "At most 1000 characters; this has 1500." in response.content.decode()
    assert Offer.objects.get(order=order).outcome == ""


def test_a_suggestions_own_dispatch_button_offers_to_that_person_only(people):
    order = new_order(people)
    client = _client(people.grid_worker)

    client.post(
        reverse("workorders:dispatch", args=[order.pk]),
        {"handlers": [people.party_member.pk], "only": people.volunteer.pk},
    )

    offers = Offer.objects.filter(order=order)
    assert [o.handler for o in offers] == [people.volunteer]


def test_a_too_long_description_names_the_limit(people):
    client = _client(people.resident)

    response = client.post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "漏" * 5000, "where": "home"},
    )

    assert response.status_code == 200
    assert "At most 4000 characters; this has 5000." in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_a_10_mb_description_is_refused_before_it_is_read(people):
    client = _client(people.resident)

    response = client.post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "x" * (10 * 1024 * 1024), "where": "home"},
    )

    assert response.status_code == 400
    assert not WorkOrder.objects.exists()


def test_in_elder_mode_the_rating_choices_carry_words(people):
    order = order_in(people, Status.RESOLVED)
    client = _client(people.resident)
    people.resident.elder_mode = True
    people.resident.save(update_fields=["elder_mode"])

    body = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()

    assert 'class="portal elder"' in body
    assert body.count('class="star-word"') == 5 and "Very good" in body


def test_an_elder_link_to_a_request_page_keeps_elder_mode_on_the_next_pages(people):
    client = _client(people.resident)

    client.get(reverse("workorders_resident:new"), {"elder": "1"})
    body = client.get(reverse("workorders_resident:list")).content.decode()

    people.resident.refresh_from_db()
    assert people.resident.elder_mode
    assert 'class="portal elder"' in body


def test_acting_for_a_parent_the_request_and_the_rating_are_recorded_as_proxy(people, world):
    from gongzhi.accounts.services import proxy_link_create
    from gongzhi.audit.models import AuditEntry
    from gongzhi.workorders import services
    from gongzhi.workorders.models import Channel, TimelineEntry
    from gongzhi.workorders.states import Action

    proxy_link_create(
        user=people.resident, person=world.person_a2, relation="child", label="妈妈",
        actor=world.secretary,
    )  # fmt: skip
    client = _client(people.resident)
    client.post(reverse("portal:acting"), {"person": world.person_a2.pk})

    # Asking while acting: for the parent, at her home, recorded as made by the child.
    client.post(
        reverse("workorders_resident:new"),
        {"category": "errands", "description": "帮妈妈买降压药", "where": "home"},
    )
    order = WorkOrder.objects.get()
    assert (order.person, order.household, order.channel, order.requester) == (
        world.person_a2,
        world.household_a2,
        Channel.PROXY,
        people.resident,
    )
    assert TimelineEntry.objects.get(order=order).on_behalf_of == world.person_a2

    # Rating it for her is recorded the same way.
    services.workorder_transition(
        actor=world.grid_worker_b, order=order, action=Action.SOLVE, note="已代买送到"
    )
    client.post(reverse("workorders_resident:rate", args=[order.pk]), {"rating": "5"})
    rate = TimelineEntry.objects.get(order=order, action=Action.RATE)
    assert rate.actor == people.resident and rate.on_behalf_of == world.person_a2
    audit = AuditEntry.objects.get(action="workorder.rate", object_id=str(order.pk))
    assert f"proxy for person {world.person_a2.pk}" in audit.purpose
