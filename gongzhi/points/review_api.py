"""Points review and ledger over REST.

    GET  /points/proofs/review                 proofs waiting for the caller's review
    POST /points/proofs/{proof_id}/review      approve, reject (reason) or ask for more (note)
    GET  /points/me                            the caller's balance and service hours
    GET  /points/me/entries                    the caller's entries with their causes
    GET  /points/holders/{holder_id}/entries   a holder's entries (points.view there)
    POST /points/adjustments                   propose an adjustment (points.adjust)
    POST /points/adjustments/{adjustment_id}/decide   approve or refuse (another person)

Thin operations over `points.review`, `points.adjustments` and `points.ledger_selectors`.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, Id, In, Page
from gongzhi.core.errors import NotFound
from gongzhi.points import adjustments, ledger_selectors, review
from gongzhi.points.models import REASON_MAX, Adjustment, LedgerEntry, Proof

router = Router(tags=["points"])


class ProofFlagOut(Schema):
    code: str
    label: str
    detail: dict[str, Any]


class ReviewedProofOut(Schema):
    id: int
    activity_id: int
    activity: str
    kind: str
    status: str
    text: str
    has_file: bool
    taken_at: dt.datetime | None
    submitted_at: dt.datetime
    by_proxy: bool = Field(description="submitted by someone acting for the participant")
    flags: list[ProofFlagOut]

    @staticmethod
    def resolve_activity_id(obj: Proof) -> int:
        return obj.signup.activity_id

    @staticmethod
    def resolve_activity(obj: Proof) -> str:
        return obj.signup.activity.title

    @staticmethod
    def resolve_has_file(obj: Proof) -> bool:
        return bool(obj.file)

    @staticmethod
    def resolve_submitted_at(obj: Proof) -> dt.datetime:
        return obj.created_at

    @staticmethod
    def resolve_by_proxy(obj: Proof) -> bool:
        return obj.submitted_by_id != obj.signup.participant_id

    @staticmethod
    def resolve_flags(obj: Proof) -> list[dict[str, Any]]:
        return review.flags_of(obj)


class ReviewIn(In):
    action: Literal["approve", "reject", "more"]
    note: str = Field("", max_length=REASON_MAX, description="required to reject or ask for more")
    acknowledge_flags: bool = Field(False, description="required to approve a flagged proof")


class EntryOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    points: int
    hours: Decimal
    cause: str


class BalanceOut(Schema):
    balance: int
    hours: Decimal


class AdjustmentIn(In):
    holder: Id
    points: int = Field(0, ge=-adjustments.POINTS_LIMIT, le=adjustments.POINTS_LIMIT)
    hours: Decimal = Field(Decimal(0), ge=-1000, le=1000, decimal_places=1)
    reason: str = Field(..., max_length=REASON_MAX)


class DecideIn(In):
    approve: bool


class AdjustmentOut(Schema):
    id: int
    holder_id: int
    points: int
    hours: Decimal
    reason: str
    status: str
    entry_id: int | None


def _lines(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    return [
        {
            "id": line.entry.pk,
            "at": line.entry.at,
            "kind": line.entry.kind,
            "points": line.entry.points,
            "hours": line.entry.hours,
            "cause": line.cause,
        }
        for line in ledger_selectors.lines_of(entries)
    ]


@router.get(
    "/points/proofs/review",
    response={200: list[ReviewedProofOut], **WRITE_ERRORS},
    operation_id="proof_review_queue",
)
@paginate(Page)
def proof_review_queue(request: SignedInRequest) -> Any:
    """Proofs waiting for the caller's review (proof.review there), oldest first; never the
    caller's own, and of activities that name no reviewers or name the caller."""
    return review.proof_queue_for(user=request.user)


@router.post(
    "/points/proofs/{proof_id}/review",
    response={200: ReviewedProofOut, **WRITE_ERRORS},
    operation_id="proof_review",
)
def proof_review(request: SignedInRequest, proof_id: Id, payload: ReviewIn) -> Any:
    """Decide on a proof: approve (credits the participant once), reject with a reason, or
    ask for more with a note. 403 for one's own proof or a non-reviewer, 409 once decided."""
    proof = review.proof_get_for_review(user=request.user, proof_id=proof_id)
    return review.proof_review(
        actor=request.user,
        proof=proof,
        action=payload.action,
        note=payload.note,
        acknowledge_flags=payload.acknowledge_flags,
    )


@router.get("/points/me", response={200: BalanceOut, **WRITE_ERRORS}, operation_id="points_me")
def points_me(request: SignedInRequest) -> Any:
    """The caller's points balance and service hours."""
    return ledger_selectors.summary_of(request.user)


@router.get(
    "/points/me/entries",
    response={200: list[EntryOut], **WRITE_ERRORS},
    operation_id="points_me_entries",
)
@paginate(Page)
def points_me_entries(request: SignedInRequest) -> Any:
    """The caller's ledger entries, newest first, each with its cause in plain words."""
    return _LazyLines(ledger_selectors.entries_of(request.user))


@router.get(
    "/points/holders/{holder_id}/entries",
    response={200: list[EntryOut], **WRITE_ERRORS},
    operation_id="points_holder_entries",
)
@paginate(Page)
def points_holder_entries(request: SignedInRequest, holder_id: Id) -> Any:
    """A holder's entries (points.view where their points count), newest first."""
    holder = ledger_selectors.holder_get_for(user=request.user, holder_id=holder_id)
    return _LazyLines(ledger_selectors.entries_of(holder))


class _LazyLines:
    """A page of entries turned into lines only for the slice the paginator takes."""

    def __init__(self, rows: Any):
        self.rows = rows

    def count(self) -> int:
        return int(self.rows.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return _lines(list(self.rows[index]))


@router.post(
    "/points/adjustments",
    response={201: AdjustmentOut, **WRITE_ERRORS},
    operation_id="points_adjustment_propose",
)
def points_adjustment_propose(request: SignedInRequest, payload: AdjustmentIn) -> Any:
    """Propose an adjustment with a reason; another points.adjust holder approves it."""
    try:
        holder = ledger_selectors.holder_get_for(
            user=request.user, holder_id=payload.holder, perm=Perm.POINTS_ADJUST
        )
    except NotFound:
        raise ValidationError({"holder": [_("No such record in your area.")]}) from None
    adjustment = adjustments.adjustment_propose(
        actor=request.user,
        holder=holder,
        points=payload.points,
        hours=payload.hours,
        reason=payload.reason,
    )
    return Status(201, adjustment)


@router.post(
    "/points/adjustments/{adjustment_id}/decide",
    response={200: AdjustmentOut, **WRITE_ERRORS},
    operation_id="points_adjustment_decide",
)
def points_adjustment_decide(request: SignedInRequest, adjustment_id: Id, payload: DecideIn) -> Any:
    """Approve (posts the entry) or refuse an adjustment; never the proposer (403)."""
    found: Adjustment = adjustments.adjustment_get_for(
        user=request.user, adjustment_id=adjustment_id
    )
    return adjustments.adjustment_decide(
        actor=request.user, adjustment=found, approve=payload.approve
    )
