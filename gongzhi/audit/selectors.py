"""Reads of the audit log. The caller passes the area paths the viewer may audit
(`accounts.access.paths(user, Perm.AUDIT_VIEW)`); entries with no area (logins, system
events) are shown only to those who may audit the whole tree."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from gongzhi.audit.models import AuditEntry, AuditVerification
from gongzhi.core import scope


def audit_entries_within(
    paths: Iterable[str],
    *,
    action: str = "",
    actor_name: str = "",
    object_type: str = "",
    object_id: str = "",
) -> QuerySet[AuditEntry]:
    paths = scope.minimal(paths)
    query = scope.q_within("area_path", paths)
    if scope.ROOT_PATH in paths:
        query |= Q(area_path="")
    entries = AuditEntry.objects.filter(query)
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
