"""Writes of outreach campaigns: create, start, pause, resume, cancel, finish.

Every write checks `outreach.run` on the campaign's area, validates, audits (numbers and
counts only, never a person's value) and runs in one transaction; enqueueing the
dispatcher happens after commit.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.audit.services import audit_record
from gongzhi.outreach.models import Campaign, CampaignStatus, Recipient, RecipientState


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
