"""Writes to proposals and polls. Every status change of a proposal goes through
`proposal_transition` (row lock, `states` tables, audit); a support and a vote are each
one row that a database constraint keeps to one per person in the register."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gongzhi.accounts.acting import proxy_purpose
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.audit.services import audit_record
from gongzhi.core import clock, scope
from gongzhi.core.crypto import blind_index
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.proposals import policy
from gongzhi.proposals.models import (
    BODY_MAX,
    NOTE_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    TITLE_MAX,
    Flag,
    Option,
    Origin,
    Poll,
    Proposal,
    Support,
    Update,
    Vote,
)
from gongzhi.proposals.states import (
    ACTIONS,
    ALLOWED_TRANSITIONS,
    POLLABLE,
    SUPPORTABLE,
    Status,
    Visibility,
)
from gongzhi.registry.models import Area, AreaKind, Person

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Actor
    from gongzhi.workorders.models import WorkOrder

ADDRESS_PURPOSE = "poll.address"
DEVICE_PURPOSE = "poll.device"
QUESTION_MAX = 200
PROPOSAL_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.GRID)


def _purpose(actor: Actor, person: Person | None) -> str:
    """The audit purpose of a proxy's act: which link; empty when acting for oneself."""
    if actor is None or person is None or actor.person_id == person.pk:
        return ""
    link = proxy_link_for(actor, person.pk)
    return proxy_purpose(link) if link is not None else ""


def areas_for(person: Person) -> list[Area]:
    """Where a person may propose: the community and the grid their household lies in."""
    return list(
        Area.objects.filter(
            path__in=scope.ancestors(person.area_path, inclusive=True),
            kind__in=PROPOSAL_AREA_KINDS,
        ).order_by("path")
    )


def _taker(actor: Actor, person: Person | None) -> Person:
    """The person the actor takes part for: their own record or one they act for."""
    if person is None:
        raise ValidationError(
            {"person": [_("Your account is not linked to a person in the register.")]}
        )
    if actor is not None and not policy.acts_for(actor, person):
        raise ValidationError({"person": [_("You do not act for this person.")]})
    return person


# --- proposals ----------------------------------------------------------------------------


def proposal_submit(
    *, actor: User, person: Person | None, area: Area | None, title: str, body: str
) -> Proposal:
    """A resident (or their proxy) writes a proposal for their community or grid; it waits
    for staff as "submitted"."""
    person = _taker(actor, person)
    errors: dict[str, list[str]] = {}
    title = text_field(errors, "title", title, TITLE_MAX, required=True, one_line=True)
    body = text_field(errors, "body", body, BODY_MAX, required=True)
    if area is None or area.pk not in {a.pk for a in areas_for(person)}:
        errors.setdefault("area", []).append(
            _("Choose the community or the grid where the household lives.")
        )
    raise_errors(errors)
    assert area is not None
    with transaction.atomic():
        proposal = Proposal.objects.create(
            area=area,
            area_path=area.path,
            title=title,
            body=body,
            author_person=person,
            author=actor,
            by_proxy=actor.person_id != person.pk,
        )
        audit_record(
            actor=actor,
            action="proposal.submit",
            obj=proposal,
            area_path=proposal.area_path,
            fields=["title", "body"],
            purpose=_purpose(actor, person),
        )
    return proposal


def proposal_from_workorder(
    *, actor: Actor, order: WorkOrder, title: str, body: str = ""
) -> Proposal:
    """Staff publish a resident's suggestion work order as a proposal (published at once),
    for the order's grid (or its place's community when it has no grid)."""
    from gongzhi.workorders.models import Kind

    errors: dict[str, list[str]] = {}
    if order.category.kind != Kind.SUGGESTION:
        errors.setdefault("workorder", []).append(_("Only a suggestion can become a proposal."))
    if Proposal.objects.filter(workorder=order).exists():
        errors.setdefault("workorder", []).append(_("This suggestion is already a proposal."))
    title = text_field(errors, "title", title, TITLE_MAX, required=True, one_line=True)
    body = text_field(errors, "body", body or order.description, BODY_MAX, required=True)
    area = order.grid or _community_of(order.area_path)
    if area is None:
        errors.setdefault("workorder", []).append(_("The suggestion has no community or grid."))
    raise_errors(errors)
    assert area is not None
    if actor is not None and not policy.may_manage(actor, area.path):
        raise Forbidden()
    now = clock.now()
    with transaction.atomic():
        proposal = Proposal.objects.create(
            area=area,
            area_path=area.path,
            title=title,
            body=body,
            status=Status.PUBLISHED,
            origin=Origin.SUGGESTION,
            author_person=order.person,
            author=order.requester,
            workorder=order,
            published_at=now,
        )
        Update.objects.create(
            proposal=proposal,
            at=now,
            action="publish",
            from_status=Status.SUBMITTED,
            to_status=Status.PUBLISHED,
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="proposal.publish",
            obj=proposal,
            area_path=proposal.area_path,
            fields=["status", "workorder"],
        )
    return proposal


