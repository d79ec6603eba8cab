"""Reads of the audit log, within the viewer's area (`accounts.access`, reached up to from
this lower layer on purpose: reads are scoped in selectors, like every other app's).
Entries with no area (logins, system events) are shown only to those who may audit the
whole tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

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
) -> QuerySet[AuditEntry]:
    entries = access.restrict(AuditEntry.objects.all(), user, Perm.AUDIT_VIEW)
    if access.can(user, Perm.AUDIT_VIEW, scope.ROOT_PATH):
        entries |= AuditEntry.objects.filter(area_path="")
    if action:
        entries = entries.filter(action__startswith=action)
    if actor_name:
        entries = entries.filter(actor_name=actor_name)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    return entries.order_by("-seq")


def audit_latest_verification() -> AuditVerification | None:
    return AuditVerification.objects.order_by("-at").first()
