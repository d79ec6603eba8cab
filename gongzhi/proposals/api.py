"""Proposals and polls over REST.

    GET  /proposals                          proposals the caller may see
    GET  /proposals/{id}                     one, with its official answer and follow-up
    POST /proposals/{id}/support             support it (for oneself, or `person` one acts for)
    POST /proposals/{id}/steps               staff: publish, decline, answer, progress, done …
    GET  /polls                              polls of the caller's areas
    POST /polls                              staff: open a poll (2–10 options)
    GET  /polls/{id}                         one poll; results when its setting shows them
    POST /polls/{id}/votes                   vote (one per person in the register)
    GET  /polls/{id}/flags                   staff: anomaly flags with their evidence

Thin operations over `selectors` and `services`; refusals are field errors naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, Id, In, Mapped, Page
from gongzhi.core.errors import Forbidden
from gongzhi.core.middleware import client_ip
from gongzhi.proposals import policy, selectors, services
from gongzhi.proposals.models import BODY_MAX, NOTE_MAX, Poll, Proposal
from gongzhi.proposals.states import Action, Visibility
from gongzhi.registry.models import Area, Person

router = Router(tags=["proposals"])


class UpdateOut(Schema):
    at: dt.datetime
    action: str
    note: str


class ProposalOut(Schema):
    id: int
    title: str
    body: str
    status: str
    area_id: int
    origin: str
    supports: int
    answer: str
    result: str
    poll_id: int | None
    updates: list[UpdateOut]

    @staticmethod
    def resolve_supports(obj: Proposal) -> int:
        return getattr(obj, "support_count", 0)

    @staticmethod
    def resolve_poll_id(obj: Proposal) -> int | None:
        poll = getattr(obj, "poll", None)
        return poll.pk if poll is not None else None

    @staticmethod
    def resolve_updates(obj: Proposal) -> list[Any]:
        return [u for u in selectors.proposal_updates(obj) if u.action != "publish"]


class PersonIn(In):
    person: Id | None = Field(None, description="the person one acts for; default: oneself")


class StepIn(In):
    action: Action
    note: str = Field("", max_length=NOTE_MAX)


class ResultRow(Schema):
    option_id: int
    label: str
    votes: int
    by_proxy: int


class OptionOut(Schema):
    id: int
    label: str


class PollOut(Schema):
    id: int
    question: str
    area_id: int
    proposal_id: int | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    results_visibility: str
    options: list[OptionOut]
    results: list[ResultRow] | None = Field(description="null while the poll's setting hides them")


class PollIn(In):
    area: Id | None = None
    proposal: Id | None = None
    question: str = Field(max_length=BODY_MAX)
    options: list[str] = Field(max_length=20)
    opens_at: dt.datetime
    closes_at: dt.datetime
    results_visibility: Visibility = Visibility.AFTER_CLOSE


class VoteIn(PersonIn):
    option: Id


class VoteOut(Schema):
    id: int
    poll_id: int
    option_id: int
    person_id: int
    by_proxy: bool
    at: dt.datetime


class PollFlagOut(Schema):
    id: int
    kind: str
    count: int
    window_seconds: int
    first_at: dt.datetime
    last_at: dt.datetime
    vote_ids: list[int]
    reviewed_at: dt.datetime | None


def _person(request: SignedInRequest, person_id: int | None) -> Person | None:
    if person_id is None:
        return request.user.person
    return Person.objects.filter(pk=person_id).first()


def _poll_out(request: SignedInRequest, poll: Poll) -> dict[str, Any]:
    voted = poll.votes.filter(user=request.user).exists()
    shown = selectors.results_shown(user=request.user, poll=poll, voted=voted)
    results = selectors.poll_results(poll) if shown else None
    return {
        "id": poll.pk,
        "question": poll.question,
        "area_id": poll.area_id,
        "proposal_id": poll.proposal_id,
        "opens_at": poll.opens_at,
        "closes_at": poll.closes_at,
        "results_visibility": poll.results_visibility,
        "options": [{"id": o.pk, "label": o.label} for o in poll.options.all()],
        "results": [r.__dict__ for r in results.rows] if results is not None else None,
    }


@router.get(
    "/proposals",
    response={200: list[ProposalOut], **WRITE_ERRORS},
    operation_id="proposal_list",
    url_name="proposal_list",
)
@paginate(Page)
def proposal_list(request: SignedInRequest) -> Any:
    """Published proposals of the areas the caller belongs to, and their own waiting ones."""
    return selectors.proposal_list_for(user=request.user)


@router.get(
    "/proposals/{proposal_id}",
    response={200: ProposalOut, **WRITE_ERRORS},
    operation_id="proposal_get",
)
def proposal_get(request: SignedInRequest, proposal_id: Id) -> Any:
    return selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)


@router.post(
    "/proposals/{proposal_id}/support",
    response={201: ProposalOut, **WRITE_ERRORS},
    operation_id="proposal_support",
)
def proposal_support(request: SignedInRequest, proposal_id: Id, payload: PersonIn) -> Any:
    """One support per person in the register; a proxy's is labelled. 400 naming `person`
    (already supports, not one's to act for, outside the area) or `proposal` (not open)."""
    proposal = selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)
    services.proposal_support(
        actor=request.user, proposal=proposal, person=_person(request, payload.person)
    )
    return Status(201, selectors.proposal_get_for(user=request.user, proposal_id=proposal_id))


