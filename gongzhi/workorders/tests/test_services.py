"""Filing orders (for oneself, as a proxy, on a resident's behalf), validation, side
effects after commit (notifications, events), suggestions and pairings."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import ProxyLink, Role
from gongzhi.accounts.services import membership_grant, user_create
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.notifications.models import Notification
from gongzhi.workorders import bulk, events, filing, pairings, policy, selectors, services
from gongzhi.workorders.models import Channel, HandlerProfile, Pairing, TimelineEntry
from gongzhi.workorders.states import Action, Status
from gongzhi.workorders.tests.factories import category, new_order, order_in

# --- filing ------------------------------------------------------------------------------------


def test_a_resident_asks_for_their_own_household_by_default(people, world):
    order = filing.workorder_create(
        actor=people.resident, category=category(), description="楼道灯坏了"
    )

    assert order.person == world.person_a1
    assert order.household == world.household_a1
    assert order.place == world.building_a1
    assert (order.grid, order.level) == (world.grid_a1, world.grid_a1)
    assert order.channel == Channel.SELF
    assert order.status == Status.NEW
    assert order.address == world.household_a1.address
    assert order.response_due and order.resolve_due and order.due_at == order.response_due
    entry = TimelineEntry.objects.get(order=order)
    assert (entry.action, entry.actor) == (Action.CREATE, people.resident)
    assert AuditEntry.objects.filter(action="workorder.create", object_id=str(order.pk)).exists()


def test_a_family_member_acts_for_a_linked_elderly_person_recorded_as_proxy(people, world):
    daughter = user_create(username="daughter", password="x-long-password-1")
    ProxyLink.objects.create(
        user=daughter, person=world.person_a2, relation="child", confirmed_at=clock.now()
    )

    order = filing.workorder_create(
        actor=daughter,
        category=category("errands"),
        description="帮妈妈买药",
        person=world.person_a2,
    )

    assert (order.channel, order.person, order.requester) == (
        Channel.PROXY,
        world.person_a2,
        daughter,
    )
    entry = TimelineEntry.objects.get(order=order)
    assert entry.on_behalf_of == world.person_a2
    audit = AuditEntry.objects.get(action="workorder.create", object_id=str(order.pk))
    assert f"proxy for person {world.person_a2.pk}" in audit.purpose
    # The daughter follows it like her own.
    assert selectors.workorder_get_for(user=daughter, order_id=order.pk) == order


def test_a_resident_cannot_file_for_a_stranger(people, world):
    with pytest.raises(ValidationError) as caught:
        filing.workorder_create(
            actor=people.resident, category=category(), description="x", person=world.person_a2
        )
    assert "person" in caught.value.message_dict


def test_a_grid_worker_files_on_a_residents_behalf(people, world):
    order = filing.workorder_create(
        actor=people.grid_worker,
        category=category("escort"),
        description="老人电话求助，需陪同去医院",
        person=world.person_a1,
    )

    assert order.channel == Channel.STAFF
    assert TimelineEntry.objects.get(order=order).on_behalf_of == world.person_a1
    # The resident sees it among their own orders.
    assert order in selectors.my_orders_for(user=people.resident)


def test_a_building_head_files_for_a_household_of_their_building(people, world):
    order = filing.workorder_create(
        actor=people.building_head,
        category=category(),
        description="101 室老人家水管爆了",
        household=world.household_a1,
    )
    assert order.channel == Channel.STAFF

    with pytest.raises(ValidationError) as caught:
        filing.workorder_create(
            actor=people.building_head,
            category=category(),
            description="别的楼",
            household=world.household_a2,
        )
    assert "household" in caught.value.message_dict


def test_a_place_without_a_person_needs_the_right_to_ask_there(people, world):
    order = filing.workorder_create(
        actor=people.grid_worker, category=category("sanitation"), description="垃圾站满了",
        place=world.grid_a1,
    )  # fmt: skip
    assert (order.person, order.place, order.grid) == (None, world.grid_a1, world.grid_a1)

    with pytest.raises(ValidationError) as caught:
        filing.workorder_create(
            actor=people.grid_worker, category=category(), description="x", place=world.grid_b1
        )
    assert "place" in caught.value.message_dict


@pytest.mark.parametrize("text", ["", "   ", "a" * 4001, "bad\x00text"])
def test_descriptions_must_be_there_and_not_too_long(people, text):
    with pytest.raises(ValidationError) as caught:
        new_order(people, description=text)
    assert "description" in caught.value.message_dict


def test_only_some_categories_can_be_anonymous_and_the_refusal_names_them(people):
    with pytest.raises(ValidationError) as caught:
        new_order(people, anonymous=True)
    message = caught.value.message_dict["anonymous"][0]
    assert "投诉" in message and "维修" in message  # names the allowed ones and this one

    order = new_order(people, code="complaint", anonymous=True, description="楼下烧烤油烟")
    assert order.anonymous and order.requester == people.resident  # never hidden from the system


def test_an_anonymous_complaint_hides_the_requester_from_the_volunteer_only(people):
    order = new_order(people, code="complaint", anonymous=True, description="噪音扰民")
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )

    assert not policy.sees_requester(people.volunteer, order)
    assert policy.sees_requester(people.grid_worker, order)
    assert policy.sees_requester(people.resident, order)


def test_a_contact_phone_is_stored_encrypted_and_shown_masked(people):
    order = new_order(people, contact_phone="13912345678")

    order.refresh_from_db()
    assert str(order.contact_phone) == "139****5678"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM workorders_workorder WHERE id = %s", [order.pk])
        assert "13912345678" not in cursor.fetchone()[0]


def test_anonymous_users_cannot_file(world, db):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Forbidden):
        filing.workorder_create(actor=AnonymousUser(), category=category(), description="x")


# --- visibility ----------------------------------------------------------------------------------


def test_residents_see_their_own_orders_and_nobody_elses(people, world):
    mine = new_order(people)
    other = filing.workorder_create(
        actor=people.secretary, category=category(), description="x", person=world.person_a2
    )

    assert selectors.workorder_get_for(user=people.resident, order_id=mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.workorder_get_for(user=people.resident, order_id=other.pk)
    assert list(selectors.my_orders_for(user=people.resident)) == [mine]


def test_staff_see_their_area_and_street_sees_both_communities(people, world):
    order = new_order(people)

    assert order in selectors.workorder_list_for(user=people.grid_worker)
    assert order in selectors.workorder_list_for(user=people.street)
    assert order not in selectors.workorder_list_for(user=people.grid_worker_b)
    assert order not in selectors.workorder_list_for(user=world.by_role[Role.POLICE])


def test_a_volunteer_sees_only_what_was_offered_to_them(people):
    order = new_order(people)
    assert order not in selectors.workorder_list_for(user=people.volunteer)

    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )
    assert order in selectors.workorder_list_for(user=people.volunteer)
    assert selectors.tasks_for(user=people.volunteer).offered == [order]


def test_the_inbox_shows_what_waits_at_the_viewers_level(people):
    waiting = new_order(people)
    escalated = order_in(people, Status.ESCALATED)
    inbox = selectors.OrderFilters(tab="waiting")

    assert list(selectors.workorder_list_for(user=people.grid_worker, filters=inbox)) == [waiting]
    assert set(selectors.workorder_list_for(user=people.secretary, filters=inbox)) == {
        waiting,
        escalated,
    }


def test_a_missing_or_malformed_id_is_not_found(people):
    for bad in (0, 10**12, "abc", None, 2**70):
        with pytest.raises(NotFound):
            selectors.workorder_get_for(user=people.grid_worker, order_id=bad)


# --- after commit: notifications and events --------------------------------------------------------


def test_each_step_is_notified_after_commit(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = new_order(people, actor=people.building_head, person=people.world.person_a1)
    # The grid's workers hear of it; the resident learns it was filed for them; the building
    # head who filed it is not told what they just did.
    assert Notification.objects.filter(
        recipient=people.grid_worker, kind="workorder.create"
    ).exists()
    assert Notification.objects.filter(recipient=people.resident, kind="workorder.create").exists()
    assert not Notification.objects.filter(recipient=people.building_head).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(
            actor=people.grid_worker,
            order=order,
            action=Action.DISPATCH,
            handlers=[people.volunteer],
        )
    assert Notification.objects.filter(
        recipient=people.volunteer, kind="workorder.dispatch"
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(actor=people.volunteer, order=order, action=Action.ACCEPT)
    assert Notification.objects.filter(recipient=people.resident, kind="workorder.accept").exists()


def test_an_sms_says_the_step_but_not_the_description(people, django_capture_on_commit_callbacks):
    from gongzhi.accounts.services import user_set_phone
    from gongzhi.notifications.models import SmsMessage

    user_set_phone(user=people.resident, phone="13912340000")
    order = order_in(people, Status.ACCEPTED, description="张晓明家3楼水管爆了")
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.RESOLVE, note="已修好"
        )

    sms = SmsMessage.objects.get(recipient=people.resident, kind="workorder.resolve")
    note = Notification.objects.get(recipient=people.resident, kind="workorder.resolve")
    assert order.number in sms.text and "张晓明" not in sms.text
    assert "张晓明家3楼水管爆了" in note.body  # the inbox is the resident's own


def test_nothing_is_told_when_the_step_rolls_back(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new_order(people)
    assert callbacks  # registered for after commit …
    assert not Notification.objects.exists()  # … and not sent before it


def test_resolved_and_rated_events_are_published_for_other_modules(
    people, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, event, **kwargs):
        received.append(event)

    events.order_resolved.connect(listener)
    events.order_rated.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = order_in(people, Status.CLOSED)
    finally:
        events.order_resolved.disconnect(listener)
        events.order_rated.disconnect(listener)

    assert [e.kind for e in received] == ["order.resolved", "order.rated"]
    resolved, rated = received
    assert (resolved.order_id, resolved.assignee_id) == (order.pk, people.volunteer.pk)
    assert (rated.rating, rated.assignee_id, rated.category) == (5, people.volunteer.pk, "repair")
    # A consumer that was down catches up from the timeline.
    assert [e.id for e in events.events_since(0)] == [resolved.id, rated.id]
    assert events.events_since(resolved.id)[0].kind == "order.rated"


# --- suggestions and pairings -----------------------------------------------------------------------


def _handler(username, area, role=Role.VOLUNTEER, skills=()):
    user = user_create(username=username, password="x-long-password-1", display_name=username)
    membership_grant(user=user, area=area, role=role)
    if skills:
        HandlerProfile.objects.create(user=user, skills=list(skills))
    return user


def test_work_orders_import_no_module_that_listens_to_their_events():
    """Points (and any other domain app) connect to `events`; work orders know none of
    them (import-linter's layers say the same for the apps that exist today)."""
    import ast
    from pathlib import Path

    package = Path(services.__file__).parent
    others = ("gongzhi.points", "gongzhi.health", "gongzhi.imports", "gongzhi.notices")
    found = []
    for path in package.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.name}: {n}" for n in names if n.startswith(others)]
    assert found == []


