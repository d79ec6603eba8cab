"""The residents' pages (issue 12 §5 "Resident pages"): residents' words, tappable
messages, no downloads, a timeline said once, named errors, the address and anonymity
only where they apply, photo previews, adding information, elder mode."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.notifications.models import Notification
from gongzhi.workorders import services
from gongzhi.workorders.models import TimelineEntry, WorkOrder
from gongzhi.workorders.selectors import resident_timeline_for
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import new_order, order_in, photo


def _client(user, lang="en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    client.force_login(user)
    return client


def _css(path: str) -> str:
    return (settings.BASE_DIR / path).read_text()


# --- statuses in residents' words ------------------------------------------------------------


def test_statuses_are_in_residents_words_not_the_staffs(people):
    order = new_order(people)
    client = _client(people.resident)
    listing = client.get(reverse("workorders_resident:list")).content.decode()
    page = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()
    for html in (listing, page):
        assert "Received, being arranged" in html
        assert "Waiting for dispatch" not in html
    # The workbench keeps the staff's label.
    staff = _client(people.grid_worker).get(reverse("workorders:detail", args=[order.pk]))
    assert "Waiting for dispatch" in staff.content.decode()


def test_the_chinese_resident_status_reads_as_the_issue_asks(people):
    new_order(people)
    html = _client(people.resident, "zh-hans").get(reverse("workorders_resident:list"))
    assert "已收到，正在安排" in html.content.decode()


# --- messages and the bell ------------------------------------------------------------------


def test_a_message_about_an_order_is_a_link_to_it(people, django_capture_on_commit_callbacks):
    order = order_in(people, Status.DISPATCHED)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(actor=people.volunteer, order=order, action=Action.ACCEPT)
    note = Notification.objects.get(recipient=people.resident)
    client = _client(people.resident)
    link = f'class="note-link" href="{reverse("notifications:open")}?n={note.pk}"'
    assert link in client.get(reverse("portal:inbox")).content.decode()
    assert link in client.get(reverse("portal:home")).content.decode()
    opened = client.get(f"{reverse('notifications:open')}?n={note.pk}")
    assert opened["Location"] == reverse("workorders_resident:detail", args=[order.pk])


def test_the_unread_count_sits_beside_the_bell_not_over_it():
    css = _css("gongzhi/portal/static/portal/portal.css")
    rule = re.search(r"\.portal-bar \.bell \.count \{([^}]*)\}", css)
    assert rule and "position: static" in rule.group(1)
    assert "position: absolute" not in rule.group(1)


def test_residents_pages_offer_no_downloads(people):
    new_order(people)
    client = _client(people.resident)
    Notification.objects.create(recipient=people.resident, kind="system", title="你好")
    for url in (reverse("workorders_resident:list"), reverse("portal:inbox")):
        assert "export=" not in client.get(url).content.decode(), url


# --- the timeline, once ---------------------------------------------------------------------


@translation.override("en")
def test_the_residents_timeline_says_each_step_once(people):
    order = order_in(people, Status.DISPATCHED)
    # Declined, then offered again: the resident sees "looking for someone" once.
    services.workorder_transition(
        actor=people.volunteer, order=order, action=Action.DECLINE, note="没空"
    )
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )
    assert TimelineEntry.objects.filter(order=order, action=Action.DISPATCH).count() == 2
    steps = resident_timeline_for(user=people.resident, order=order)
    texts = [s.text for s in steps]
    assert texts == ["Request received", "Looking for someone to help"]
    html = _client(people.resident).get(reverse("workorders_resident:detail", args=[order.pk]))
    assert html.content.decode().count("Looking for someone to help") == 1


def test_the_staffs_dispatch_note_is_not_shown_to_the_resident(people):
    order = new_order(people)
    services.workorder_transition(
        actor=people.grid_worker,
        order=order,
        action=Action.DISPATCH,
        handlers=[people.volunteer],
        note="内部备注：先打电话",
    )
    html = _client(people.resident).get(reverse("workorders_resident:detail", args=[order.pk]))
    assert "内部备注" not in html.content.decode()


# --- the request form -----------------------------------------------------------------------


def test_an_empty_form_names_each_missing_field(people):
    response = _client(people.resident).post(reverse("workorders_resident:new"), {})
    html = response.content.decode()
    assert response.status_code == 200 and not WorkOrder.objects.exists()
    assert "Choose what kind of help you need." in html
    assert "Tell us what you need: a few words are enough." in html
    assert "This field is required." not in html
    assert 'href="#id_category">What kind of help?</a>' in html  # the summary names the field


def test_somewhere_else_needs_the_place_named(people):
    response = _client(people.resident).post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "路灯坏了", "where": "elsewhere"},
    )
    assert "Somewhere else: say which place" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_the_address_is_hidden_while_at_home_is_chosen(people):
    html = _client(people.resident).get(reverse("workorders_resident:new")).content.decode()
    assert 'class="card-plain elder-hide where-block"' in html and 'class="address-field"' in html
    css = _css("gongzhi/workorders/static/workorders/resident.css")
    assert (
        '.where-block:has(input[name="where"][value="home"]:checked) .address-field { display: none; }'
        in css
    )


def test_the_anonymity_box_belongs_to_the_categories_that_allow_it(people):
    html = _client(people.resident).get(reverse("workorders_resident:new")).content.decode()
    marked = set(re.findall(r'value="([a-z_]+)" id="id_category_\d+" data-anonymous="1"', html))
    assert marked == {"complaint", "suggestion", "mediation"}
    css = _css("gongzhi/workorders/static/workorders/resident.css")
    assert ':not(:has(input[name="category"][data-anonymous]:checked)) .anonymous-field' in css


def test_a_stray_anonymity_tick_on_a_repair_is_ignored_not_an_error(people):
    response = _client(people.resident).post(
        reverse("workorders_resident:new"),
        {"category": "repair", "description": "水管漏水", "where": "home", "anonymous": "on"},
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get().anonymous is False


def test_a_complaint_can_still_be_anonymous(people):
    _client(people.resident).post(
        reverse("workorders_resident:new"),
        {"category": "complaint", "description": "噪音扰民", "where": "home", "anonymous": "on"},
    )
    assert WorkOrder.objects.get().anonymous is True


def test_photos_are_previewed_by_a_script_file_not_inline(people):
    html = _client(people.resident).get(reverse("workorders_resident:new")).content.decode()
    assert 'src="/static/workorders/photo-preview.js"' in html
    assert 'data-preview="photo-previews"' in html and 'id="photo-previews"' in html
    assert "<script>" not in html  # the CSP allows no inline script
    script = _css("gongzhi/workorders/static/workorders/photo-preview.js")
    assert "readAsDataURL" in script  # data: images, which img-src allows (blob: it does not)


# --- adding information after filing ----------------------------------------------------------


def test_a_resident_adds_words_and_a_photo_to_their_open_request(
    people, django_capture_on_commit_callbacks
):
    order = order_in(people, Status.ACCEPTED)
    client = _client(people.resident)
    page = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()
    assert 'id="add-info"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("workorders_resident:add_info", args=[order.pk]),
            {"note": "楼下的门也坏了", "photos": photo()},
        )
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(order=order, action=Action.INFO)
    assert entry.actor == people.resident and entry.note == "楼下的门也坏了"
    assert entry.attachments.count() == 1
    # Whoever has it in hand hears of it.
    assert Notification.objects.filter(recipient=people.volunteer, kind="workorder.info").exists()
    html = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()
    assert "楼下的门也坏了" in html and "Information added" in html


def test_adding_nothing_is_refused_with_the_field_named(people):
    order = new_order(people)
    client = _client(people.resident)
    client.post(reverse("workorders_resident:add_info", args=[order.pk]), {"note": ""})
    html = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()
    assert "Add information: write a few words or choose a photo." in html
    assert not TimelineEntry.objects.filter(order=order, action=Action.INFO).exists()


def test_only_who_asked_adds_information(people):
    from gongzhi.core.errors import Forbidden

    order = order_in(people, Status.ACCEPTED)
    with pytest.raises(Forbidden):
        services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.INFO, note="x"
        )
    response = _client(people.grid_worker_b).post(
        reverse("workorders_resident:add_info", args=[order.pk]), {"note": "x"}
    )
    assert response.status_code == 404


def test_a_closed_request_takes_no_more_information(people):
    from gongzhi.workorders.rules import IllegalTransition

    order = order_in(people, Status.CLOSED)
    with pytest.raises(IllegalTransition):
        services.workorder_transition(
            actor=people.resident, order=order, action=Action.INFO, note="x"
        )
    html = _client(people.resident).get(reverse("workorders_resident:detail", args=[order.pk]))
    assert 'id="add-info"' not in html.content.decode()


# --- elder mode -------------------------------------------------------------------------------


def test_in_elder_mode_questions_are_at_least_as_large_as_answers():
    css = _css("gongzhi/workorders/static/workorders/resident.css")

    def size(selector: str) -> float:
        found = re.findall(re.escape(selector) + r"[^{]*\{[^}]*font-size: ([\d.]+)rem", css)
        assert found, selector
        return float(found[-1])

    assert size("body.elder .question-text") >= size("body.elder .choice-tile")
    assert size("body.elder .question-text") >= size("body.elder .star-choice")
    assert size("body.elder .status") >= 1.3


def test_in_elder_mode_there_is_a_cancel_and_no_fixed_home_visit_line(people):
    client = _client(people.resident)
    html = client.get(reverse("workorders_resident:new") + "?elder=1").content.decode()
    assert 'id="ask-cancel"' in html
    assert "We will come to" not in html
    order = new_order(people)
    page = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()
    cancel = re.search(r'<form[^>]*id="cancel"[^>]*>', page)
    assert cancel and "elder-hide" not in cancel.group(0)
