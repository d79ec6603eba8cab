"""The dispatcher: one round of a running campaign, at its pace, outside its quiet hours.

A round repeats, until its time budget is spent: take the recipients that are due (state
pending, or waiting whose answer time has passed), in batches of at most one second's
pace (and never more than `GONGZHI_OUTREACH_BATCH`, default 500); decide each one's
channel (skipping opted-out numbers, persons without a number or without an account);
insert the batch's attempts in one statement *before* calling the gateway (so a callback
that comes back at once finds its attempt); send the SMS and calls in one gateway call
each; record the results with a few grouped UPDATEs. A batch costs a handful of queries
whatever its size.

Pace is a token bucket whose capacity is one batch: tokens come in at `pace_per_minute`,
the bucket starts from the time of the campaign's last attempt (so back-to-back rounds do
not send a burst each), and a batch waits for its tokens. Over any minute at most one
batch more than the pace goes out (under 2 % at a pace of 60 a minute and more).

A recipient moves on as a table says (`step_after_failure`, `next_channel`):
- sent (or delivered) → waiting an answer for `answer_minutes`; no answer by then → the
  next channel;
- failed and retryable → tried again after `retry_minutes` (or the provider's
  `retry_after`), at most `retries` times on the channel; then the next channel;
- failed and not retryable → the next channel;
- `notice` → an in-app notification with a link to `/m/outreach/<reference>/` to the
  person's account (and their proxies'); no account → the next channel;
- `visit` → a `visits.VisitTask` for the household's grid worker, due tomorrow; the
  recipient is escalated;
- past the last channel → could not be reached (failed).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.models import ProxyLink, User
from gongzhi.core import clock
from gongzhi.core.fields import reveal
from gongzhi.health.sunset import retain_until
from gongzhi.notifications.services import notify
from gongzhi.outreach.gateways import Call, Message, OutreachGateway, SendResult, get_gateway
from gongzhi.outreach.models import (
    Attempt,
    AttemptStatus,
    Campaign,
    CampaignStatus,
    Channel,
    OptOut,
    Recipient,
    RecipientState,
)
from gongzhi.registry.models import Household
from gongzhi.visits.services import visit_task_create

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
# A claimed batch is invisible to other rounds for this long (a crashed round's batch
# becomes due again after it).
LEASE = dt.timedelta(minutes=10)
DUE_STATES = (RecipientState.PENDING, RecipientState.WAITING)
NOTICE_KIND = "outreach.ask"


@dataclass
class RoundResult:
    sent: int = 0  # attempts accepted by the gateway (and app notices put in an inbox)
    failed: int = 0  # attempts the gateway refused (retried or not)
    retried: int = 0  # recipients scheduled for another try on the same channel
    escalated: int = 0  # recipients turned into visit tasks
    done: bool = False  # the campaign has nobody left to contact (or is not running)
    opted_out: int = 0
    unreachable: int = 0  # past the last channel
    held_until: dt.datetime | None = None  # quiet hours: nothing goes out before this
    next_due: dt.datetime | None = None  # when the next round has work


def batch_size() -> int:
    return max(1, int(getattr(settings, "GONGZHI_OUTREACH_BATCH", DEFAULT_BATCH)))


# --- quiet hours ------------------------------------------------------------------------------


def in_quiet_hours(campaign: Campaign, at: dt.datetime) -> bool:
    start, end = campaign.quiet_start, campaign.quiet_end
    if start is None or end is None or start == end:
        return False
    t = timezone.localtime(at).time()
    if start < end:
        return start <= t < end
    return t >= start or t < end  # across midnight (21:00–08:00)


def quiet_end_after(campaign: Campaign, at: dt.datetime) -> dt.datetime:
    """The first end of the quiet hours after `at` (local time)."""
    assert campaign.quiet_end is not None
    local = timezone.localtime(at)
    end = timezone.make_aware(dt.datetime.combine(local.date(), campaign.quiet_end))
    if end <= at:
        end = timezone.make_aware(
            dt.datetime.combine(local.date() + dt.timedelta(days=1), campaign.quiet_end)
        )
    return end


# --- a recipient's steps ----------------------------------------------------------------------


def next_channel(recipient: Recipient, now: dt.datetime) -> None:
    recipient.channel_index += 1
    recipient.tries = 0
    recipient.state = RecipientState.PENDING
    recipient.next_at = now


def step_after_failure(
    recipient: Recipient,
    campaign: Campaign,
    now: dt.datetime,
    *,
    retryable: bool,
    retry_after: float | None = None,
) -> bool:
    """Move `recipient` on after a failed attempt; True when it is tried again on the same
    channel, False when it goes on to the next one."""
    recipient.tries += 1
    if retryable and recipient.tries <= campaign.retries:
        wait = dt.timedelta(minutes=campaign.retry_minutes)
        if retry_after:
            wait = max(wait, dt.timedelta(seconds=retry_after))
        recipient.state, recipient.next_at = RecipientState.PENDING, now + wait
        return True
    next_channel(recipient, now)
    return False


def reference_new() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, unguessable: also the notice's link


def answer_url(reference: str) -> str:
    try:
        return reverse("outreach_m:answer", args=[reference])
    except NoReverseMatch:  # pragma: no cover - the URL ships with the app
        return f"/m/outreach/{reference}/"


# --- the round --------------------------------------------------------------------------------


def dispatch_round(
    campaign_id: int,
    *,
    gateway: OutreachGateway | None = None,
    budget_seconds: float = 50.0,
    sleep: Callable[[float], Any] = time.sleep,
    now: Callable[[], dt.datetime] = clock.now,
) -> RoundResult:
    """Contact the campaign's due recipients for up to `budget_seconds`, at its pace."""
    result = RoundResult()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.RUNNING:
        result.done = campaign is None or campaign.status in (
            CampaignStatus.FINISHED,
            CampaignStatus.CANCELLED,
        )
        return result
    if not campaign.channels:
        return result
    gateway = gateway or get_gateway()
    pace = max(1, campaign.pace_per_minute)
    chunk = max(1, min(batch_size(), math.ceil(pace / 60)))
    started = now()
    last = (
        Attempt.objects.filter(campaign_id=campaign.pk)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
    # Tokens in the bucket when the round starts: what came in since the last attempt.
    bucket = chunk if last is None else min(chunk, pace * (started - last).total_seconds() / 60)
    taken = 0
    while True:
        at = now()
        elapsed = (at - started).total_seconds()
        if elapsed >= budget_seconds:
            result.next_due = at
            break
        status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
        if status != CampaignStatus.RUNNING:
            result.done = status in (CampaignStatus.FINISHED, CampaignStatus.CANCELLED, None)
            break
        if in_quiet_hours(campaign, at):
            result.held_until = _hold(campaign, at)
            result.next_due = result.held_until
            break
        tokens = bucket + pace * elapsed / 60 - taken
        if tokens < chunk:  # wait for a whole batch's tokens (at most one second's)
            wait = (chunk - tokens) * 60 / pace
            if elapsed + wait >= budget_seconds:
                result.next_due = at + dt.timedelta(seconds=wait)
                break
            sleep(wait)
            continue
        take = min(chunk, int(tokens))
        rows = _claim(campaign, at, take)
        if not rows:
            following = _next_due(campaign)
            if following is None:
                result.done = _finish(campaign, at)
                break
            result.next_due = following
            if (following - at).total_seconds() + elapsed >= budget_seconds:
                break
            sleep(max(1.0, (following - at).total_seconds()))
            continue
        taken += len(rows)
        _batch(campaign, rows, gateway, at, result)
    return result


def _hold(campaign: Campaign, at: dt.datetime) -> dt.datetime:
    """Quiet hours: every due recipient waits until they end (one UPDATE)."""
    until = quiet_end_after(campaign, at)
    Recipient.objects.filter(campaign_id=campaign.pk, state__in=DUE_STATES, next_at__lte=at).update(
        next_at=until
    )
    return until


def _next_due(campaign: Campaign) -> dt.datetime | None:
    found = Recipient.objects.filter(campaign_id=campaign.pk, state__in=DUE_STATES).aggregate(
        at=Min("next_at")
    )
    return found["at"]


def _finish(campaign: Campaign, at: dt.datetime) -> bool:
    """Nobody is left to contact: the campaign is finished."""
    from gongzhi.outreach.services import campaign_finish

    return campaign_finish(campaign_id=campaign.pk, at=at)


_CLAIM_FIELDS = (
    "id", "state", "channel_index", "tries", "next_at", "area_path", "person_id",
    "visit_task_id", "person__phone", "person__phone_index", "person__household_id",
)  # fmt: skip


def _claim(campaign: Campaign, at: dt.datetime, take: int) -> list[Recipient]:
    """Up to `take` due recipients, hidden from other rounds for `LEASE` (two queries)."""
    with transaction.atomic():
        rows = list(
            Recipient.objects.filter(campaign_id=campaign.pk, state__in=DUE_STATES, next_at__lte=at)
            .order_by()
            .select_related("person")
            .only(*_CLAIM_FIELDS)
            .select_for_update(skip_locked=True, of=("self",))[:take]
        )
        if rows:
            Recipient.objects.filter(pk__in=[r.pk for r in rows]).update(next_at=at + LEASE)
    return rows


@dataclass
class _NewAttempt:
    """An attempt about to be inserted (plain values: no model instance per row)."""

    recipient_id: int
    channel: str
    reference: str
    provider_id: str = ""


@dataclass
class _Send:
    recipient: Recipient
    attempt: _NewAttempt
    item: Message | Call


def _batch(
    campaign: Campaign,
    rows: Sequence[Recipient],
    gateway: OutreachGateway,
    at: dt.datetime,
    result: RoundResult,
) -> None:
    channels = list(campaign.channels)
    keep = retain_until("campaign", at)
    indexes = {r.person.phone_index for r in rows if r.person.phone_index}
    opted: dict[str, set[str]] = defaultdict(set)
    if indexes:
        for index, channel in OptOut.objects.filter(phone_index__in=indexes).values_list(
            "phone_index", "channel"
        ):
            opted[index].add(channel)
    accounts: dict[int, list[Any]] | None = None
    sms: list[_Send] = []
    calls: list[_Send] = []
    notices: list[tuple[Recipient, _NewAttempt, list[Any]]] = []
    visits: list[Recipient] = []
    for recipient in rows:
        if recipient.state == RecipientState.WAITING:  # no answer in time
            next_channel(recipient, at)
        person = recipient.person
        blocked = opted.get(person.phone_index, set()) if person.phone_index else set()
        if "" in blocked:
            recipient.state, recipient.next_at = RecipientState.OPTED_OUT, None
            result.opted_out += 1
            continue
        while recipient.channel_index < len(channels):
            channel = channels[recipient.channel_index]
            if channel in (Channel.SMS, Channel.VOICE):
                if not person.phone_index or channel in blocked:
                    next_channel(recipient, at)
                    continue
                attempt = _NewAttempt(recipient.pk, channel, reference_new())
                phone = reveal(person.phone)  # in memory only, for the gateway
                if channel == Channel.SMS:
                    sms.append(
                        _Send(recipient, attempt, Message(attempt.reference, phone, _sms(campaign)))
                    )
                else:
                    item = Call(
                        attempt.reference, phone, campaign.voice_script, dict(campaign.choices)
                    )
                    calls.append(_Send(recipient, attempt, item))
                break
            if channel == Channel.NOTICE:
                if accounts is None:
                    accounts = _accounts([r.person_id for r in rows])
                users = accounts.get(recipient.person_id, [])
                if not users or channel in blocked:
                    next_channel(recipient, at)
                    continue
                attempt = _NewAttempt(recipient.pk, channel, reference_new())
                notices.append((recipient, attempt, users))
                break
            if channel == Channel.VISIT:
                visits.append(recipient)
                break
            next_channel(recipient, at)  # an unknown channel: skip it
        else:
            recipient.state, recipient.next_at = RecipientState.FAILED, None
            result.unreachable += 1
    # The attempts exist (committed) before anything is sent.
    _attempts_insert(
        campaign,
        [s.attempt for s in sms] + [s.attempt for s in calls] + [n[1] for n in notices],
        at=at,
        keep=keep,
        gateway_name=str(gateway.name),
    )
    outcomes: dict[str, SendResult] = {}
    for sends, send in ((sms, gateway.send_sms_batch), (calls, gateway.place_calls)):
        if sends:
            for s, res in zip(sends, _send(send, [s.item for s in sends]), strict=True):
                outcomes[s.attempt.reference] = res
    _record_sends(campaign, sms + calls, outcomes, at, result)
    _send_notices(campaign, notices, at, result)
    _escalate(campaign, visits, at, result)
    _save_recipients(rows)


def _sms(campaign: Campaign) -> str:
    return campaign.sms_text


_INSERT_COLUMNS = (
    "recipient_id", "campaign_id", "channel", "reference", "gateway", "provider_id", "status",
    "error", "digit", "created_at", "retain_until",
)  # fmt: skip


def _attempts_insert(
    campaign: Campaign,
    attempts: list[_NewAttempt],
    *,
    at: dt.datetime,
    keep: dt.date,
    gateway_name: str,
) -> None:
    """Insert the batch's attempts, queued: one prepared INSERT run for all of them
    (committed before the gateway is called, so that an early callback finds them)."""
    if not attempts:
        return
    ops, quote = connection.ops, connection.ops.quote_name
    created = ops.adapt_datetimefield_value(at)
    retain = ops.adapt_datefield_value(keep)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - the model's own names
        quote(Attempt._meta.db_table),
        ", ".join(quote(c) for c in _INSERT_COLUMNS),
        ", ".join(["%s"] * len(_INSERT_COLUMNS)),
    )
    queued, name = AttemptStatus.QUEUED.value, gateway_name[:40]
    head = (campaign.pk,)
    rows = [
        (a.recipient_id, *head, a.channel, a.reference, name, "", queued, "", "", created, retain)
        for a in attempts
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _send(send: Callable[[Any], list[SendResult]], items: list[Any]) -> list[SendResult]:
    """The gateway's results, one per item; a gateway that raises fails the whole batch
    as retryable (its error class only: a message could hold a number)."""
    try:
        results = list(send(items))
    except Exception as exc:  # any gateway failure is a retry, not a crash
        log.warning("outreach gateway failed a batch of %d: %s", len(items), type(exc).__name__)
        return [SendResult(ok=False, error=type(exc).__name__, retryable=True) for _ in items]
    if len(results) != len(items):
        log.warning("outreach gateway answered %d of %d items", len(results), len(items))
        results = results + [SendResult(ok=False, error="no result", retryable=True)] * len(items)
        return results[: len(items)]
    return results


def _record_sends(
    campaign: Campaign,
    sends: list[_Send],
    outcomes: dict[str, SendResult],
    at: dt.datetime,
    result: RoundResult,
) -> None:
    """Attempts and recipients after the gateway answered: grouped UPDATEs that never move
    an attempt backwards (a callback may already have come in)."""
    sent: list[str] = []
    delivered: list[str] = []
    failed: dict[str, list[str]] = defaultdict(list)
    provider_ids: list[_NewAttempt] = []
    answer_by = at + dt.timedelta(minutes=campaign.answer_minutes)
    for s in sends:
        res = outcomes[s.attempt.reference]
        if res.ok:
            (delivered if res.status == AttemptStatus.DELIVERED else sent).append(
                s.attempt.reference
            )
            if res.provider_id:
                s.attempt.provider_id = str(res.provider_id)[:100]
                provider_ids.append(s.attempt)
            s.recipient.state, s.recipient.next_at = RecipientState.WAITING, answer_by
            result.sent += 1
        else:
            failed[str(res.error or "failed")[:300]].append(s.attempt.reference)
            result.failed += 1
            if step_after_failure(
                s.recipient, campaign, at, retryable=res.retryable, retry_after=res.retry_after
            ):
                result.retried += 1
    if sent:
        Attempt.objects.filter(reference__in=sent, status=AttemptStatus.QUEUED).update(
            status=AttemptStatus.SENT, sent_at=at
        )
    if delivered:
        Attempt.objects.filter(
            reference__in=delivered, status__in=[AttemptStatus.QUEUED, AttemptStatus.SENT]
        ).update(status=AttemptStatus.DELIVERED, sent_at=at, delivered_at=at)
    for error, ids in failed.items():
        Attempt.objects.filter(reference__in=ids, status=AttemptStatus.QUEUED).update(
            status=AttemptStatus.FAILED, error=error
        )
    if provider_ids:
        _provider_ids_set(provider_ids)


def _provider_ids_set(attempts: list[_NewAttempt]) -> None:
    """Each attempt's own provider id: one prepared UPDATE run for the whole batch
    (`bulk_update` builds a CASE of every row, ten times slower at 500 rows)."""
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Attempt._meta.db_table)} SET {quote('provider_id')} = %s "  # noqa: S608
        f"WHERE {quote('reference')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(a.provider_id, a.reference) for a in attempts])


