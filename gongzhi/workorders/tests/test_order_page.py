"""One order's page (issue 12 §4 "Orders"): the resident's phone for a callback, the
callback of an order filed on a resident's behalf, the dispatch score in words, which
deadline "下一截止时间" is."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden
from gongzhi.workorders import services
from gongzhi.workorders.rules import deadline_kind
from gongzhi.workorders.states import Status
from gongzhi.workorders.tests.factories import new_order, order_in


def _client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def _staff_filed(people, **extra):
    return new_order(people, actor=people.grid_worker, person=people.world.person_a1, **extra)


# --- the phone, for a callback -------------------------------------------------------------


def test_the_page_shows_the_phone_masked_with_a_button_to_reveal_it(people):
    order = _staff_filed(people)
    plain = people.world.person_a1.phone.reveal()
    html = (
        _client(people.grid_worker)
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert plain not in html
    assert str(people.world.person_a1.phone) in html  # masked
    assert reverse("workorders:phone", args=[order.pk]) in html


def test_a_tap_reveals_the_phone_with_a_tel_link_and_audits_it_as_a_callback(people):
    order = _staff_filed(people)
    plain = people.world.person_a1.phone.reveal()
    response = _client(people.grid_worker).post(
        reverse("workorders:phone", args=[order.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="tel:{plain}"' in html
    entry = AuditEntry.objects.filter(action="person.reveal").latest("pk")
    assert entry.purpose == "callback" and plain not in str(entry.__dict__)


def test_the_orders_own_contact_phone_is_revealed_on_the_order(people):
    order = new_order(people, contact_phone="13912345678")
    value = services.workorder_phone_reveal(actor=people.grid_worker, order=order)
    assert value == "13912345678"
    entry = AuditEntry.objects.filter(action="workorder.reveal").latest("pk")
    assert entry.purpose == "callback" and entry.fields == ["contact_phone"]


def test_the_volunteer_and_the_street_may_not_reveal_the_phone(people):
    order = order_in(
        people, Status.ACCEPTED, actor=people.grid_worker, person=people.world.person_a1
    )
    for user in (people.volunteer, people.street):
        with pytest.raises(Forbidden):
            services.workorder_phone_reveal(actor=user, order=order)
    html = (
        _client(people.volunteer)
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert reverse("workorders:phone", args=[order.pk]) not in html


# --- the callback (回访) -------------------------------------------------------------------


def test_a_staff_filed_order_is_closed_by_a_callback_with_the_residents_rating(people):
    order = order_in(
        people, Status.RESOLVED, actor=people.grid_worker, person=people.world.person_a1
    )
    page = _client(people.secretary).get(reverse("workorders:detail", args=[order.pk]))
    assert 'id="callback"' in page.content.decode()

    response = _client(people.secretary).post(
        reverse("workorders:callback", args=[order.pk]), {"rating": 4, "note": "满意"}
    )
    order.refresh_from_db()
    assert response.status_code == 302
    assert (order.status, order.rating, order.rating_by_callback) == (Status.CLOSED, 4, True)


def test_the_filer_is_not_offered_the_residents_rating(people):
    order = order_in(
        people, Status.RESOLVED, actor=people.grid_worker, person=people.world.person_a1
    )
    client = _client(people.grid_worker)
    html = client.get(reverse("workorders_resident:detail", args=[order.pk])).content.decode()
    assert 'id="rate"' not in html


# --- the dispatch score in words -------------------------------------------------------------


def test_each_suggestion_says_why_in_sentences(people, world):
    from gongzhi.workorders.pairings import handler_profile_set, pairing_set

    handler_profile_set(actor=None, user=people.party_member, skills=["repair"])
    pairing_set(actor=None, handler=people.party_member, households=[world.household_a1])
    order = new_order(people)
    html = (
        _client(people.grid_worker)
        .get(reverse("workorders:detail", args=[order.pk]))
        .content.decode()
    )
    assert "Serves this household under the 8-household pairing (+40)." in html
    assert "Has the skill this request needs: Repairs (+25)." in html
    assert "Has no open orders now." in html
    assert "Does not list the skill this request needs: Repairs." in html  # the volunteer


# --- which deadline ---------------------------------------------------------------------------


def test_the_next_deadline_says_whether_it_is_to_respond_or_to_resolve(people):
    waiting = new_order(people)
    assert deadline_kind(waiting).kind == "response"
    html = (
        _client(people.grid_worker)
        .get(reverse("workorders:detail", args=[waiting.pk]))
        .content.decode()
    )
    assert 'data-deadline="response"' in html and "Respond by" in html
    assert "someone must accept the order by then" in html

    accepted = order_in(people, Status.ACCEPTED)
    assert deadline_kind(accepted).kind == "resolution"
    html = (
        _client(people.grid_worker)
        .get(reverse("workorders:detail", args=[accepted.pk]))
        .content.decode()
    )
    assert 'data-deadline="resolution"' in html and "Resolve by" in html


def test_no_deadline_no_explanation(people):
    order = order_in(people, Status.CLOSED)
    assert deadline_kind(order) is None


def test_the_inbox_marks_staff_filed_orders_waiting_for_a_callback(people):
    order = order_in(
        people, Status.RESOLVED, actor=people.grid_worker, person=people.world.person_a1
    )
    mine = order_in(people, Status.RESOLVED)
    html = (
        _client(people.secretary)
        .get(reverse("workorders:inbox"), {"tab": "resolved"})
        .content.decode()
    )
    rows = html.split('class="order-row')
    row = next(r for r in rows if order.number in r)
    other = next(r for r in rows if mine.number in r)
    assert "Call back" in row and "Call back" not in other
