"""Dispatching names nobody the dispatcher may not see (issue 10 item 8): a user id that is
not a volunteer or party member of the order's area gets the same answer as an id that
does not exist, on the workbench, over the API and in bulk — never the user's name, so
walking user ids does not list residents' real names."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.models import Role
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.api.tests.conftest import Caller
from gongzhi.workorders import pairings, services
from gongzhi.workorders.models import Offer
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import new_order

MISSING = 987654
NAME = "许明雷"


@pytest.fixture
def stranger(world):
    """A resident of the other community, with a real name on their account."""
    user = user_create(username="xml", password="x-long-password-1", display_name=NAME)
    membership_grant(user=user, area=world.community_b, role=Role.RESIDENT)
    return user


@pytest.fixture
def far_volunteer(world):
    """A volunteer of the other community: a handler, but not of this order's area."""
    user = user_create(username="zzq", password="x-long-password-1", display_name="周志强")
    membership_grant(user=user, area=world.community_b, role=Role.VOLUNTEER)
    return user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _same(answer: str, user_id: int, missing_answer: str) -> None:
    assert answer.replace(str(user_id), "N") == missing_answer.replace(str(MISSING), "N")


def _said(page) -> str:
    """The messages a page shows (the rest of the page differs by its CSRF token)."""
    assert page.status_code == 200
    return "\n".join(str(m) for m in page.context["messages"])


def test_the_service_does_not_name_who_may_not_take_the_order(people, stranger, far_volunteer):
    order = new_order(people)

    for user in (stranger, far_volunteer):
        with pytest.raises(ValidationError) as refused:
            services.workorder_transition(
                actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[user]
            )
        text = " ".join(refused.value.message_dict["handlers"])
        assert str(user) not in text and user.username not in text
        assert str(user.pk) in text
    assert not Offer.objects.exists()


def test_over_the_api_an_unseen_user_is_answered_like_a_missing_one(
    people, stranger, far_volunteer
):
    order = new_order(people)
    worker = Caller(_client(people.grid_worker))

    def answer(user_id: int) -> tuple[int, str]:
        response = worker.post(f"/workorders/{order.pk}/dispatch", {"handlers": [user_id]})
        return response.status_code, response.content.decode("unicode_escape")

    missing_status, missing = answer(MISSING)
    assert missing_status == 400
    for user in (stranger, far_volunteer):
        status, body = answer(user.pk)
        assert status == missing_status
        assert str(user) not in body
        _same(body, user.pk, missing)
    order.refresh_from_db()
    assert order.status == Status.NEW


def test_on_the_workbench_an_unseen_user_is_answered_like_a_missing_one(
    people, stranger, far_volunteer
):
    order = new_order(people)
    client = _client(people.grid_worker)
    url = reverse("workorders:dispatch", args=[order.pk])

    def answer(user_id: int) -> tuple[str, str]:
        page = client.post(url, {"handlers": [user_id]}, follow=True)
        return page.content.decode(), _said(page)

    _page, missing = answer(MISSING)
    assert missing
    for user in (stranger, far_volunteer):
        body, said = answer(user.pk)
        assert str(user) not in body
        _same(said, user.pk, missing)
    only = client.post(url, {"only": stranger.pk}, follow=True).content.decode()
    assert NAME not in only
    order.refresh_from_db()
    assert order.status == Status.NEW


def test_in_bulk_an_unseen_user_is_answered_like_a_missing_one(people, stranger, far_volunteer):
    order = new_order(people)
    client = _client(people.grid_worker)
    api = Caller(client)

    def page(user_id: int) -> str:
        data = {"orders": [order.pk], "action": "dispatch", "handler": user_id, "next": "/orders/"}
        shown = client.post(reverse("workorders:bulk"), data, follow=True)
        assert str(NAME) not in shown.content.decode()
        return _said(shown)

    def over_api(user_id: int) -> tuple[int, str]:
        body = {"orders": [order.pk], "action": "dispatch", "handlers": [user_id]}
        response = api.post("/workorders/bulk", body)
        return response.status_code, response.content.decode("unicode_escape")

    missing_page, (missing_status, missing_api) = page(MISSING), over_api(MISSING)
    for user in (stranger, far_volunteer):
        said = page(user.pk)
        assert str(user) not in said
        _same(said, user.pk, missing_page)
        status, answer = over_api(user.pk)
        assert status == missing_status == 400 and str(user) not in answer
        _same(answer, user.pk, missing_api)
    order.refresh_from_db()
    assert order.status == Status.NEW


def test_a_volunteer_of_the_area_is_still_dispatched_by_id(people):
    order = new_order(people)
    worker = Caller(_client(people.grid_worker))

    answer = worker.post(f"/workorders/{order.pk}/dispatch", {"handlers": [people.volunteer.pk]})

    assert answer.status_code == 200, answer.content
    assert answer.json()["offered_to"] == [people.volunteer.pk]


def test_pairing_a_user_who_does_not_serve_there_names_no_one(people, world, stranger):
    from gongzhi.workorders.models import Pairing

    with pytest.raises(ValidationError) as refused:
        pairings.pairing_set(
            actor=people.grid_worker, handler=stranger, households=[world.household_a1]
        )

    text = " ".join(refused.value.message_dict["households"])
    assert NAME not in text and world.household_a1.address not in text
    assert str(stranger.pk) in text
    assert not Pairing.objects.exists()
