"""Family proxies (数字反哺): asking, who confirms, either side ending, linking on the spot."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import ProxyLink, ProxyRequest, Role, User
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.notifications.models import Notification, SmsMessage
from gongzhi.registry import proxies
from gongzhi.testing import PASSWORD, _user


@pytest.fixture
def child(world):
    from gongzhi.accounts.services import user_set_phone

    user = _user("child")
    user_set_phone(user=user, phone="13700001234")
    return user


def _ask(world, user, person=None, **extra):
    person = person or world.person_a1
    data = {
        "name": person.name,
        "id_number": person.id_number.reveal(),
        "relation": "child",
        "label": "爸爸",
    }
    data.update(extra)
    return proxies.proxy_request_create(actor=user, **data)


def test_a_matched_request_goes_to_the_building_head_and_grid_worker(
    world, child, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(world, child)

    assert request.person == world.person_a1 and request.status == "pending"
    told = set(
        Notification.objects.filter(kind="proxy.requested").values_list("recipient", flat=True)
    )
    assert told == {world.by_role[Role.BUILDING_HEAD].pk, world.grid_worker_a.pk}
    note = Notification.objects.filter(kind="proxy.requested").first()
    assert world.person_a1.name not in note.title + note.body


def test_matching_by_phone_works_too(world, child):
    request = _ask(world, child, id_number="", phone=world.person_a1.phone.reveal())
    assert request.person == world.person_a1


def test_an_unmatched_request_looks_the_same_and_tells_no_one(
    world, child, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        wrong_name = _ask(world, child, name="张晓红")
        nobody = _ask(world, child, id_number="", phone="13912345678")

    for request in (wrong_name, nobody):
        assert request.person is None and request.status == "pending" and request.area_path == ""
    assert not Notification.objects.filter(kind="proxy.requested").exists()
    assert (
        not proxies.proxy_requests_for(user=world.secretary)
        .filter(pk__in=[wrong_name.pk, nobody.pk])
        .exists()
    )


def test_the_request_needs_an_id_number_or_phone(world, child):
    with pytest.raises(ValidationError) as caught:
        _ask(world, child, id_number="", relation="boss")
    assert set(caught.value.message_dict) == {"id_number", "relation"}


def test_at_most_three_requests_wait(world, child):
    for _ in range(3):
        _ask(world, child, name="某某")
    with pytest.raises(ValidationError):
        _ask(world, child)


def test_no_personal_value_in_the_audit(world, child):
    request = _ask(world, child)
    proxies.proxy_request_decide(
        actor=world.by_role[Role.BUILDING_HEAD], request=request, approve=True
    )
    text = " ".join(
        f"{e.purpose} {e.object_label} {e.fields}"
        for e in AuditEntry.objects.filter(action__startswith="proxy.")
    )
    assert world.person_a1.id_number.reveal() not in text
    assert world.person_a1.name not in text


def test_only_the_persons_grid_worker_or_building_head_decides(world, child):
    request = _ask(world, child)
    for outsider in (world.grid_worker_b, world.by_role[Role.POLICE], child):
        with pytest.raises(Forbidden):
            proxies.proxy_request_decide(actor=outsider, request=request, approve=True)
    with pytest.raises(NotFound):
        proxies.proxy_request_get_for(user=world.grid_worker_b, request_id=request.pk)
    assert not ProxyLink.objects.exists()


def test_building_head_confirms_and_the_child_may_act(
    world, child, django_capture_on_commit_callbacks
):
    request = _ask(world, child)
    with django_capture_on_commit_callbacks(execute=True):
        request = proxies.proxy_request_decide(
            actor=world.by_role[Role.BUILDING_HEAD], request=request, approve=True
        )
    assert request.status == "approved" and request.link is not None
    link = proxy_link_for(child, world.person_a1.pk)
    assert link is not None and link.label == "爸爸"
    assert SmsMessage.objects.filter(recipient=child).exists()


def test_a_refusal_says_why(world, child):
    request = _ask(world, child)
    with pytest.raises(ValidationError):
        proxies.proxy_request_decide(actor=world.grid_worker_a, request=request, approve=False)
    request = proxies.proxy_request_decide(
        actor=world.grid_worker_a, request=request, approve=False, reason="未能核实亲属关系"
    )
    assert request.status == "refused" and request.refusal_reason == "未能核实亲属关系"
    assert proxy_link_for(child, world.person_a1.pk) is None


def test_either_side_ends_a_link(world, child):
    head = world.by_role[Role.BUILDING_HEAD]
    first = proxies.proxy_request_decide(actor=head, request=_ask(world, child), approve=True)
    with pytest.raises(NotFound):  # someone else's link
        proxies.proxy_link_end_own(actor=world.resident, link_id=first.link_id)
    proxies.proxy_link_end_own(actor=child, link_id=first.link_id)
    assert proxy_link_for(child, world.person_a1.pk) is None

    second = proxies.proxy_request_decide(actor=head, request=_ask(world, child), approve=True)
    with pytest.raises(Forbidden):
        proxies.proxy_link_end_for_person(
            actor=world.grid_worker_b, person=world.person_a1, link_id=second.link_id
        )
    proxies.proxy_link_end_for_person(actor=head, person=world.person_a1, link_id=second.link_id)
    assert proxy_link_for(child, world.person_a1.pk) is None


def test_staff_link_someone_on_the_spot(world):
    link = proxies.proxy_link_add(
        actor=world.grid_worker_a,
        person=world.person_a1,
        phone="13700005678",
        relation="child",
        label="爸爸",
        name="张小明",
    )
    user = User.objects.get(pk=link.user_id)
    assert user.display_name == "张小明" and str(user.phone).endswith("5678")
    assert not user.memberships.exists()
    with pytest.raises(Forbidden):
        proxies.proxy_link_add(
            actor=world.grid_worker_b,
            person=world.person_a1,
            phone="13700005679",
            relation="child",
        )


def test_staff_link_approves_a_waiting_request(world, child):
    request = _ask(world, child)
    proxies.proxy_link_add(
        actor=world.grid_worker_a, person=world.person_a1, phone="13700001234", relation="child"
    )
    request.refresh_from_db()
    assert request.status == "approved"
    assert ProxyRequest.objects.filter(status="pending").count() == 0
    assert User.objects.filter(username="child").get().proxy_links.count() == 1
    assert PASSWORD
