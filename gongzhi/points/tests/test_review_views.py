"""The review, adjustment and ledger pages on the workbench, and /m/points/me/."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from gongzhi.accounts.models import Role
from gongzhi.points import ledger
from gongzhi.points.adjustments import adjustment_propose
from gongzhi.points.models import Adjustment, AdjustmentStatus, EntryKind, LedgerEntry, ProofStatus
from gongzhi.points.review import proof_review
from gongzhi.points.tests.review_factories import activity, proof, signup, submitted


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def photo_file():
    relative = "proofs/test-review/one.jpg"
    target = Path(settings.DATA_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    yield relative
    target.unlink(missing_ok=True)


def test_the_queue_shows_flags_prominently(world):
    plain = submitted(world)
    flagged = proof(
        signup(activity(world), world.resident), flags=[{"code": "taken_outside_window"}]
    )
    body = _as(world.grid_worker_a).get(reverse("points_review:queue")).content.decode()
    assert f"/points/review/{plain.pk}/" in body and f"/points/review/{flagged.pk}/" in body
    assert "table-warning" in body and "⚠" in body


def test_a_repeated_photo_is_shown_beside_the_earlier_one(world, photo_file):
    earlier = proof(signup(activity(world), world.resident), file=photo_file)
    flags = [{"code": "duplicate_photo", "detail": {"proof": earlier.pk}}]
    repeated = submitted(world)
    repeated.flags, repeated.file = flags, photo_file
    repeated.save()
    client = _as(world.grid_worker_a)
    body = client.get(reverse("points_review:proof", args=[repeated.pk])).content.decode()
    assert reverse("points_review:proof_file", args=[earlier.pk]) in body
    assert reverse("points_review:proof_file", args=[repeated.pk]) in body
    assert f"#{earlier.pk}" in body and "acknowledge_flags" in body
    photo = client.get(reverse("points_review:proof_file", args=[earlier.pk]))
    assert photo.status_code == 200 and photo["X-Content-Type-Options"] == "nosniff"


def test_approving_a_flagged_proof_without_acknowledging_shows_the_rule(world):
    flagged = submitted(world)
    flagged.flags = [{"code": "no_capture_time"}]
    flagged.save()
    url = reverse("points_review:proof", args=[flagged.pk])
    response = _as(world.grid_worker_a).post(url, {"action": "approve"})
    rule = escape(gettext("This proof is flagged: confirm that you have looked at the flags."))
    assert response.status_code == 200 and rule in response.content.decode()
    assert not LedgerEntry.objects.exists()
    response = _as(world.grid_worker_a).post(url, {"action": "approve", "acknowledge_flags": "on"})
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == ProofStatus.APPROVED and LedgerEntry.objects.count() == 1


def test_rejecting_from_the_page_needs_a_reason(world):
    waiting = submitted(world)
    url = reverse("points_review:proof", args=[waiting.pk])
    response = _as(world.grid_worker_a).post(url, {"action": "reject", "note": ""})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == ProofStatus.SUBMITTED


def test_ones_own_proof_page_says_why_there_is_no_decision(world):
    own = proof(signup(activity(world), world.grid_worker_a))
    url = reverse("points_review:proof", args=[own.pk])
    client = _as(world.grid_worker_a)
    why = gettext("Nobody reviews their own proof (or one they submitted for someone).")
    assert escape(why) in client.get(url).content.decode()
    client.post(url, {"action": "approve"})
    own.refresh_from_db()
    assert own.status == ProofStatus.SUBMITTED


def test_adjustments_are_proposed_from_the_page_and_approved_by_another(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    staff = world.by_role[Role.COMMUNITY_STAFF]
    url = reverse("points_review:adjustments")
    missing = _as(staff).post(url, {"holder": volunteer.pk, "points": 5, "hours": 0, "reason": ""})
    assert missing.status_code == 200 and not Adjustment.objects.exists()
    _as(staff).post(url, {"holder": volunteer.pk, "points": 5, "hours": "0.5", "reason": "补录"})
    proposed = Adjustment.objects.get()
    decide = reverse("points_review:adjustment_decide", args=[proposed.pk])
    _as(staff).post(decide, {"decision": "approve"})  # the proposer: refused
    proposed.refresh_from_db()
    assert proposed.status == AdjustmentStatus.PROPOSED
    _as(world.secretary).post(decide, {"decision": "approve"})
    proposed.refresh_from_db()
    assert proposed.status == AdjustmentStatus.APPROVED and ledger.balance_of(volunteer) == 5


def test_the_holder_page_lists_causes_and_reverses_an_award(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    waiting = submitted(world, title="植树活动")
    proof_review(actor=world.grid_worker_a, proof=waiting, action="approve")
    award = LedgerEntry.objects.get()
    staff = _as(world.by_role[Role.COMMUNITY_STAFF])
    body = staff.get(reverse("points_review:holder", args=[volunteer.pk])).content.decode()
    assert "植树活动" in body and reverse("points_review:entry_reverse", args=[award.pk]) in body
    url = reverse("points_review:entry_reverse", args=[award.pk])
    assert staff.post(url, {"reason": ""}).status_code == 200  # the form error
    assert staff.post(url, {"reason": "重复"}).status_code == 302
    assert ledger.balance_of(volunteer) == 0


def test_holders_list_hours_in_the_area_only(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    ledger.entry_post(holder=volunteer, kind=EntryKind.AWARD, points=5, hours=3, source="s:1")
    url = reverse("points_review:holders")
    body = _as(world.by_role[Role.STREET_OFFICER]).get(url).content.decode()
    assert reverse("points_review:holder", args=[volunteer.pk]) in body
    from gongzhi.testing import _user

    other = _user("worker_b_community", world.community_b, Role.COMMUNITY_STAFF)
    body = _as(other).get(url).content.decode()
    assert reverse("points_review:holder", args=[volunteer.pk]) not in body
    assert _as(other).get(reverse("points_review:holder", args=[volunteer.pk])).status_code == 404


def test_my_points_page_shows_balance_causes_and_hours_in_elder_mode(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    waiting = submitted(world, title="敬老院探访", points=12, hours="3.0")
    proof_review(actor=world.grid_worker_a, proof=waiting, action="approve")
    staff = world.by_role[Role.COMMUNITY_STAFF]
    adjustment = adjustment_propose(actor=staff, holder=volunteer, points=-2, reason="多记了")
    from gongzhi.points.adjustments import adjustment_decide

    adjustment_decide(actor=world.secretary, adjustment=adjustment, approve=True)
    response = _as(volunteer).get(reverse("points_me:home") + "?elder=1")
    body = response.content.decode()
    assert response.status_code == 200 and 'class="portal elder"' in body
    assert "敬老院探访" in body and "多记了" in body and ">10<" in body and "3.0" in body


def test_my_points_needs_signing_in_and_shows_only_ones_own(world):
    response = Client().get(reverse("points_me:home"))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]
    ledger.entry_post(holder=world.resident, kind=EntryKind.AWARD, points=7, source="s:2")
    body = _as(world.outsider).get(reverse("points_me:home")).content.decode()
    assert ">0<" in body and ">7<" not in body


def test_the_portal_home_has_a_my_points_tile(world):
    body = _as(world.resident).get(reverse("portal:home")).content.decode()
    assert reverse("points_me:home") in body


def test_holders_can_be_kept_to_volunteers(world):
    volunteer = world.by_role[Role.VOLUNTEER]
    ledger.entry_post(holder=volunteer, kind=EntryKind.AWARD, points=5, hours=3, source="s:3")
    ledger.entry_post(holder=world.resident, kind=EntryKind.AWARD, points=5, source="s:4")
    url = reverse("points_review:holders")
    body = _as(world.secretary).get(url + "?kind=volunteer").content.decode()
    assert reverse("points_review:holder", args=[volunteer.pk]) in body
    assert reverse("points_review:holder", args=[world.resident.pk]) not in body


def test_a_malformed_day_is_no_filter(world):
    url = reverse("points_review:holders") + "?start=2025-13-45&end=x"
    assert _as(world.secretary).get(url).status_code == 200


ONE_YEAR = (
    "Points expire at the end of the year after the one they were earned in; "
    "service hours never expire."
)
SOME_YEARS = (
    "Points expire %(years)s calendar years after the end of the year they were earned in; "
    "service hours never expire."
)


@pytest.mark.parametrize("years", [0, 1, 3])
def test_my_points_says_when_points_expire_as_configured(world, settings, years):
    settings.GONGZHI_POINTS_EXPIRY_YEARS = years
    body = _as(world.resident).get(reverse("points_me:home")).content.decode()
    assert (escape(gettext(ONE_YEAR)) in body) == (years == 1)
    assert (escape(gettext(SOME_YEARS) % {"years": years}) in body) == (years > 1)
