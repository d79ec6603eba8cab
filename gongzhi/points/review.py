"""Reviewing proofs: the queue a reviewer works through and the one service that decides.

Who reviews a proof: someone who holds `proof.review` on the proof's place (the
activity's area); when the activity names reviewers, only they; and never the person the
proof is for, whoever signed them up, or whoever submitted it — nobody reviews their own
proof, a proxy's proof for a parent included (`review_refusal`).

`proof_review` is the only code that changes a proof's status on review: it locks the
proof, checks the move against `REVIEW_MOVES`, writes the decision and its audit entry
and, on approval, the award (`ledger.entry_post`, source "signup:<id>": one award per
sign-up, whatever number of proofs) in one transaction; the participant is told after
commit. A flagged proof (a repeated photo, a capture time outside the activity, no
capture time) is approved only with the reviewer's explicit acknowledgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.notifications.services import notify
from gongzhi.points import ledger
from gongzhi.points.models import REASON_MAX, EntryKind, LedgerEntry, Proof, ProofStatus

# --- states: the reviewer's moves ------------------------------------------------------------


@dataclass(frozen=True)
class ReviewMove:
    sources: frozenset[str]
    target: str
    needs_note: bool
    label: Promise


# A proof waiting for review is approved, rejected (with a reason) or sent back for more
# (with a note; the participant submits again). Decided proofs move no more.
REVIEW_MOVES: dict[str, ReviewMove] = {
    "approve": ReviewMove(
        frozenset({ProofStatus.SUBMITTED}), ProofStatus.APPROVED, False, gettext_lazy("Approve")
    ),
    "reject": ReviewMove(
        frozenset({ProofStatus.SUBMITTED}), ProofStatus.REJECTED, True, gettext_lazy("Reject")
    ),
    "more": ReviewMove(
        frozenset({ProofStatus.SUBMITTED}), ProofStatus.MORE, True, gettext_lazy("Ask for more")
    ),
}
ALLOWED_REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    ProofStatus.SUBMITTED: frozenset(
        {ProofStatus.APPROVED, ProofStatus.REJECTED, ProofStatus.MORE}
    ),
    ProofStatus.MORE: frozenset(),  # the participant's next submission, not a reviewer's move
    ProofStatus.APPROVED: frozenset(),
    ProofStatus.REJECTED: frozenset(),
}

# What each flag code means to the reviewer (set at submission, `Proof.flags`).
FLAG_LABELS: dict[str, Promise] = {
    "duplicate_photo": gettext_lazy("This photo repeats an earlier submission"),
    "taken_outside_window": gettext_lazy("The photo was taken outside the activity's time"),
    "no_capture_time": gettext_lazy("The photo carries no capture time"),
}

# --- who may review ----------------------------------------------------------------------------


def _own_ids(proof: Proof) -> set[int]:
    signup = proof.signup
    return {signup.participant_id, signup.signed_up_by_id, proof.submitted_by_id}


def review_refusal(user: User, proof: Proof) -> str | None:
    """Why `user` may not review `proof` (a sentence), or None when they may. Assumes the
    user holds `proof.review` on the proof's place (checked by the selectors)."""
    if user.pk in _own_ids(proof):
        return _("Nobody reviews their own proof (or one they submitted for someone).")
    reviewers = proof.signup.activity.reviewers
    if reviewers.exists() and not reviewers.filter(pk=user.pk).exists():
        return _("This activity names its reviewers, and you are not one of them.")
    return None


# --- reads -------------------------------------------------------------------------------------


def _scoped(user: User) -> QuerySet[Proof]:
    return Proof.objects.restrict(user, Perm.PROOF_REVIEW).select_related(
        "signup__activity", "signup__participant", "submitted_by"
    )


def proof_queue_for(*, user: User) -> QuerySet[Proof]:
    """Proofs waiting for this reviewer, oldest first: in their area, not their own, and of
    activities that name no reviewers or name them."""
    rows = (
        _scoped(user)
        .filter(status=ProofStatus.SUBMITTED)
        .exclude(signup__participant=user)
        .exclude(signup__signed_up_by=user)
        .exclude(submitted_by=user)
    )
    rows = rows.exclude(signup__activity__reviewers__isnull=False) | rows.filter(
        signup__activity__reviewers=user
    )
    return rows.distinct().order_by("created_at", "pk")


def proof_get_for_review(*, user: User, proof_id: int) -> Proof:
    """A proof in the user's review area (any status); missing or elsewhere: NotFound."""
    found = _scoped(user).filter(pk=proof_id).first()
    if found is None:
        raise NotFound()
    return found


