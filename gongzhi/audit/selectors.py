"""Reads of the audit log, within the viewer's area (`accounts.access`, reached up to from
this lower layer on purpose: reads are scoped in selectors, like every other app's).
Entries with no area (logins, system events) are shown only to those who may audit the
whole tree."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit.models import AuditEntry, AuditVerification
from gongzhi.core import scope

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


def audit_entries_for(
    *,
    user: Viewer,
    action: str = "",
    actor_name: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEntry]:
    """The entries the viewer may audit, newest first. `action` is a code or a group
    prefix (`person.`); `actor_name` an account name or a display name; the dates are
    whole days in the server's time zone, both included."""
    entries = access.restrict(AuditEntry.objects.all(), user, Perm.AUDIT_VIEW)
    if access.can(user, Perm.AUDIT_VIEW, scope.ROOT_PATH):
        entries |= AuditEntry.objects.filter(area_path="")
    if action:
        entries = entries.filter(action__startswith=action)
    if actor_name:
        entries = entries.filter(Q(actor_name=actor_name) | Q(actor__display_name=actor_name))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return entries.select_related("actor").order_by("-seq")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_object_label(*, user: Viewer, object_type: str, object_id: str) -> str:
    """The label the log itself holds for an object (a person's masked name), from its
    newest entry the viewer may audit; "" when there is none."""
    entry = (
        audit_entries_for(user=user, object_type=object_type, object_id=object_id)
        .exclude(object_label="")
        .first()
    )
    return entry.object_label if entry else ""


def audit_latest_verification() -> AuditVerification | None:
    return AuditVerification.objects.order_by("-at").first()
