"""Reads of proposals and polls, and which ones a user may see (`policy`). One object by id
only through `*_get_for`: missing and not visible are both NotFound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from gongzhi.accounts.policy import Perm
from gongzhi.core import clock
from gongzhi.core.errors import NotFound
from gongzhi.proposals import policy
from gongzhi.proposals.models import Flag, Poll, Proposal, Support, Vote
from gongzhi.proposals.states import PUBLIC, Status, Visibility

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer
    from gongzhi.registry.models import Person


def _with_counts(qs: QuerySet[Proposal]) -> QuerySet[Proposal]:
    return qs.select_related("area").annotate(support_count=Count("supports"))


def _by_id(qs: QuerySet[Any], obj_id: Any) -> Any:
    try:
        return qs.get(pk=int(obj_id))
    except (TypeError, ValueError, OverflowError, qs.model.DoesNotExist):
        raise NotFound() from None


# --- proposals ----------------------------------------------------------------------------


def proposal_get_for(*, user: Viewer, proposal_id: Any) -> Proposal:
    """A proposal the user may see on /m/ (or manages)."""
    proposal = _by_id(_with_counts(Proposal.objects.all()), proposal_id)
    if not policy.can_see_proposal(user, proposal):
        raise NotFound()
    return proposal


def proposal_get_managed(*, user: Viewer, proposal_id: Any) -> Proposal:
    """A proposal of an area where the user holds proposal.manage (the workbench)."""
    qs = _with_counts(Proposal.objects.restrict(user, Perm.PROPOSAL_MANAGE))
    return _by_id(qs, proposal_id)


def proposal_list_for(*, user: Viewer) -> QuerySet[Proposal]:
    """Public proposals of the areas the user belongs to, and their own waiting ones."""
    places = policy.places(user)
    if not places:
        return Proposal.objects.none()
    public = Proposal.objects.overlapping(*places).filter(status__in=PUBLIC)
    own = Q(author=user) | Q(author_person_id__in=_acting_ids(user))
    mine = Proposal.objects.filter(own)
    return _with_counts(Proposal.objects.filter(Q(pk__in=public) | Q(pk__in=mine)))


def _acting_ids(user: Viewer) -> list[int]:
    from gongzhi.accounts.selectors import persons_user_may_act_for

    return persons_user_may_act_for(user)


def proposal_queue_for(*, user: Viewer, status: str = "") -> QuerySet[Proposal]:
    """The workbench list: proposals where the user manages, submitted first."""
    qs = _with_counts(Proposal.objects.restrict(user, Perm.PROPOSAL_MANAGE))
    if status:
        qs = qs.filter(status=status)
    return qs


def proposal_updates(proposal: Proposal) -> list[Any]:
    return list(proposal.updates.select_related("actor"))


def support_of(proposal: Proposal, person: Person | None) -> Support | None:
    if person is None:
        return None
    return Support.objects.filter(proposal=proposal, person=person).first()


def supports_of(proposal: Proposal) -> QuerySet[Support]:
    return proposal.supports.order_by("at", "pk")


# --- polls --------------------------------------------------------------------------------


def poll_get_for(*, user: Viewer, poll_id: Any) -> Poll:
    poll = _by_id(Poll.objects.select_related("area", "proposal"), poll_id)
    if not policy.can_see_poll(user, poll):
        raise NotFound()
    return poll


def poll_get_managed(*, user: Viewer, poll_id: Any) -> Poll:
    qs = Poll.objects.restrict(user, Perm.PROPOSAL_MANAGE).select_related("area", "proposal")
    return _by_id(qs, poll_id)


def poll_list_for(*, user: Viewer) -> QuerySet[Poll]:
    places = policy.places(user)
    if not places:
        return Poll.objects.none()
    return Poll.objects.overlapping(*places).select_related("area")


def poll_list_managed(*, user: Viewer) -> QuerySet[Poll]:
    return (
        Poll.objects.restrict(user, Perm.PROPOSAL_MANAGE)
        .select_related("area")
        .annotate(
            vote_count=Count("votes", distinct=True),
            open_flags=Count("flags", filter=Q(flags__reviewed_at=None), distinct=True),
        )
    )


def vote_of(poll: Poll, person: Person | None) -> Vote | None:
    if person is None:
        return None
    return Vote.objects.filter(poll=poll, person=person).select_related("option").first()


@dataclass(frozen=True)
class Row:
    option_id: int
    label: str
    votes: int
    by_proxy: int
    percent: int


@dataclass(frozen=True)
class Results:
    rows: list[Row]
    total: int
    by_proxy: int


def poll_results(poll: Poll) -> Results:
    """Every option with its count (proxy votes counted and shown apart); nothing hidden:
    flagged votes count until staff act openly."""
    counts = {
        row["option"]: row
        for row in poll.votes.values("option").annotate(
            n=Count("pk"), proxy=Count("pk", filter=Q(by_proxy=True))
        )
    }
    total = sum(r["n"] for r in counts.values())
    rows = []
    for option in poll.options.all():
        found = counts.get(option.pk, {"n": 0, "proxy": 0})
        percent = round(100 * found["n"] / total) if total else 0
        rows.append(Row(option.pk, option.label, found["n"], found["proxy"], percent))
    return Results(rows, total, sum(r.by_proxy for r in rows))


def results_shown(*, user: Viewer, poll: Poll, voted: bool) -> bool:
    """Are the results shown to this user now (the poll's setting; staff always)?"""
    if policy.may_manage(user, poll.area_path):
        return True
    if poll.results_visibility == Visibility.ALWAYS:
        return True
    closed = clock.now() >= poll.closes_at
    if poll.results_visibility == Visibility.AFTER_VOTE:
        return voted or closed
    return closed


def poll_flags(poll: Poll) -> QuerySet[Flag]:
    return poll.flags.select_related("reviewed_by")


def suggestion_orders_for(*, user: Viewer) -> list[Any]:
    """Suggestion work orders of areas where the user manages proposals, not yet published."""
    from gongzhi.workorders.models import Kind, WorkOrder

    used = Proposal.objects.exclude(workorder=None).values("workorder_id")
    return list(
        WorkOrder.objects.restrict(user, Perm.PROPOSAL_MANAGE)
        .filter(category__kind=Kind.SUGGESTION)
        .exclude(pk__in=used)
        .select_related("category")[:50]
    )


STATUS_ORDER = [s.value for s in Status]
