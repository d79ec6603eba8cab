"""Activities' services: each success, each refusal and each denied permission."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gongzhi.accounts.models import Membership, Role, User
from gongzhi.accounts.services import proxy_link_create, user_for_phone, user_link_person
from gongzhi.audit.models import AuditEntry
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.points import activities as svc
from gongzhi.points.models import Activity, ProofKind, Signup
from gongzhi.points.tests.activity_factories import (
    jpeg_bytes,
    local,
    make_activity,
    photo_image,
    upload,
)
from gongzhi.testing import _user


def _fields(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.message_dict


@pytest.fixture
def member(world):
    """A resident of household A1 (their account linked to their register record)."""
    return user_link_person(user=world.resident, person=world.person_a1, actor=None)


# --- activities ------------------------------------------------------------------------------


def test_grid_worker_creates_a_draft_with_a_checkin_token(world):
    activity = make_activity(world, publish=False)
    assert activity.status == "draft" and len(activity.checkin_token) == 43
    assert activity.area_path == world.grid_a1.path
    assert AuditEntry.objects.filter(action="activity.create").exists()


def test_grid_worker_cannot_create_in_another_grid(world):
    with pytest.raises(ValidationError) as caught:
        make_activity(world, area=world.grid_a2)
    assert "area" in _fields(caught)


def test_resident_cannot_create(world):
    with pytest.raises(ValidationError) as caught:
        make_activity(world, actor=world.resident)
    assert "area" in _fields(caught)


def test_an_activity_is_for_a_community_or_a_grid(world):
    with pytest.raises(ValidationError) as caught:
        make_activity(world, area=world.building_a1)
    assert "area" in _fields(caught)


def test_an_activity_that_ends_before_it_starts_is_refused(world):
    now = clock.now()
    with pytest.raises(ValidationError) as caught:
        make_activity(world, starts_at=now, ends_at=now - dt.timedelta(hours=1))
    assert "ends_at" in _fields(caught)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("points", -1),
        ("points", 1_000_000),
        ("hours", "-1"),
        ("hours", "100"),
        ("hours", "1.25"),
        ("hours", "NaN"),
        ("capacity", 0),
        ("radius_m", 1),
        ("latitude", 95.0),
        ("proof_kind", "selfie"),
        ("title", ""),
    ],
)
def test_out_of_bounds_values_are_refused_naming_the_field(world, field, value):
    extra = {field: value}
    if field == "latitude":
        extra["longitude"] = 111.7
    with pytest.raises(ValidationError) as caught:
        make_activity(world, **extra)
    assert field in _fields(caught)


def test_reviewers_must_review_in_the_area(world):
    make_activity(world, reviewers=[world.grid_worker_a, world.secretary])
    with pytest.raises(ValidationError) as caught:
        make_activity(world, reviewers=[world.grid_worker_b])
    assert "reviewers" in _fields(caught)


def test_publish_close_and_illegal_moves(world):
    activity = make_activity(world, publish=False)
    activity = svc.activity_publish(actor=world.grid_worker_a, activity=activity)
    assert activity.status == "published" and activity.published_at
    with pytest.raises(IllegalTransition):
        svc.activity_publish(actor=world.grid_worker_a, activity=activity)
    activity = svc.activity_close(actor=world.grid_worker_a, activity=activity)
    assert activity.status == "closed"
    with pytest.raises(IllegalTransition):
        svc.activity_cancel(actor=world.grid_worker_a, activity=activity)
    with pytest.raises(IllegalTransition):
        svc.activity_update(actor=world.grid_worker_a, activity=activity, title="新")


def test_another_grids_worker_cannot_publish(world):
    activity = make_activity(world, publish=False)
    with pytest.raises(Forbidden):
        svc.activity_publish(actor=world.grid_worker_b, activity=activity)


def test_update_changes_fields_and_keeps_capacity_above_signups(world, member):
    activity = make_activity(world, capacity=5)
    svc.signup_create(actor=member, activity=activity)
    other = _user("neighbour", world.grid_a1, Role.VOLUNTEER)
    svc.signup_create(actor=other, activity=activity)
    updated = svc.activity_update(actor=world.grid_worker_a, activity=activity, title="大扫除")
    assert updated.title == "大扫除"
    with pytest.raises(ValidationError) as caught:
        svc.activity_update(actor=world.grid_worker_a, activity=activity, capacity=1)
    assert "capacity" in _fields(caught)


def test_rotating_the_token_retires_the_old_qr(world, member):
    activity = make_activity(world, proof_kind="checkin")
    old = activity.checkin_token
    svc.activity_rotate_checkin_token(actor=world.grid_worker_a, activity=activity)
    with pytest.raises(NotFound):
        svc.checkin(actor=member, token=old)


# --- sign-up ---------------------------------------------------------------------------------


def test_resident_signs_up(world, member):
    signup = svc.signup_create(actor=member, activity=make_activity(world))
    assert (signup.participant, signup.signed_up_by, signup.person) == (
        member, member, world.person_a1,
    )  # fmt: skip


def test_signing_up_twice_is_refused(world, member):
    activity = make_activity(world)
    svc.signup_create(actor=member, activity=activity)
    with pytest.raises(ValidationError) as caught:
        svc.signup_create(actor=member, activity=activity)
    assert _fields(caught)["activity"]


def test_signing_up_past_capacity_is_refused(world, member):
    activity = make_activity(world, capacity=1)
    svc.signup_create(actor=_user("first", world.grid_a1, Role.VOLUNTEER), activity=activity)
    with pytest.raises(ValidationError) as caught:
        svc.signup_create(actor=member, activity=activity)
    assert "activity" in _fields(caught)


def test_a_cancelled_place_is_free_again(world, member):
    activity = make_activity(world, capacity=1)
    signup = svc.signup_create(actor=member, activity=activity)
    svc.signup_cancel(actor=member, signup=signup)
    svc.signup_create(actor=_user("next", world.grid_a1, Role.VOLUNTEER), activity=activity)


def test_a_draft_is_not_found_and_a_closed_one_refuses(world, member):
    draft = make_activity(world, publish=False)
    with pytest.raises(NotFound):
        svc.signup_create(actor=member, activity=draft)
    closed = svc.activity_close(actor=None, activity=make_activity(world))
    with pytest.raises(ValidationError) as caught:
        svc.signup_create(actor=member, activity=closed)
    assert "activity" in _fields(caught)


def test_someone_of_another_community_cannot_sign_up(world):
    outsider = user_link_person(user=world.outsider, person=world.person_b1, actor=None)
    with pytest.raises(NotFound):
        svc.signup_create(actor=outsider, activity=make_activity(world))


def test_a_community_activity_is_open_to_its_grids_residents(world, member):
    activity = make_activity(world, actor=world.secretary, area=world.community_a)
    assert svc.signup_create(actor=member, activity=activity)


def test_proxy_signs_up_a_parent_without_an_account(world):
    child = _user("child", None, None)
    proxy_link_create(user=child, person=world.person_a2, relation="child")
    activity = make_activity(world, area=world.grid_a2, actor=world.grid_worker_b)
    signup = svc.signup_create(actor=child, activity=activity, person=world.person_a2)
    parent = signup.participant
    assert parent != child and parent.person == world.person_a2
    assert not parent.has_usable_password()
    assert signup.signed_up_by == child and signup.person == world.person_a2
    assert world.person_a2.name not in parent.username
    assert Membership.objects.get(user=parent).role == Role.RESIDENT
    # The register's number: the parent's first SMS sign-in finds this account.
    assert user_for_phone(world.person_a2.phone.reveal()) == parent


def test_proxy_signs_up_a_parent_who_has_an_account(world):
    parent = user_link_person(user=_user("parent", None, None), person=world.person_a1, actor=None)
    child = _user("child", None, None)
    proxy_link_create(user=child, person=world.person_a1, relation="child")
    signup = svc.signup_create(actor=child, activity=make_activity(world), person=world.person_a1)
    assert signup.participant == parent
    assert User.objects.filter(person=world.person_a1).count() == 1


def test_acting_for_someone_without_a_link_is_not_found(world):
    stranger = _user("stranger", None, None)
    with pytest.raises(NotFound):
        svc.signup_create(actor=stranger, activity=make_activity(world), person=world.person_a1)


def test_only_the_participant_or_their_proxy_cancels(world, member):
    signup = svc.signup_create(actor=member, activity=make_activity(world))
    with pytest.raises(NotFound):
        svc.signup_cancel(actor=world.grid_worker_a, signup=signup)
    svc.signup_cancel(actor=member, signup=signup)
    with pytest.raises(IllegalTransition):
        svc.signup_cancel(actor=member, signup=signup)


def test_two_signups_for_the_last_place_lock_the_activity_row(world, member, monkeypatch):
    """Deterministic: the count of places happens after the activity's row is locked."""
    activity = make_activity(world, capacity=1)
    order: list[str] = []
    real = svc._locked

    def locked(found):
        order.append("lock")
        return real(found)

    monkeypatch.setattr(svc, "_locked", locked)
    original_count = Signup.objects.filter

    def counting(*args, **kwargs):
        order.append("count")
        return original_count(*args, **kwargs)

    monkeypatch.setattr(Signup.objects, "filter", counting)
    svc.signup_create(actor=member, activity=activity)
    assert order[0] == "lock" and "count" in order


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_signups_for_the_last_place_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite writers take turns")
    from gongzhi.testing import build_world

    world = build_world()
    activity = make_activity(world, capacity=1)
    racers = [_user(f"racer{i}", world.grid_a1, Role.VOLUNTEER) for i in range(2)]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def run(user):
        barrier.wait()
        try:
            svc.signup_create(actor=user, activity=activity)
            results.append("ok")
        except ValidationError:
            results.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["full", "ok"]
    assert Signup.objects.filter(activity=activity, status="signed_up").count() == 1