def _accounts(person_ids: list[int]) -> dict[int, list[Any]]:
    """Who reads an app notice for each person: their own resident account and the
    accounts acting for them (two queries)."""
    found: dict[int, list[Any]] = defaultdict(list)
    for user in User.objects.filter(person_id__in=person_ids, is_active=True):
        if user.person_id is not None:
            found[user.person_id].append(user)
    links = ProxyLink.objects.filter(
        person_id__in=person_ids, is_active=True, user__is_active=True
    ).select_related("user")
    for link in links:
        if link.user not in found[link.person_id]:
            found[link.person_id].append(link.user)
    return found


def _send_notices(
    campaign: Campaign,
    notices: list[tuple[Recipient, _NewAttempt, list[Any]]],
    at: dt.datetime,
    result: RoundResult,
) -> None:
    if not notices:
        return
    answer_by = at + dt.timedelta(minutes=campaign.answer_minutes)
    question = campaign.voice_script or campaign.sms_text
    for recipient, attempt, users in notices:
        notify(
            recipients=users,
            kind=NOTICE_KIND,
            title=campaign.name,
            body=question,
            url=answer_url(attempt.reference),
        )
        recipient.state, recipient.next_at = RecipientState.WAITING, answer_by
        result.sent += 1
    Attempt.objects.filter(reference__in=[n[1].reference for n in notices]).update(
        status=AttemptStatus.DELIVERED, sent_at=at, delivered_at=at
    )