def test_suggestions_rank_the_households_own_party_member_first(people, world):
    order = new_order(people)
    _handler("handy", world.grid_a1, skills=["repair"])
    paired = _handler("paired", world.grid_a1, role=Role.PARTY_MEMBER)
    pairings.pairing_set(actor=people.grid_worker, handler=paired, households=[world.household_a1])
    busy = _handler("busy", world.grid_a1, skills=["repair"])
    for _ in range(3):
        other = new_order(people)
        services.workorder_transition(
            actor=people.grid_worker, order=other, action=Action.DISPATCH, handlers=[busy]
        )

    ranked = selectors.suggestions_for(order=order)

    names = [s.user.username for s in ranked]
    assert names[0] == "paired"
    assert names.index("handy") < names.index("busy")  # same skill, fewer open orders
    assert next(s for s in ranked if s.user == paired).paired
    assert next(s for s in ranked if s.user == busy).load == 3
    assert people.grid_worker_b not in [s.user for s in ranked]


def test_recent_ratings_lift_a_handler(people, world):
    order = order_in(people, Status.CLOSED)  # the volunteer got 5 stars
    fresh = new_order(people)

    ranked = selectors.suggestions_for(order=fresh)
    volunteer = next(s for s in ranked if s.user == people.volunteer)
    assert (volunteer.rating, volunteer.ratings) == (5.0, 1)
    assert order.rating == 5