def earlier_proof_of(*, user: User, proof: Proof) -> Proof | None:
    """The earlier proof a repeated photo matches, when the reviewer's area holds it."""
    for flag in proof.flags or []:
        if isinstance(flag, dict) and flag.get("code") == "duplicate_photo":
            earlier = (flag.get("detail") or {}).get("proof")
            if earlier is not None:
                return _scoped(user).filter(pk=earlier).first()
    return None


def flags_of(proof: Proof) -> list[dict[str, Any]]:
    """The proof's flags with their meaning, for the page and the API."""
    shown = []
    for flag in proof.flags or []:
        code = flag.get("code", "") if isinstance(flag, dict) else str(flag)
        detail = flag.get("detail", {}) if isinstance(flag, dict) else {}
        shown.append({"code": code, "label": str(FLAG_LABELS.get(code, code)), "detail": detail})
    return shown


# --- the decision ------------------------------------------------------------------------------


def proof_review(
    *,
    actor: User,
    proof: Proof | int,
    action: str,
    note: str = "",
    acknowledge_flags: bool = False,
) -> Proof:
    """Approve, reject or ask for more. Raises NotFound (not in the actor's review area),
    Forbidden (their own proof, or not a named reviewer), IllegalTransition (already
    decided) or ValidationError naming the field (no reason; a flagged proof approved
    without `acknowledge_flags`; an award the ledger refuses)."""
    proof_id = proof.pk if isinstance(proof, Proof) else int(proof)
    move = REVIEW_MOVES.get(action)
    if move is None:
        raise ValidationError({"action": [_("Unknown decision.")]})
    with transaction.atomic():
        locked = Proof.objects.select_for_update(of=("self",)).filter(pk=proof_id).first()
        if locked is None or not access.can(actor, Perm.PROOF_REVIEW, locked.area_path):
            raise NotFound()
        refusal = review_refusal(actor, locked)
        if refusal is not None:
            raise Forbidden(refusal)
        if locked.status not in move.sources:
            raise IllegalTransition(_("This proof has already been decided."))
        errors: dict[str, list[Any]] = {}
        note = text_field(errors, "note", note, REASON_MAX, required=move.needs_note)
        if action == "approve" and locked.flags and not acknowledge_flags:
            errors.setdefault("acknowledge_flags", []).append(
                _("This proof is flagged: confirm that you have looked at the flags.")
            )
        raise_errors(errors)
        if move.target not in ALLOWED_REVIEW_TRANSITIONS[locked.status]:
            raise IllegalTransition()
        now = clock.now()
        entry = _award(locked, actor) if action == "approve" else None
        locked.status = move.target
        locked.reviewed_by = actor
        locked.reviewed_at = now
        locked.review_note = note
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            action=f"points.proof_{action}",
            obj=locked,
            object_label=f"proof {locked.pk}",
            area_path=locked.area_path,
            fields=["status", *(["acknowledge_flags"] if locked.flags else [])],
            purpose=f"ledger entry {entry.pk}" if entry is not None else "",
        )
        transaction.on_commit(lambda: _tell(locked.pk, action), robust=True)
    return locked


def _award(proof: Proof, actor: User) -> LedgerEntry | None:
    """The sign-up's one award (None when the activity credits nothing)."""
    signup = proof.signup
    activity = signup.activity
    if not activity.points and not activity.hours:
        return None
    entry, _created = ledger.entry_post(
        holder=signup.participant,
        kind=EntryKind.AWARD,
        points=activity.points,
        hours=activity.hours,
        source=f"signup:{signup.pk}",
        created_by=actor,
        approved_by=actor,
    )
    return entry


_TOLD = {
    "approve": gettext_lazy("Your proof for “%(title)s” was approved: points credited."),
    "reject": gettext_lazy("Your proof for “%(title)s” was not accepted."),
    "more": gettext_lazy("Please add to your proof for “%(title)s”."),
}


def _tell(proof_id: int, action: str) -> None:
    proof = Proof.objects.select_related("signup__activity", "signup__participant").get(pk=proof_id)
    try:
        url = reverse("points_me:home")
    except NoReverseMatch:
        url = ""
    notify(
        recipients=[proof.signup.participant],
        kind=f"points.proof_{action}",
        title=_TOLD[action] % {"title": proof.signup.activity.title},
        body=proof.review_note,
        url=url,
        actor=proof.reviewed_by,
        obj=proof,
    )
