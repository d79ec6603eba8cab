"""Reads of outreach campaigns: lists and pages (outreach.view), progress, the local
outbox, the form's choices, and a resident's question behind an app notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.models import ProxyLink
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.health.models import UpstreamList
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    Channel,
    Recipient,
    RecipientState,
)
from gongzhi.registry.models import Area, AreaKind, Tag

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

OUTBOX_PAGE = 50


def campaign_list_for(*, user: Viewer) -> QuerySet[Campaign]:
    return (
        Campaign.objects.restrict(user, Perm.OUTREACH_VIEW, Perm.OUTREACH_RUN)
        .select_related("area", "created_by")
        .annotate(recipient_count=Count("recipients"))
        .order_by("-created_at", "-id")
    )


def campaign_get_for(*, user: Viewer, campaign_id: Any) -> Campaign:
    campaign = get_by_id(Campaign.objects.select_related("area", "created_by"), campaign_id)
    if not (
        access.can(user, Perm.OUTREACH_VIEW, campaign.area_path)
        or access.can(user, Perm.OUTREACH_RUN, campaign.area_path)
    ):
        raise NotFound()
    return campaign


def can_run(user: Viewer, campaign: Campaign) -> bool:
    return access.can(user, Perm.OUTREACH_RUN, campaign.area_path)


@dataclass
class Progress:
    total: int = 0
    pending: int = 0  # not contacted yet
    waiting: int = 0  # contacted, waiting for an answer
    answered: int = 0
    escalated: int = 0
    failed: int = 0  # could not be reached
    opted_out: int = 0
    sent: int = 0  # attempts that left (sent, delivered or answered)
    delivered: int = 0
    attempts_failed: int = 0
    by_choice: list[tuple[str, str, int]] = field(default_factory=list)  # digit, label, n
    by_channel: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.total - self.pending - self.waiting

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def campaign_progress(campaign: Campaign) -> Progress:
    """The campaign's counts: three grouped queries, whatever its size."""
    p = Progress()
    states = Recipient.objects.filter(campaign=campaign).values("state").annotate(n=Count("id"))
    for row in states.order_by():
        p.total += row["n"]
        if row["state"] in {s.value for s in RecipientState}:
            setattr(p, row["state"], getattr(p, row["state"]) + row["n"])
    answers = dict(
        Recipient.objects.filter(campaign=campaign)
        .exclude(answer="")
        .values_list("answer")
        .annotate(n=Count("id"))
        .order_by()
    )
    choices = dict(campaign.choices or {})
    p.by_choice = [(digit, label, answers.get(digit, 0)) for digit, label in choices.items()]
    attempts = (
        Attempt.objects.filter(campaign=campaign)
        .values_list("channel", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_channel: dict[str, int] = {}
    for channel, status, n in attempts:
        if status in (AttemptStatus.SENT, AttemptStatus.DELIVERED, AttemptStatus.ANSWERED):
            p.sent += n
            per_channel[channel] = per_channel.get(channel, 0) + n
        if status in (AttemptStatus.DELIVERED, AttemptStatus.ANSWERED):
            p.delivered += n
        if status == AttemptStatus.FAILED:
            p.attempts_failed += n
    labels = dict(Channel.choices)
    p.by_channel = [(c, str(labels.get(c, c)), per_channel.get(c, 0)) for c in campaign.channels]
    return p


def outbox_for(campaign: Campaign, *, limit: int = OUTBOX_PAGE) -> list[Attempt]:
    """The newest SMS and calls of the campaign (the local gateway's outbox), each with
    its recipient's masked phone set as `phone_masked`."""
    attempts = list(
        Attempt.objects.filter(campaign=campaign, channel__in=[Channel.SMS, Channel.VOICE])
        .select_related("recipient__person")
        .order_by("-id")[:limit]
    )
    for attempt in attempts:
        phone = attempt.recipient.person.phone
        attempt.phone_masked = str(phone) if phone else ""  # type: ignore[attr-defined]
    return attempts


def attempt_get_for(*, user: Viewer, attempt_id: Any) -> Attempt:
    """An attempt of a campaign the user sees (NotFound otherwise)."""
    attempt = get_by_id(Attempt.objects.select_related("campaign__area"), attempt_id)
    campaign_get_for(user=user, campaign_id=attempt.campaign_id)
    return attempt


# --- the form's choices ------------------------------------------------------------------------


def area_choices_for(*, user: Viewer) -> list[Area]:
    """Communities and grids where the user may run campaigns."""
    held = access.paths(user, Perm.OUTREACH_RUN)
    if not held:
        return []
    return list(
        Area.objects.within(*held)
        .filter(kind__in=[AreaKind.COMMUNITY, AreaKind.GRID], closed_at__isnull=True)
        .order_by("path")
    )


def area_get_for_run(*, user: Viewer, area_id: Any) -> Area:
    area = get_by_id(Area.objects.all(), area_id)
    if not access.can(user, Perm.OUTREACH_RUN, area.path):
        raise NotFound()
    return area


@dataclass
class AudienceChoices:
    upstream_lists: list[UpstreamList]
    tags: list[Tag]
    grids: list[Area]
    campaigns: list[Campaign]


def audience_choices_for(*, user: Viewer) -> AudienceChoices:
    held = access.paths(user, Perm.OUTREACH_RUN)
    lists = UpstreamList.objects.none()
    grids: list[Area] = []
    if held:
        lists = UpstreamList.objects.overlapping(*held).order_by("-created_at")[:50]
        grids = list(Area.objects.within(*held).filter(kind=AreaKind.GRID, closed_at__isnull=True))
    campaigns = list(
        Campaign.objects.restrict(user, Perm.OUTREACH_RUN)
        .filter(started_at__isnull=False)
        .order_by("-started_at")[:50]
    )
    return AudienceChoices(
        list(lists), list(Tag.objects.order_by("sort", "code")), grids, campaigns
    )


# --- a resident's question --------------------------------------------------------------------


def notice_attempt_for(*, user: Viewer, reference: str) -> Attempt:
    """The app notice `reference`, for the person it asks: their own account, or someone
    with an active proxy link to them. NotFound for anyone else, an unknown reference or
    another channel."""
    attempt = (
        Attempt.objects.select_related("campaign", "recipient")
        .filter(reference=str(reference)[:40], channel=Channel.NOTICE)
        .first()
    )
    if attempt is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    target = attempt.recipient.person_id
    if getattr(user, "person_id", None) != target and not (
        ProxyLink.objects.filter(
            user_id=int(user.pk or 0), person_id=target, is_active=True
        ).exists()
    ):
        raise NotFound()
    return attempt
