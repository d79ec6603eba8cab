"""Acting for someone (数字反哺) is worked out by the service from the actor and the order,
so a proxy's step is recorded the same way whichever door it came through (issue 11
item 5): the timeline names the person acted for, the audit entry says "proxy"."""

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.accounts.services import proxy_link_create
from gongzhi.api.tests.conftest import Caller
from gongzhi.audit.models import AuditEntry
from gongzhi.workorders import filing, services
from gongzhi.workorders.models import Channel, WorkOrder
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import category


@pytest.fixture
def for_mother(people, world) -> WorkOrder:
    """The resident acts for 李秀英 (a confirmed proxy link) and asked for her; resolved."""
    proxy_link_create(
        user=people.resident, person=world.person_a2, relation="child", label="妈妈",
        actor=world.secretary,
    )  # fmt: skip
    order = filing.workorder_create(
        actor=people.resident, category=category("errands"), description="帮妈妈买药",
        person=world.person_a2,
    )  # fmt: skip
    assert order.channel == Channel.PROXY
    return services.workorder_transition(
        actor=people.grid_worker_b, order=order, action=Action.SOLVE, note="已代买"
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _recorded_as_proxy(order: WorkOrder, action: str, people, world) -> None:
    entry = order.timeline.filter(action=action).latest("id")
    assert (entry.actor, entry.on_behalf_of) == (people.resident, world.person_a2)
    audit = AuditEntry.objects.filter(action=f"workorder.{action}", object_id=str(order.pk))
    assert audit.latest("id").purpose == f"proxy for person {world.person_a2.pk}"


def _solve_again(order: WorkOrder, people) -> None:
    services.workorder_transition(
        actor=people.grid_worker_b, order=order, action=Action.SOLVE, note="再次处理"
    )


def test_a_proxys_reopen_over_the_api_is_recorded_as_proxy(people, world, for_mother):
    answer = Caller(_client(people.resident)).post(
        f"/workorders/{for_mother.pk}/reopen", {"note": "药买错了"}
    )

    assert answer.status_code == 200, answer.content
    _recorded_as_proxy(for_mother, Action.REOPEN, people, world)


def test_a_proxys_reopen_on_the_residents_pages_is_recorded_the_same_way(people, world, for_mother):
    _client(people.resident).post(
        reverse("workorders_resident:reopen", args=[for_mother.pk]), {"note": "药买错了"}
    )

    for_mother.refresh_from_db()
    assert for_mother.status in (Status.NEW, Status.ESCALATED)
    _recorded_as_proxy(for_mother, Action.REOPEN, people, world)


def test_a_proxys_rating_and_cancel_over_the_api_are_recorded_as_proxy(people, world, for_mother):
    api = Caller(_client(people.resident))
    api.post(f"/workorders/{for_mother.pk}/reopen", {"note": "药买错了"})
    _solve_again(for_mother, people)

    assert api.post(f"/workorders/{for_mother.pk}/rate", {"rating": 4}).status_code == 200
    _recorded_as_proxy(for_mother, Action.RATE, people, world)

    another = filing.workorder_create(
        actor=people.resident, category=category("errands"), description="帮妈妈取快递",
        person=world.person_a2,
    )  # fmt: skip
    assert api.post(f"/workorders/{another.pk}/cancel", {"note": "不用了"}).status_code == 200
    _recorded_as_proxy(another, Action.CANCEL, people, world)


def test_the_service_alone_records_the_proxy(people, world, for_mother):
    services.workorder_transition(
        actor=people.resident, order=for_mother, action=Action.REOPEN, note="药买错了"
    )

    _recorded_as_proxy(for_mother, Action.REOPEN, people, world)


def test_a_residents_step_on_their_own_order_is_not_recorded_as_proxy(people, world):
    order = filing.workorder_create(
        actor=people.resident, category=category(), description="门锁坏了"
    )
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.SOLVE, note="已修"
    )

    Caller(_client(people.resident)).post(f"/workorders/{order.pk}/reopen", {"note": "还是坏"})

    entry = order.timeline.get(action=Action.REOPEN)
    assert entry.on_behalf_of is None
    audit = AuditEntry.objects.get(action="workorder.reopen", object_id=str(order.pk))
    assert audit.purpose == ""