@router.post(
    "/proposals/{proposal_id}/steps",
    response={200: ProposalOut, **WRITE_ERRORS},
    operation_id="proposal_step",
)
def proposal_step(request: SignedInRequest, proposal_id: Id, payload: StepIn) -> Any:
    """Staff with proposal.manage: one step of the proposal's life (409 when not from its
    status; 400 naming the note's field when it is required)."""
    proposal = selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)
    if not policy.may_manage(request.user, proposal.area_path):
        raise Forbidden()
    services.proposal_transition(
        actor=request.user, proposal=proposal, action=payload.action, note=payload.note
    )
    return selectors.proposal_get_for(user=request.user, proposal_id=proposal_id)


@router.get(
    "/polls",
    response={200: list[PollOut], **WRITE_ERRORS},
    operation_id="poll_list",
    url_name="poll_list",
)
@paginate(Page)
def poll_list(request: SignedInRequest) -> Any:
    return Mapped(selectors.poll_list_for(user=request.user), lambda p: _poll_out(request, p))


@router.post("/polls", response={201: PollOut, **WRITE_ERRORS}, operation_id="poll_create")
def poll_create(request: SignedInRequest, payload: PollIn) -> Any:
    """Staff open a poll for an area where they hold proposal.manage (or for a proposal
    there). An area or proposal elsewhere is "no such record in your area"."""
    area = proposal = None
    if payload.proposal is not None:
        proposal = (
            selectors.proposal_queue_for(user=request.user).filter(pk=payload.proposal).first()
        )
        if proposal is None:
            raise ValidationError({"proposal": [_("No such record in your area.")]})
    elif payload.area is not None:
        area = (
            Area.objects.restrict(request.user, Perm.PROPOSAL_MANAGE)
            .filter(pk=payload.area)
            .first()
        )
        if area is None:
            raise ValidationError({"area": [_("No such record in your area.")]})
    poll = services.poll_create(
        actor=request.user,
        area=area,
        question=payload.question,
        options=payload.options,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
        results_visibility=payload.results_visibility,
        proposal=proposal,
    )
    return Status(201, _poll_out(request, poll))


@router.get("/polls/{poll_id}", response={200: PollOut, **WRITE_ERRORS}, operation_id="poll_get")
def poll_get(request: SignedInRequest, poll_id: Id) -> Any:
    return _poll_out(request, selectors.poll_get_for(user=request.user, poll_id=poll_id))


@router.post(
    "/polls/{poll_id}/votes", response={201: VoteOut, **WRITE_ERRORS}, operation_id="poll_vote"
)
def poll_vote(request: SignedInRequest, poll_id: Id, payload: VoteIn) -> Any:
    """One vote per person in the register, while the poll is open. 400 naming `person`
    (already voted, not one's to act for, outside the area), `poll` (closed, not yet open)
    or `option`. The app's device id (header `X-Device-Id`) and the address are kept only
    as keyed digests."""
    poll = selectors.poll_get_for(user=request.user, poll_id=poll_id)
    vote = services.poll_vote(
        actor=request.user,
        poll=poll,
        person=_person(request, payload.person),
        option=payload.option,
        address=client_ip(request),
        device=request.headers.get("X-Device-Id", "")[:64],
    )
    return Status(201, vote)


@router.get(
    "/polls/{poll_id}/flags",
    response={200: list[PollFlagOut], **WRITE_ERRORS},
    operation_id="poll_flags",
)
def poll_flags(request: SignedInRequest, poll_id: Id) -> Any:
    """Staff: the poll's anomaly flags and their evidence (no personal values)."""
    poll = selectors.poll_get_for(user=request.user, poll_id=poll_id)
    if not policy.may_manage(request.user, poll.area_path):
        raise Forbidden()
    return list(selectors.poll_flags(poll))
