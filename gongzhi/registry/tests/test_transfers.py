"""Transfer requests (迁入申请): asking for a person registered in another area, the holders'
decision, the move with history, and what each side may see — services, selectors, pages
and the API."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gongzhi.accounts.models import Membership, Role
from gongzhi.accounts.services import membership_revoke
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.notifications.models import Notification
from gongzhi.registry import transfers
from gongzhi.registry.models import Person, RegisterChange, TransferRequest, TransferStatus
from gongzhi.testing import _user, make_id_number


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def keeper_b(world):
    """The secretary of community B (江边社区), which holds person_b1."""
    return _user("secretary_b", world.community_b, Role.SECRETARY)


def ask(world, person=None, household=None, actor=None, **extra):
    person = person or world.person_b1
    return transfers.transfer_request_create(
        actor=actor or world.grid_worker_a,
        household=household or world.household_a1,
        id_number=person.id_number.reveal(),
        reason=extra.pop("reason", "已搬到玉岭花园居住"),
        **extra,
    )


def secrets_of(person):
    return [
        person.name,
        person.id_number.reveal(),
        person.phone.reveal(),
        person.household.address,
        person.household.community.name,
    ]


def errors_of(info):
    return info.value.message_dict


# --- services ----------------------------------------------------------------------------------


def test_a_keeper_asks_for_a_person_another_community_holds(world, keeper_b):
    transfer = ask(world)
    assert transfer.status == TransferStatus.REQUESTED
    assert transfer.from_area_path == world.person_b1.area_path
    assert transfer.to_area_path == world.household_a1.area_path
    assert transfer.requested_by == world.grid_worker_a
    entry = AuditEntry.objects.get(action="person.transfer_request")
    assert entry.object_id == str(transfer.pk) and entry.area_path == transfer.from_area_path
    stored = " ".join([entry.purpose, entry.object_label])
    assert not [s for s in secrets_of(world.person_b1) if s in stored]


def test_the_holders_are_told_without_personal_values(
    world, keeper_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transfer = ask(world)
    (note,) = Notification.objects.filter(kind="registry.transfer_requested")
    assert note.recipient == keeper_b
    assert note.url == reverse("registry:transfer_detail", args=[transfer.pk])
    text = note.title + note.body
    assert f"#{transfer.pk}" in text
    assert not [s for s in secrets_of(world.person_b1) if s in text]
    # Nobody of community A is told (they hold no register.edit over person_b1).
    assert not Notification.objects.filter(recipient=world.secretary).exists()


def test_asking_for_a_person_of_ones_own_area_is_refused(world):
    with pytest.raises(ValidationError) as info:
        ask(world, person=world.person_a1)
    assert "move them in directly" in errors_of(info)["id_number"][0]


def test_asking_for_an_unregistered_number_says_to_register_instead(world):
    with pytest.raises(ValidationError) as info:
        transfers.transfer_request_create(
            actor=world.grid_worker_a,
            household=world.household_a1,
            id_number=make_id_number(),
            reason="已搬来",
        )
    assert "register the person instead" in errors_of(info)["id_number"][0]


def test_a_reason_is_required_and_an_id_number_in_it_is_masked(world):
    with pytest.raises(ValidationError) as info:
        ask(world, reason="")
    assert "reason" in errors_of(info)
    other = make_id_number()
    transfer = ask(world, reason=f"与 {other} 同住")
    assert other not in transfer.reason and other[:6] in transfer.reason


@pytest.mark.parametrize("who", ["police", "grid_worker_b"])
def test_only_register_editors_of_the_household_may_ask(world, who):
    actor = world.by_role[Role.POLICE] if who == "police" else world.grid_worker_b
    with pytest.raises(Forbidden):
        ask(world, actor=actor)  # household_a1 is in grid A1


def test_the_same_request_cannot_be_pending_twice(world):
    ask(world)
    with pytest.raises(ValidationError) as info:
        ask(world)
    assert "pending already" in errors_of(info)["id_number"][0]


def test_approval_moves_the_person_with_their_history(
    world, keeper_b, django_capture_on_commit_callbacks
):
    person = world.person_b1
    transfer = ask(world, relation="spouse")
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfers.transfer_request_decide(
            actor=keeper_b, transfer=transfer, approve=True
        )
    assert transfer.status == TransferStatus.APPROVED
    assert transfer.decided_by == keeper_b and transfer.decided_at is not None
    person.refresh_from_db()
    assert person.household == world.household_a1
    assert person.area_path == world.household_a1.area_path
    assert person.relation == "spouse"
    # The history of the person goes with them: the registration, then the move.
    actions = list(
        RegisterChange.objects.filter(person=person)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["person.create", "person.move_in"]
    move = RegisterChange.objects.get(person=person, action="person.move_in")
    assert move.actor == keeper_b and f"#{transfer.pk}" in move.note
    assert AuditEntry.objects.filter(action="person.move_in", object_id=str(person.pk)).exists()
    assert AuditEntry.objects.filter(action="person.transfer_approve").exists()
    told = Notification.objects.get(kind="registry.transfer_approved")
    assert told.recipient == world.grid_worker_a
    # The old household lost its head; the requester may now see the person.
    world.household_b1.refresh_from_db()
    assert world.household_b1.head_id is None
    view = transfers.transfer_view(user=world.grid_worker_a, transfer=transfer)
    assert view.person == person


def test_the_requester_cannot_decide_their_own_request(world, keeper_b):
    transfer = ask(world)
    with pytest.raises(Forbidden):
        transfers.transfer_request_decide(
            actor=world.grid_worker_a, transfer=transfer, approve=True
        )
    with pytest.raises(Forbidden):
        transfers.transfer_request_decide(
            actor=world.secretary, transfer=transfer, approve=False, decline_reason="不同意"
        )


def test_declining_needs_a_reason_and_tells_the_requester(
    world, keeper_b, django_capture_on_commit_callbacks
):
    transfer = ask(world)
    with pytest.raises(ValidationError) as info:
        transfers.transfer_request_decide(actor=keeper_b, transfer=transfer, approve=False)
    assert "decline_reason" in errors_of(info)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfers.transfer_request_decide(
            actor=keeper_b, transfer=transfer, approve=False, decline_reason="该居民仍在本社区居住"
        )
    assert transfer.status == TransferStatus.DECLINED
    assert transfer.decline_reason == "该居民仍在本社区居住"
    world.person_b1.refresh_from_db()
    assert world.person_b1.household == world.household_b1
    assert (
        Notification.objects.get(kind="registry.transfer_declined").recipient == world.grid_worker_a
    )


def test_a_decided_request_cannot_be_decided_or_withdrawn_again(world, keeper_b):
    transfer = ask(world)
    transfers.transfer_request_decide(
        actor=keeper_b, transfer=transfer, approve=False, decline_reason="不在本社区"
    )
    for call in (
        lambda: transfers.transfer_request_decide(actor=keeper_b, transfer=transfer, approve=True),
        lambda: transfers.transfer_request_cancel(actor=world.grid_worker_a, transfer=transfer),
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert "declined already" in " ".join(info.value.messages)


def test_the_requesting_area_may_withdraw_and_the_holders_may_not(world, keeper_b):
    transfer = ask(world)
    with pytest.raises(Forbidden):
        transfers.transfer_request_cancel(actor=keeper_b, transfer=transfer)
    transfer = transfers.transfer_request_cancel(actor=world.secretary, transfer=transfer)
    assert transfer.status == TransferStatus.CANCELLED
    assert AuditEntry.objects.filter(action="person.transfer_cancel").exists()


def test_approval_declines_the_other_pending_requests_for_the_person(world, keeper_b):
    first = ask(world)
    second = ask(world, household=world.household_a2, actor=world.grid_worker_b)
    transfers.transfer_request_decide(actor=keeper_b, transfer=first, approve=True)
    second.refresh_from_db()
    assert second.status == TransferStatus.DECLINED and second.decline_reason


def test_approval_is_refused_when_the_requester_may_no_longer_register_there(world, keeper_b):
    transfer = ask(world)
    membership = Membership.objects.get(user=world.grid_worker_a, role=Role.GRID_WORKER)
    membership_revoke(membership=membership)
    with pytest.raises(ValidationError):
        transfers.transfer_request_decide(actor=keeper_b, transfer=transfer, approve=True)
    world.person_b1.refresh_from_db()
    assert world.person_b1.household == world.household_b1


def test_holders_are_those_who_edit_the_register_where_the_person_is(world, keeper_b):
    grid_worker = _user("grid_worker_b1", world.grid_b1, Role.GRID_WORKER)
    _user("police_b", world.community_b, Role.POLICE)
    holders = transfers.transfer_holders(world.person_b1.area_path)
    assert set(holders) == {keeper_b, grid_worker}


# --- selectors ---------------------------------------------------------------------------------


def test_incoming_is_for_the_holders_and_outgoing_for_the_requesting_area(world, keeper_b):
    transfer = ask(world)
    assert list(transfers.transfer_incoming_for(user=keeper_b)) == [transfer]
    assert list(transfers.transfer_outgoing_for(user=keeper_b)) == []
    for user in (world.grid_worker_a, world.secretary):
        assert list(transfers.transfer_outgoing_for(user=user)) == [transfer]
        assert list(transfers.transfer_incoming_for(user=user)) == []
    for user in (world.grid_worker_b, world.by_role[Role.POLICE], world.outsider):
        assert not transfers.transfer_outgoing_for(user=user).exists()
        assert not transfers.transfer_incoming_for(user=user).exists()
    assert list(transfers.transfer_outgoing_for(user=world.secretary, status="approved")) == []


def test_requesters_see_nothing_of_the_person_until_it_is_approved(world, keeper_b):
    transfer = ask(world)
    requester = transfers.transfer_get_for(user=world.grid_worker_a, transfer_id=transfer.pk)
    assert requester.person is None and requester.direction == transfers.OUTGOING
    assert requester.can_cancel and not requester.can_decide
    holder = transfers.transfer_get_for(user=keeper_b, transfer_id=transfer.pk)
    assert holder.person == world.person_b1 and holder.direction == transfers.INCOMING
    assert holder.can_decide and not holder.can_cancel


@pytest.mark.parametrize("transfer_id", ["missing", "other area"])
def test_a_request_of_neither_side_is_not_found(world, keeper_b, transfer_id):
    transfer = ask(world)
    pk = transfer.pk if transfer_id == "other area" else transfer.pk + 100
    with pytest.raises(NotFound):
        transfers.transfer_get_for(user=world.grid_worker_b, transfer_id=pk)


# --- the register's duplicate answer, the pages ------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_the_new_person_form_offers_a_transfer_and_names_nobody(world, keeper_b):
    other = world.person_b1
    client = client_for(world.grid_worker_a)
    url = reverse("registry:person_create", args=[world.household_a1.pk])
    data = {"name": "王建国", "id_number": other.id_number.reveal(), "relation": "spouse"}
    data.update(ethnicity="01", residency="living", moved_in_on="2024-01-01")
    page = client.post(url, data).content.decode()
    assert "registered outside your area" in page
    assert 'id="transfer-offer"' in page
    for secret in (other.household.address, world.community_b.name, world.grid_b1.name):
        assert secret not in page
    response = client.post(
        reverse("registry:transfer_create", args=[world.household_a1.pk]),
        {"id_number": other.id_number.reveal(), "relation": "spouse", "reason": "已搬来同住"},
    )
    transfer = TransferRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:transfer_detail", args=[transfer.pk])
    assert transfer.relation == "spouse" and transfer.person == other


def test_the_transfer_form_shows_the_services_errors(world):
    client = client_for(world.grid_worker_a)
    url = reverse("registry:transfer_create", args=[world.household_a1.pk])
    assert client.get(url).status_code == 200
    page = client.post(
        url, {"id_number": "123", "relation": "other", "reason": ""}
    ).content.decode()
    assert "18 characters" in page and "This field is required" in page
    assert not TransferRequest.objects.exists()


def test_the_requesters_pages_show_the_request_but_not_the_person(world, keeper_b):
    transfer = ask(world)
    client = client_for(world.grid_worker_a)
    pages = [
        client.get(reverse("registry:transfer_list"), {"direction": "outgoing"}),
        client.get(reverse("registry:transfer_detail", args=[transfer.pk])),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200 and f"#{transfer.pk}" in body
        assert not [s for s in secrets_of(world.person_b1) if s in body]
        masked = str(world.person_b1.id_number)
        assert masked not in body


def test_the_holders_decide_on_the_page(world, keeper_b):
    transfer = ask(world)
    client = client_for(keeper_b)
    listing = client.get(reverse("registry:transfer_list")).content.decode()
    assert world.person_b1.name in listing
    detail = client.get(reverse("registry:transfer_detail", args=[transfer.pk])).content.decode()
    assert reverse("registry:transfer_approve", args=[transfer.pk]) in detail
    assert world.person_b1.id_number.reveal() not in detail  # masked, as everywhere
    # Declining without a reason is refused, with the rule; then approving moves the person.
    client.post(reverse("registry:transfer_decline", args=[transfer.pk]), {"decline_reason": ""})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED
    response = client.post(reverse("registry:transfer_approve", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED
    assert Person.objects.get(pk=world.person_b1.pk).household_id == world.household_a1.pk


def test_the_requester_is_forbidden_to_approve_on_the_page(world, keeper_b):
    transfer = ask(world)
    client = client_for(world.grid_worker_a)
    response = client.post(reverse("registry:transfer_approve", args=[transfer.pk]))
    assert response.status_code == 403
    response = client_for(world.grid_worker_b).get(
        reverse("registry:transfer_detail", args=[transfer.pk])
    )
    assert response.status_code == 404


# --- API ---------------------------------------------------------------------------------------


def api(client, method, path, body=None):
    return client.generic(
        method, f"/api/v1{path}", json.dumps(body) if body is not None else "",
        content_type="application/json",
    )  # fmt: skip


def test_the_api_answers_a_duplicate_elsewhere_without_naming_it(world):
    client = client_for(world.grid_worker_a)
    response = api(
        client, "POST", "/persons",
        {"household": world.household_a1.pk, "name": "王建国",
         "id_number": world.person_b1.id_number.reveal()},
    )  # fmt: skip
    assert response.status_code == 409
    body = response.json()
    assert "existing" not in body or body["existing"] is None
    assert world.community_b.name not in response.content.decode()
    assert "transfer request" in body["message"]


def test_the_api_asks_lists_and_decides(world, keeper_b):
    requester, holder = client_for(world.grid_worker_a), client_for(keeper_b)
    response = api(
        requester, "POST", "/transfers",
        {"household": world.household_a1.pk, "id_number": world.person_b1.id_number.reveal(),
         "reason": "已搬来同住", "relation": "other"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["person"] is None and created["direction"] == "outgoing"
    assert not [s for s in secrets_of(world.person_b1) if s in response.content.decode()]
    pk = created["id"]

    outgoing = api(requester, "GET", "/transfers?direction=outgoing").json()
    assert [t["id"] for t in outgoing["items"]] == [pk]
    assert api(requester, "GET", "/transfers").json()["items"] == []  # nothing to decide
    incoming = api(holder, "GET", "/transfers").json()["items"]
    assert incoming[0]["person"]["name"] == world.person_b1.name
    assert incoming[0]["person"]["id_number"] == str(world.person_b1.id_number)  # masked

    assert api(requester, "POST", f"/transfers/{pk}/approve").status_code == 403
    assert api(client_for(world.grid_worker_b), "GET", f"/transfers/{pk}").status_code == 404
    assert api(holder, "POST", f"/transfers/{pk}/decline", {"reason": ""}).status_code == 400
    approved = api(holder, "POST", f"/transfers/{pk}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    seen = api(requester, "GET", f"/transfers/{pk}").json()
    assert seen["person"]["id"] == world.person_b1.pk


def test_the_api_withdraws_a_request(world, keeper_b):
    transfer = ask(world)
    response = api(client_for(world.secretary), "POST", f"/transfers/{transfer.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = api(client_for(world.secretary), "POST", f"/transfers/{transfer.pk}/cancel")
    assert again.status_code == 400