# --- check-in --------------------------------------------------------------------------------


def test_checkin_by_token_signs_up_and_creates_a_checkin_proof(world, member):
    activity = make_activity(world, proof_kind="checkin", latitude=30.17, longitude=111.76)
    signup, proof = svc.checkin(
        actor=member, token=activity.checkin_token, latitude=30.1701, longitude=111.7601
    )
    assert signup.checked_in_at and proof.kind == ProofKind.CHECKIN
    with pytest.raises(ValidationError) as caught:
        svc.checkin(actor=member, token=activity.checkin_token)
    assert "token" in _fields(caught)


def test_checkin_with_a_wrong_token_is_not_found(world, member):
    make_activity(world, proof_kind="checkin")
    with pytest.raises(NotFound):
        svc.checkin(actor=member, token="forged-token")


def test_checkin_outside_the_time_is_refused(world, member):
    activity = make_activity(world, proof_kind="checkin")
    late = activity.ends_at + dt.timedelta(minutes=1)
    with clock.freeze(late), pytest.raises(ValidationError) as caught:
        svc.checkin(actor=member, token=activity.checkin_token)
    assert "token" in _fields(caught)


def test_checkin_far_from_the_place_is_refused(world, member):
    activity = make_activity(
        world, proof_kind="checkin", latitude=30.17, longitude=111.76, radius_m=100
    )
    with pytest.raises(ValidationError) as caught:
        svc.checkin(actor=member, token=activity.checkin_token, latitude=30.18, longitude=111.76)
    assert "position" in _fields(caught)  # about 1.1 km north