def _community_of(path: str) -> Area | None:
    return (
        Area.objects.filter(
            path__in=scope.ancestors(path, inclusive=True), kind__in=PROPOSAL_AREA_KINDS
        )
        .order_by("-path")
        .first()
    )


def proposal_transition(
    *, actor: Actor, proposal: Proposal | int, action: str, note: str = ""
) -> Proposal:
    """One step of a proposal's life (publish, decline, answer, progress, done, not done).
    NotFound (not visible), Forbidden (not staff there), IllegalTransition (409: not from
    its status) or ValidationError naming the missing note's field."""
    proposal_id = proposal.pk if isinstance(proposal, Proposal) else int(proposal)
    if action not in ACTIONS:
        raise ValidationError({"action": [_("Unknown step.")]})
    move = ACTIONS[action]
    with transaction.atomic():
        try:
            proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        except Proposal.DoesNotExist:
            raise NotFound() from None
        if actor is not None and not policy.can_see_proposal(actor, proposal):
            raise NotFound()
        if actor is not None and not policy.may_manage(actor, proposal.area_path):
            raise Forbidden()
        before = proposal.status
        if move.target not in ALLOWED_TRANSITIONS[before]:
            raise IllegalTransition()
        errors: dict[str, list[str]] = {}
        note = text_field(errors, move.note_field, note, NOTE_MAX, required=move.needs_note)
        raise_errors(errors)
        now = clock.now()
        proposal.status = move.target
        changed = ["status"]
        if action == "publish":
            proposal.published_at = now
            changed.append("published_at")
        elif action == "decline":
            proposal.decline_reason = note
            changed.append("decline_reason")
        elif action == "answer":
            proposal.answer, proposal.answered_at, proposal.answered_by = note, now, actor
            changed += ["answer", "answered_at", "answered_by"]
        elif action in ("done", "not_done"):
            proposal.result, proposal.finished_at = note, now
            changed += ["result", "finished_at"]
        proposal.save(update_fields=[*changed, "updated_at"])
        Update.objects.create(
            proposal=proposal,
            at=now,
            action=action,
            from_status=before,
            to_status=proposal.status,
            note=note,
            actor=actor,
        )
        audit_record(
            actor=actor,
            action=f"proposal.{action}",
            obj=proposal,
            area_path=proposal.area_path,
            fields=sorted(changed),
        )
    return proposal


def proposal_support(*, actor: User, proposal: Proposal, person: Person | None) -> Support:
    """One support for a published proposal from a person whose household lies in its
    area; a proxy supports as the person they act for (labelled by proxy). A second
    support by the same person is refused, also when two arrive at once (the constraint)."""
    person = _taker(actor, person)
    if proposal.status not in SUPPORTABLE:
        raise ValidationError({"proposal": [_("This proposal is not open for support.")]})
    if not policy.lives_in(person, proposal.area_path):
        raise ValidationError(
            {"person": [_("Only households in the proposal's area can support it.")]}
        )
    if Support.objects.filter(proposal=proposal, person=person).exists():
        raise ValidationError({"person": [_("This person already supports the proposal.")]})
    try:
        with transaction.atomic():
            support = Support.objects.create(
                proposal=proposal,
                person=person,
                user=actor,
                by_proxy=actor.person_id != person.pk,
                at=clock.now(),
                area_path=proposal.area_path,
            )
            audit_record(
                actor=actor,
                action="proposal.support",
                obj=proposal,
                area_path=proposal.area_path,
                fields=["support"],
                purpose=_purpose(actor, person),
            )
    except IntegrityError:
        raise ValidationError(
            {"person": [_("This person already supports the proposal.")]}
        ) from None
    return support


# --- polls --------------------------------------------------------------------------------


