"""Writes of outreach campaigns: create, start, pause, resume, cancel, finish; simulated
callbacks of the local gateway.

Every write checks `outreach.run` on the campaign's area, validates (all field errors at
once, each naming its field and rule), audits (numbers and counts only, never a person's
value) and runs in one transaction; the dispatcher is enqueued after commit.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.services import audit_record
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden
from gongzhi.core.validation import raise_errors, text_field
from gongzhi.health.sunset import retain_until
from gongzhi.outreach import audiences, gateways
from gongzhi.outreach.callbacks import OPT_OUT_DIGIT, callback_record
from gongzhi.outreach.models import (
    Attempt,
    Campaign,
    CampaignStatus,
    Channel,
    Recipient,
    RecipientState,
)
from gongzhi.registry.models import Area

if TYPE_CHECKING:
    from gongzhi.accounts.types import Actor

NAME_MAX = 100
SMS_MAX = 500
SCRIPT_MAX = 1000
CHOICE_LABEL_MAX = 20
PACE_MAX = 100_000  # per minute: above the 60,000 the dispatcher is measured at
RETRIES_MAX = 5
RETRY_MINUTES_MAX = 24 * 60
ANSWER_MINUTES_MAX = 7 * 24 * 60
DEFAULT_CHOICES = {"1": "已报到", "2": "需要帮助", "3": "不是本人"}
RECIPIENTS_BATCH = 2000

Errors = dict[str, list[str]]


def _whole(errors: Errors, field: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        errors.setdefault(field, []).append(
            _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        )
    return number


def _channels(errors: Errors, channels: Any) -> list[str]:
    found = [str(c) for c in (channels or []) if str(c)]
    unknown = [c for c in found if c not in Channel.values]
    if unknown:
        errors.setdefault("channels", []).append(
            _("Unknown channel: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    elif not found:
        errors.setdefault("channels", []).append(_("Choose at least one channel."))
    elif len(set(found)) != len(found):
        errors.setdefault("channels", []).append(_("Each channel may be used once."))
    return found


def _choices(errors: Errors, choices: Any) -> dict[str, str]:
    if not isinstance(choices, dict) or not choices:
        errors.setdefault("choices", []).append(_("Give at least one keypad choice."))
        return {}
    clean: dict[str, str] = {}
    for key, label in choices.items():
        key, label = str(key).strip(), str(label or "").strip()
        if len(key) != 1 or key not in "012345678":
            errors.setdefault("choices", []).append(
                _("A choice is one digit from 0 to 8 (9 is for opting out), not “%(key)s”.")
                % {"key": key[:10]}
            )
        elif not label or len(label) > CHOICE_LABEL_MAX:
            errors.setdefault("choices", []).append(
                _("Say what %(key)s means, in at most %(max)d characters.")
                % {"key": key, "max": CHOICE_LABEL_MAX}
            )
        else:
            clean[key] = label
    return dict(sorted(clean.items()))


def campaign_validate(
    *,
    actor: Actor,
    area: Area | None,
    name: Any,
    audience: Any,
    sms_text: Any = "",
    voice_script: Any = "",
    choices: Any = None,
    channels: Any = (),
    pace_per_minute: Any = None,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    retries: Any = 1,
    retry_minutes: Any = 30,
    answer_minutes: Any = 60,
) -> dict[str, Any]:
    """The campaign's fields, checked; ValidationError with every field's errors."""
    errors: Errors = {}
    if area is None:
        errors.setdefault("area", []).append(_("Choose the area."))
    elif actor is not None and not access.can(actor, Perm.OUTREACH_RUN, area.path):
        raise Forbidden()
    values: dict[str, Any] = {
        "name": text_field(errors, "name", name, NAME_MAX, required=True, one_line=True),
        "sms_text": text_field(errors, "sms_text", sms_text, SMS_MAX),
        "voice_script": text_field(errors, "voice_script", voice_script, SCRIPT_MAX),
        "channels": _channels(errors, channels),
        "choices": _choices(errors, DEFAULT_CHOICES if choices is None else choices),
        "pace_per_minute": _whole(errors, "pace_per_minute", pace_per_minute, 1, PACE_MAX),
        "retries": _whole(errors, "retries", retries, 0, RETRIES_MAX),
        "retry_minutes": _whole(errors, "retry_minutes", retry_minutes, 1, RETRY_MINUTES_MAX),
        "answer_minutes": _whole(errors, "answer_minutes", answer_minutes, 1, ANSWER_MINUTES_MAX),
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
    }
    if Channel.SMS in values["channels"] and not values["sms_text"]:
        errors.setdefault("sms_text", []).append(_("The SMS channel needs the SMS text."))
    if Channel.VOICE in values["channels"] and not values["voice_script"]:
        errors.setdefault("voice_script", []).append(
            _("The robot-call channel needs the call's script.")
        )
    if (quiet_start is None) != (quiet_end is None):
        errors.setdefault("quiet_end", []).append(
            _("Give both ends of the quiet hours, or neither.")
        )
    elif quiet_start is not None and quiet_start == quiet_end:
        errors.setdefault("quiet_end", []).append(
            _("The quiet hours cannot start and end at the same time.")
        )
    if area is not None:
        try:
            values["audience"] = audiences.audience_clean(user=actor, area=area, audience=audience)
        except Exception as exc:  # a ValidationError on "audience"
            errors.setdefault("audience", []).extend(getattr(exc, "messages", [str(exc)]))
        else:
            count = audiences.audience_count(user=actor, area=area, audience=values["audience"])
            if count == 0:
                errors.setdefault("audience", []).append(
                    _("Nobody in your area matches this audience.")
                )
    raise_errors(errors)
    return values


@transaction.atomic
def campaign_create(*, actor: Actor, area: Area | None, **fields: Any) -> Campaign:
    """A campaign in draft (outreach.run in `area`): nothing is sent until it starts."""
    values = campaign_validate(actor=actor, area=area, **fields)
    assert area is not None
    campaign = Campaign.objects.create(
        area=area,
        area_path=area.path,
        created_by=actor if getattr(actor, "pk", None) else None,
        **values,
    )
    audit_record(
        actor=actor,
        action="campaign.create",
        obj=campaign,
        object_label=f"#{campaign.pk}",
        area_path=campaign.area_path,
        fields=sorted(k for k, v in values.items() if v not in ("", None)),
        purpose=f"audience {values['audience']['kind']}; channels {','.join(values['channels'])}",
    )
    return campaign


def _locked(actor: Actor, campaign: Campaign) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if actor is not None and not access.can(actor, Perm.OUTREACH_RUN, campaign.area_path):
        raise Forbidden()
    return campaign


def _refuse_status(campaign: Campaign, *allowed: str) -> None:
    if campaign.status not in allowed:
        raise_errors(
            {
                "status": [
                    _("Not possible for a campaign that is %(status)s.")
                    % {"status": campaign.get_status_display()}
                ]
            }
        )


def _enqueue(campaign_id: int) -> None:
    from gongzhi.outreach.tasks import enqueue_dispatch

    transaction.on_commit(lambda: enqueue_dispatch(campaign_id))


@transaction.atomic
def campaign_start(*, actor: Actor, campaign: Campaign) -> int:
    """Resolve the audience once into recipients (in bulk) and start dispatching. Returns
    the number of recipients; refuses an audience that has become empty."""
    campaign = _locked(actor, campaign)
    _refuse_status(campaign, CampaignStatus.DRAFT)
    area = campaign.area
    cleaned = audiences.audience_clean(user=actor, area=area, audience=campaign.audience)
    persons = audiences.audience_persons(user=actor, area=area, audience=cleaned)
    now = clock.now()
    keep = retain_until("campaign", now)
    rows = persons.order_by("pk").values_list("pk", "area_path").distinct()
    total = 0
    batch: list[Recipient] = []
    for person_id, area_path in rows.iterator(chunk_size=RECIPIENTS_BATCH):
        batch.append(
            Recipient(
                campaign_id=campaign.pk,
                person_id=person_id,
                area_path=area_path,
                next_at=now,
                retain_until=keep,
            )
        )
        if len(batch) >= RECIPIENTS_BATCH:
            Recipient.objects.bulk_create(batch)
            total, batch = total + len(batch), []
    if batch:
        Recipient.objects.bulk_create(batch)
        total += len(batch)
    if total == 0:
        raise_errors({"audience": [_("Nobody in your area matches this audience.")]})
    campaign.status, campaign.started_at = CampaignStatus.RUNNING, now
    campaign.save(update_fields=["status", "started_at", "updated_at"])
    audit_record(
        actor=actor,
        action="campaign.start",
        obj=campaign,
        object_label=f"#{campaign.pk}",
        area_path=campaign.area_path,
        purpose=f"{total} recipients",
    )
    _enqueue(campaign.pk)
    return total


@transaction.atomic
def campaign_pause(*, actor: Actor, campaign: Campaign) -> Campaign:
    campaign = _locked(actor, campaign)
    _refuse_status(campaign, CampaignStatus.RUNNING)
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="campaign.pause", obj=campaign, object_label=f"#{campaign.pk}",
        area_path=campaign.area_path,
    )  # fmt: skip
    return campaign


@transaction.atomic
def campaign_resume(*, actor: Actor, campaign: Campaign) -> Campaign:
    campaign = _locked(actor, campaign)
    _refuse_status(campaign, CampaignStatus.PAUSED)
    campaign.status = CampaignStatus.RUNNING
    campaign.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor, action="campaign.resume", obj=campaign, object_label=f"#{campaign.pk}",
        area_path=campaign.area_path,
    )  # fmt: skip
    _enqueue(campaign.pk)
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: Actor, campaign: Campaign) -> Campaign:
    """Stop for good: nobody else is contacted (answers still coming in are recorded)."""
    campaign = _locked(actor, campaign)
    _refuse_status(campaign, CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    campaign.status, campaign.finished_at = CampaignStatus.CANCELLED, clock.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(
        actor=actor, action="campaign.cancel", obj=campaign, object_label=f"#{campaign.pk}",
        area_path=campaign.area_path,
    )  # fmt: skip
    return campaign


@transaction.atomic
def campaign_finish(*, campaign_id: int, at: dt.datetime) -> bool:
    """A running campaign with nobody left to contact is finished (by the system)."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.status != CampaignStatus.RUNNING:
        return campaign is not None and campaign.status in (
            CampaignStatus.FINISHED,
            CampaignStatus.CANCELLED,
        )
    if Recipient.objects.filter(
        campaign_id=campaign.pk, state__in=[RecipientState.PENDING, RecipientState.WAITING]
    ).exists():
        return False
    campaign.status, campaign.finished_at = CampaignStatus.FINISHED, at
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(
        actor=None,
        action="campaign.finish",
        obj=campaign,
        object_label=f"#{campaign.pk}",
        area_path=campaign.area_path,
        purpose=f"campaign #{campaign.pk} finished",
    )
    return True