def test_haversine_of_one_degree_of_latitude():
    assert 111_000 < svc.haversine_m(30, 111, 31, 111) < 111_400


# --- proofs ----------------------------------------------------------------------------------


@pytest.fixture
def signed_up(world, member):
    activity = make_activity(world)
    return svc.signup_create(actor=member, activity=activity)


def test_photo_proof_with_a_capture_time_inside_is_not_flagged(world, member, signed_up):
    taken = clock.now()
    data = jpeg_bytes(photo_image(1), taken=taken.astimezone(local(2026, 1, 1).tzinfo))
    proof = svc.proof_submit(actor=member, signup=signed_up, upload=upload(data))
    assert proof.flags == [] and proof.phash and proof.file and proof.status == "submitted"


def test_the_same_file_twice_is_refused(world, member, signed_up):
    data = jpeg_bytes(photo_image(1))
    proof = svc.proof_submit(actor=member, signup=signed_up, upload=upload(data))
    proof.status = "rejected"
    proof.save()
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signed_up, upload=upload(data))
    assert "file" in _fields(caught)


def test_a_second_proof_while_one_waits_is_refused(world, member, signed_up):
    svc.proof_submit(actor=member, signup=signed_up, upload=upload(jpeg_bytes(photo_image(1))))
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signed_up, upload=upload(jpeg_bytes(photo_image(2))))
    assert "signup" in _fields(caught)