def poll_create(
    *,
    actor: Actor,
    area: Area | None,
    question: str,
    options: Sequence[str],
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    results_visibility: str = Visibility.AFTER_CLOSE,
    proposal: Proposal | None = None,
) -> Poll:
    """Staff open a poll for an area (a proposal's, when made from one): 2–10 options,
    closing after it opens. Every bad field is named at once."""
    errors: dict[str, list[str]] = {}
    if proposal is not None:
        area = proposal.area
        if proposal.status not in POLLABLE:
            errors.setdefault("proposal", []).append(
                _("Only a published proposal can become a poll.")
            )
        elif Poll.objects.filter(proposal=proposal).exists():
            errors.setdefault("proposal", []).append(_("This proposal already has a poll."))
    question = text_field(errors, "question", question, QUESTION_MAX, required=True, one_line=True)
    labels: list[str] = []
    for raw in options:
        label = text_field(errors, "options", raw, OPTION_MAX, one_line=True)
        if label:
            labels.append(label)
    if len(labels) < OPTIONS_MIN or len(labels) > OPTIONS_MAX:
        errors.setdefault("options", []).append(
            _("Give between %(min)d and %(max)d options; this has %(count)d.")
            % {"min": OPTIONS_MIN, "max": OPTIONS_MAX, "count": len(labels)}
        )
    elif len(set(labels)) != len(labels):
        errors.setdefault("options", []).append(_("Two options have the same text."))
    if opens_at is None:
        errors.setdefault("opens_at", []).append(_("This field is required."))
    if closes_at is None:
        errors.setdefault("closes_at", []).append(_("This field is required."))
    elif opens_at is not None and closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("The poll must close after it opens."))
    if results_visibility not in Visibility.values:
        errors.setdefault("results_visibility", []).append(_("Choose when results are shown."))
    if area is None or area.kind not in PROPOSAL_AREA_KINDS:
        errors.setdefault("area", []).append(_("Choose a community or a grid."))
    raise_errors(errors)
    assert area is not None and opens_at is not None and closes_at is not None
    if actor is not None and not policy.may_manage(actor, area.path):
        raise Forbidden()
    with transaction.atomic():
        poll = Poll.objects.create(
            area=area,
            area_path=area.path,
            question=question,
            proposal=proposal,
            opens_at=opens_at,
            closes_at=closes_at,
            results_visibility=results_visibility,
            created_by=actor,
        )
        Option.objects.bulk_create(
            Option(poll=poll, label=label, position=i) for i, label in enumerate(labels, 1)
        )
        audit_record(
            actor=actor, action="poll.create", obj=poll, area_path=poll.area_path,
            fields=["question", "options", "opens_at", "closes_at"],
        )  # fmt: skip
    return poll


def digest(value: str, purpose: str) -> str:
    """A keyed digest (HMAC with the keyring's index key) of an address or a device
    cookie; "" for no value. The value itself is never stored."""
    return blind_index(value, purpose) if value else ""


def poll_vote(
    *,
    actor: User,
    poll: Poll,
    person: Person | None,
    option: Option | int | None,
    address: str = "",
    device: str = "",
) -> Vote:
    """One vote for `person` (the actor's own record or one they act for), while the poll
    is open, if the person's household lies in its area. A second vote by the same person
    is refused, also when two arrive at once (the constraint). After commit the anomaly
    check looks at the votes around this one."""
    person = _taker(actor, person)
    now = clock.now()
    if now < poll.opens_at:
        raise ValidationError({"poll": [_("The poll is not open yet.")]})
    if now >= poll.closes_at:
        raise ValidationError({"poll": [_("The poll is closed.")]})
    option_id = option.pk if isinstance(option, Option) else option
    chosen = poll.options.filter(pk=option_id).first() if option_id else None
    if chosen is None:
        raise ValidationError({"option": [_("Choose one of the poll's options.")]})
    if not policy.lives_in(person, poll.area_path):
        raise ValidationError({"person": [_("Only households in the poll's area can vote.")]})
    if Vote.objects.filter(poll=poll, person=person).exists():
        raise ValidationError({"person": [_("This person has already voted in this poll.")]})
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                poll=poll,
                option=chosen,
                person=person,
                user=actor,
                by_proxy=actor.person_id != person.pk,
                at=now,
                address_digest=digest(address, ADDRESS_PURPOSE),
                device_digest=digest(device, DEVICE_PURPOSE),
                account_created_at=actor.date_joined,
                area_path=poll.area_path,
            )
            audit_record(
                actor=actor, action="poll.vote", obj=poll, area_path=poll.area_path,
                fields=["vote"], purpose=_purpose(actor, person),
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(
            {"person": [_("This person has already voted in this poll.")]}
        ) from None
    from gongzhi.proposals.anomalies import check_after_vote

    transaction.on_commit(lambda: check_after_vote(vote.pk), robust=True)
    return vote


def flag_review(*, actor: Actor, flag: Flag, note: str = "") -> Flag:
    """Staff mark an anomaly as looked at (with an optional note). The votes stay as they are."""
    if actor is not None and not policy.may_manage(actor, flag.area_path):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    note = text_field(errors, "note", note, 500)
    raise_errors(errors)
    with transaction.atomic():
        flag.reviewed_by, flag.reviewed_at, flag.review_note = actor, clock.now(), note
        flag.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor, action="poll.flag_review", obj=flag.poll, area_path=flag.area_path,
            fields=["flag"],
        )  # fmt: skip
    return flag
