"""Reviewing proofs: the queue, the one transition service, and each refusal."""

import pytest
from django.core.exceptions import ValidationError

from gongzhi.accounts.models import Role
from gongzhi.audit.models import AuditEntry
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.notifications.models import Notification
from gongzhi.points import ledger
from gongzhi.points.ledger_selectors import hours_of
from gongzhi.points.models import LedgerEntry, ProofStatus
from gongzhi.points.review import proof_queue_for, proof_review
from gongzhi.points.tests.review_factories import activity, proof, signup, submitted


def test_approving_awards_the_participant_once_and_tells_them(
    world, django_capture_on_commit_callbacks
):
    volunteer = world.by_role[Role.VOLUNTEER]
    waiting = submitted(world, points=20, hours="2.5")
    with django_capture_on_commit_callbacks(execute=True):
        done = proof_review(actor=world.grid_worker_a, proof=waiting, action="approve")
    assert done.status == ProofStatus.APPROVED and done.reviewed_by == world.grid_worker_a
    entry = LedgerEntry.objects.get(source=f"signup:{waiting.signup_id}")
    assert (entry.holder, entry.points, str(entry.hours)) == (volunteer, 20, "2.5")
    assert ledger.balance_of(volunteer) == ledger.sum_of(volunteer) == 20
    assert str(hours_of(volunteer)) == "2.5"
    assert AuditEntry.objects.filter(action="points.proof_approve").count() == 1
    assert Notification.objects.filter(recipient=volunteer, kind="points.proof_approve").exists()


def test_approving_twice_credits_once(world):
    waiting = submitted(world)
    proof_review(actor=world.grid_worker_a, proof=waiting, action="approve")
    with pytest.raises(IllegalTransition):
        proof_review(actor=world.grid_worker_a, proof=waiting, action="approve")
    with pytest.raises(IllegalTransition):
        proof_review(actor=world.secretary, proof=waiting, action="reject", note="迟了")
    assert LedgerEntry.objects.count() == 1


def test_a_second_proof_of_the_same_signup_credits_nothing_more(world):
    first = submitted(world)
    proof_review(actor=world.grid_worker_a, proof=first, action="approve")
    second = proof(first.signup)
    proof_review(actor=world.grid_worker_a, proof=second, action="approve")
    assert LedgerEntry.objects.count() == 1
    assert ledger.balance_of(first.signup.participant) == 20


def test_nobody_reviews_their_own_proof(world):
    worker = world.grid_worker_a
    own = proof(signup(activity(world), worker))
    with pytest.raises(Forbidden):
        proof_review(actor=worker, proof=own, action="approve")
    assert own not in proof_queue_for(user=worker)
    assert not LedgerEntry.objects.exists()


def test_a_proxy_does_not_review_the_proof_they_submitted_for_a_parent(world):
    parent, proxy = world.resident, world.grid_worker_a
    for_parent = proof(signup(activity(world), parent, by=proxy), by=proxy)
    with pytest.raises(Forbidden):
        proof_review(actor=proxy, proof=for_parent, action="approve")
    assert for_parent not in proof_queue_for(user=proxy)
    proof_review(actor=world.secretary, proof=for_parent, action="approve")
    assert ledger.balance_of(parent) == 20  # the parent's own points


def test_only_the_named_reviewers_review(world):
    staff = world.by_role[Role.COMMUNITY_STAFF]
    waiting = submitted(world, reviewers=[staff])
    assert waiting not in proof_queue_for(user=world.grid_worker_a)
    with pytest.raises(Forbidden):
        proof_review(actor=world.grid_worker_a, proof=waiting, action="approve")
    assert waiting in proof_queue_for(user=staff)
    proof_review(actor=staff, proof=waiting, action="approve")


def test_outside_the_review_area_the_proof_does_not_exist(world):
    waiting = submitted(world, area=world.grid_a1)
    with pytest.raises(NotFound):
        proof_review(actor=world.grid_worker_b, proof=waiting, action="approve")
    with pytest.raises(NotFound):  # a volunteer holds no proof.review
        proof_review(actor=world.by_role[Role.VOLUNTEER], proof=waiting, action="approve")
    assert list(proof_queue_for(user=world.grid_worker_b)) == []


def test_rejecting_needs_a_reason(world):
    waiting = submitted(world)
    with pytest.raises(ValidationError) as refused:
        proof_review(actor=world.grid_worker_a, proof=waiting, action="reject", note="  ")
    assert "note" in refused.value.message_dict
    waiting.refresh_from_db()
    assert waiting.status == ProofStatus.SUBMITTED
    done = proof_review(actor=world.grid_worker_a, proof=waiting, action="reject", note="照片不符")
    assert (done.status, done.review_note) == (ProofStatus.REJECTED, "照片不符")
    assert not LedgerEntry.objects.exists()


def test_asking_for_more_needs_a_note_and_credits_nothing(world):
    waiting = submitted(world)
    with pytest.raises(ValidationError):
        proof_review(actor=world.grid_worker_a, proof=waiting, action="more")
    done = proof_review(actor=world.grid_worker_a, proof=waiting, action="more", note="请补拍")
    assert done.status == ProofStatus.MORE and not LedgerEntry.objects.exists()


def test_a_flagged_proof_is_approved_only_with_an_acknowledgement(world):
    earlier = submitted(world)
    flags = [{"code": "duplicate_photo", "detail": {"proof": earlier.pk}}]
    flagged = proof(signup(activity(world), world.resident), flags=flags)
    with pytest.raises(ValidationError) as refused:
        proof_review(actor=world.grid_worker_a, proof=flagged, action="approve")
    assert "acknowledge_flags" in refused.value.message_dict
    assert not LedgerEntry.objects.exists()
    proof_review(actor=world.grid_worker_a, proof=flagged, action="approve", acknowledge_flags=True)
    assert ledger.balance_of(world.resident) == 20


def test_the_queue_is_oldest_first_and_waiting_only(world):
    first, second = submitted(world), submitted(world, participant=world.resident)
    decided = submitted(world)
    proof_review(actor=world.grid_worker_a, proof=decided, action="more", note="再拍一张")
    assert list(proof_queue_for(user=world.grid_worker_a)) == [first, second]


def test_an_unknown_decision_is_refused_by_name(world):
    with pytest.raises(ValidationError) as refused:
        proof_review(actor=world.grid_worker_a, proof=submitted(world), action="maybe")
    assert "action" in refused.value.message_dict