# --- the local gateway's outbox: simulated callbacks --------------------------------------------

SIMULATIONS = ("delivered", "failed", *"012345678", OPT_OUT_DIGIT)


def attempt_simulate(*, actor: Actor, attempt: Attempt, what: str) -> bool:
    """What a provider would report for `attempt` (the local gateway only): a delivery, a
    failure or a keypad answer, through the same `callback_record` a provider's goes."""
    if not gateways.is_local():
        raise Forbidden()
    if actor is not None and not access.can(actor, Perm.OUTREACH_RUN, attempt.campaign.area_path):
        raise Forbidden()
    if what not in SIMULATIONS:
        raise_errors(
            {"what": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(SIMULATIONS)}]}
        )
    kind = what if what in ("delivered", "failed") else "answered"
    digit = "" if kind != "answered" else what
    with transaction.atomic():
        recorded = callback_record(
            provider="local",
            event_id=f"sim:{attempt.reference}:{what}",
            reference=attempt.reference,
            kind=kind,
            digit=digit,
        )
        audit_record(
            actor=actor,
            action="campaign.simulate",
            obj=attempt.campaign,
            object_label=f"#{attempt.campaign_id}",
            area_path=attempt.campaign.area_path,
            purpose=f"attempt #{attempt.pk}: {kind}",
        )
    return recorded