def test_pairing_outside_the_actors_area_is_not_found(people, world):
    with pytest.raises(NotFound):
        pairings.pairing_set(
            actor=people.grid_worker_b, handler=people.party_member, households=[world.household_a1]
        )
    assert not Pairing.objects.exists()


def test_bulk_dispatch_reports_each_order(people, world):
    a, b = new_order(people), order_in(people, Status.CLOSED)

    result = bulk.workorder_bulk(
        actor=people.grid_worker,
        order_ids=[a.pk, b.pk, 999999],
        action=Action.DISPATCH,
        handlers=[people.volunteer],
    )

    assert result.done == [a.pk]
    assert set(result.failed) == {b.pk, 999999}


def test_preferred_time_in_the_past_is_refused(people):
    with pytest.raises(ValidationError) as caught:
        new_order(people, preferred_at=clock.now() - dt.timedelta(days=3))
    assert "preferred_at" in caught.value.message_dict


def test_an_order_holds_at_most_twelve_photos(people):
    from gongzhi.workorders import uploads
    from gongzhi.workorders.tests.factories import photo

    order = new_order(people, photos=[photo(f"r{i}.jpg") for i in range(uploads.MAX_PER_UPLOAD)])
    services.workorder_transition(
        actor=people.grid_worker, order=order, action=Action.DISPATCH, handlers=[people.volunteer]
    )
    services.workorder_transition(actor=people.volunteer, order=order, action=Action.ACCEPT)
    services.workorder_transition(
        actor=people.volunteer,
        order=order,
        action=Action.EVIDENCE,
        photos=[photo(f"e{i}.jpg") for i in range(uploads.MAX_PER_UPLOAD)],
    )
    assert order.attachments.count() == uploads.MAX_PER_ORDER == 12

    with pytest.raises(ValidationError) as refused:
        services.workorder_transition(
            actor=people.volunteer, order=order, action=Action.EVIDENCE, photos=[photo()]
        )
    assert "photos" in refused.value.message_dict
    assert order.attachments.count() == 12