def test_a_photo_repeating_another_participants_is_flagged(world, member, signed_up):
    other = _user("other", world.grid_a1, Role.VOLUNTEER)
    first_signup = svc.signup_create(actor=other, activity=make_activity(world, title="另一次"))
    image = photo_image(5)
    first = svc.proof_submit(actor=other, signup=first_signup, upload=upload(jpeg_bytes(image)))
    w, h = image.size
    copy = jpeg_bytes(image.crop((int(w * 0.04), 0, w, h)).resize((960, 720)), quality=60)
    proof = svc.proof_submit(actor=member, signup=signed_up, upload=upload(copy))
    codes = {flag["code"]: flag["detail"] for flag in proof.flags}
    assert codes["duplicate_photo"]["proof"] == first.pk
    assert "no_capture_time" in codes


def test_a_photo_taken_before_the_activity_is_flagged(world, member, signed_up):
    taken = signed_up.activity.starts_at - dt.timedelta(days=3)
    data = jpeg_bytes(photo_image(3), taken=taken.astimezone(local(2026, 1, 1).tzinfo))
    proof = svc.proof_submit(actor=member, signup=signed_up, upload=upload(data))
    assert [flag["code"] for flag in proof.flags] == ["taken_outside_window"]


def test_proof_kind_mismatch_is_refused(world, member):
    text_signup = svc.signup_create(actor=member, activity=make_activity(world, proof_kind="text"))
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=text_signup, upload=upload(jpeg_bytes(photo_image(1))))  # fmt: skip
    assert "file" in _fields(caught)
    checkin_signup = svc.signup_create(
        actor=member, activity=make_activity(world, proof_kind="checkin", title="签到")
    )
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=checkin_signup, text="我来了，打扫了楼道")
    assert "file" in _fields(caught)


def test_a_photo_activity_needs_a_photo_and_refuses_a_forgery(world, member, signed_up):
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signed_up, text="我参加了")
    assert "file" in _fields(caught)
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signed_up, upload=upload(b"GIF89a<script>"))
    assert "file" in _fields(caught)


def test_text_proof(world, member):
    signup = svc.signup_create(actor=member, activity=make_activity(world, proof_kind="text"))
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signup, text="短")
    assert "text" in _fields(caught)
    proof = svc.proof_submit(
        actor=member, signup=signup, text="上午九点到十一点清扫了一到三单元楼道"
    )
    assert proof.kind == "text" and proof.flags == []


def test_only_the_participant_or_their_proxy_submits(world, member, signed_up):
    with pytest.raises(NotFound):
        svc.proof_submit(
            actor=world.grid_worker_a, signup=signed_up, upload=upload(jpeg_bytes(photo_image(1)))
        )
    child = _user("child", None, None)
    proxy_link_create(user=child, person=world.person_a1, relation="child")
    proof = svc.proof_submit(actor=child, signup=signed_up, upload=upload(jpeg_bytes(photo_image(1))))  # fmt: skip
    assert proof.submitted_by == child


def test_no_proof_before_the_activity_starts(world, member):
    now = clock.now()
    activity = make_activity(
        world, starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=2)
    )
    signup = svc.signup_create(actor=member, activity=activity)
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signup, upload=upload(jpeg_bytes(photo_image(1))))
    assert "signup" in _fields(caught)


def test_services_are_usable_from_a_script(world):
    """The demo calls them with actor None (the system)."""
    activity = make_activity(world, actor=None)
    assert isinstance(activity, Activity) and activity.status == "published"


def test_a_null_character_in_a_written_account_is_refused(world, member):
    signup = svc.signup_create(actor=member, activity=make_activity(world, proof_kind="text"))
    with pytest.raises(ValidationError) as caught:
        svc.proof_submit(actor=member, signup=signup, text="打扫了楼道\x00一小时整")
    assert "text" in _fields(caught)
