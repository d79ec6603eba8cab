import datetime as dt

from gongzhi.core import clock
from gongzhi.notices import selectors, services
from gongzhi.notices.tests.factories import publish, resident_of


def test_a_resident_sees_a_notice_for_their_building(world):
    notice = publish(world.building_a1)
    assert list(selectors.resident_notices_for(person=world.person_a1)) == [notice]


def test_a_resident_of_another_building_does_not(world):
    publish(world.building_a1)
    assert not selectors.resident_notices_for(person=world.person_a2).exists()


def test_a_community_notice_reaches_every_building_of_it(world):
    notice = publish(world.community_a)
    assert list(selectors.resident_notices_for(person=world.person_a2)) == [notice]
    assert not selectors.resident_notices_for(person=world.person_b1).exists()


def test_withdrawn_expired_and_scheduled_notices_leave_residents_lists(world):
    now = clock.now()
    withdrawn = publish(world.building_a1)
    services.notice_withdraw(actor=None, notice=withdrawn)
    publish(world.building_a1, published_at=now + dt.timedelta(days=1))
    expired = publish(
        world.building_a1,
        published_at=now - dt.timedelta(days=3),
        expires_at=now - dt.timedelta(days=1),
    )
    assert not selectors.resident_notices_for(person=world.person_a1).exists()
    staff = selectors.notice_list_for(user=world.grid_worker_a)
    assert {withdrawn, expired} <= set(staff)
    assert selectors.notice_state(expired) == "expired"


def test_pinned_first_then_newest(world):
    now = clock.now()
    old_pinned = publish(world.building_a1, pinned=True, published_at=now - dt.timedelta(days=2))
    newer = publish(world.building_a1, published_at=now - dt.timedelta(hours=1))
    assert list(selectors.resident_notices_for(person=world.person_a1)) == [old_pinned, newer]


def test_unread_is_marked_for_the_person(world):
    notice = publish(world.building_a1)
    services.notice_mark_read(notice=notice, person=world.person_a1, user=None)
    assert selectors.resident_notices_for(person=world.person_a1).get().is_read
    assert selectors.unread_count_for(person=world.person_a1) == 0


def test_staff_see_notices_reaching_their_area_only(world):
    mine = publish(world.building_a1)
    community = publish(world.community_a)
    other_grid = publish(world.building_a2)
    other_community = publish(world.building_b1)
    seen = set(selectors.notice_list_for(user=world.grid_worker_a))
    assert seen == {mine, community}
    assert other_grid not in seen and other_community not in seen
    assert set(selectors.notice_list_for(user=world.secretary)) == {mine, community, other_grid}
    assert not selectors.notice_list_for(user=world.resident).exists()


def test_unread_list_is_scoped_to_the_viewers_area_and_masked(world):
    notice = publish(world.community_a)
    resident_of(world.household_a1, "欧阳娜娜")
    rows = selectors.unread_for(user=world.grid_worker_a, notice=notice)
    assert {r.name for r in rows} == {"张*明", "欧**娜"}  # not 李秀英 of grid A2
    assert all(r.building == world.building_a1.name for r in rows)
    everyone = selectors.unread_for(user=world.secretary, notice=notice)
    assert len(everyone) == 3
    assert not any("秀英" in r.name or "晓明" in r.name for r in everyone)


def test_counts_follow_receipts_in_scope(world):
    notice = publish(world.community_a)
    services.notice_mark_read(notice=notice, person=world.person_a2, user=None, by_proxy=True)
    mine = selectors.receipt_counts_for(user=world.grid_worker_a, notice=notice)
    assert (mine.audience, mine.read, mine.unread) == (1, 0, 1)
    whole = selectors.receipt_counts_for(user=world.secretary, notice=notice)
    assert (whole.audience, whole.read, whole.unread, whole.by_proxy) == (2, 1, 1, 1)


def test_moved_out_persons_are_not_in_the_audience(world):
    notice = publish(world.building_a1)
    gone = resident_of(world.household_a1, "钱多多")
    gone.residency = "moved_out"
    gone.save(update_fields=["residency"])
    assert gone not in selectors.audience_persons(notice)


def test_target_choices_are_in_scope(world):
    choices = selectors.target_choices_for(user=world.grid_worker_a)
    assert [a.pk for a in choices] == [world.grid_a1.pk, world.building_a1.pk]


def test_elder_cutoff_on_29_february():
    assert selectors.elder_birth_cutoff(dt.date(2028, 2, 29)) == dt.date(1963, 2, 28)