def _escalate(
    campaign: Campaign, visits: list[Recipient], at: dt.datetime, result: RoundResult
) -> None:
    """Non-responders become home-visit tasks for their grid worker, due tomorrow."""
    if not visits:
        return
    households = Household.objects.in_bulk({r.person.household_id for r in visits})
    due_on = timezone.localdate(at) + dt.timedelta(days=1)
    reason = _("No answer to the campaign “%(name)s”") % {"name": campaign.name}
    for recipient in visits:
        household = households.get(recipient.person.household_id)
        if household is None:  # pragma: no cover - a person always has a household
            recipient.state, recipient.next_at = RecipientState.FAILED, None
            continue
        task = visit_task_create(
            actor=None,
            household=household,
            person=recipient.person,
            source=f"campaign:{campaign.pk}",
            reason=reason,
            due_on=due_on,
        )
        recipient.visit_task = task
        recipient.state, recipient.next_at = RecipientState.ESCALATED, None
        result.escalated += 1


def _save_recipients(rows: Sequence[Recipient]) -> None:
    """One UPDATE per distinct outcome, only for rows still pending or waiting (an answer
    or an opt-out that came in meanwhile wins)."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for r in rows:
        groups[(r.state, r.channel_index, r.tries, r.next_at, r.visit_task_id)].append(r.pk)
    for (state, channel_index, tries, next_at, task_id), ids in groups.items():
        Recipient.objects.filter(pk__in=ids, state__in=DUE_STATES).update(
            state=state,
            channel_index=channel_index,
            tries=tries,
            next_at=next_at,
            visit_task_id=task_id,
        )
