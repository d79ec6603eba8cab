"""Reads for notifications: a user's inbox, and the SMS outbox (system administrators)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.notifications.models import Notification, SmsMessage

if TYPE_CHECKING:
    from gongzhi.accounts.models import User
    from gongzhi.accounts.types import Viewer

_UNREAD_ATTR = "_gongzhi_unread_notifications"


def inbox_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notes = Notification.objects.filter(recipient=user)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes.order_by("-created_at", "-id")


def unread_count_for(user: Viewer | None) -> int:
    """How many unread notifications the user has; counted once per request."""
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(user, _UNREAD_ATTR, None)
    if cached is None:
        cached = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        setattr(user, _UNREAD_ATTR, cached)
    return cached


def forget_unread(user: Viewer) -> None:
    if hasattr(user, _UNREAD_ATTR):
        delattr(user, _UNREAD_ATTR)


def notification_get_for(*, user: Viewer, notification_id: Any) -> Notification:
    """One of the user's own notifications; anyone else's is NotFound."""
    return get_by_id(Notification.objects.all(), notification_id, recipient=user)


def outbox_for(*, user: Viewer, status: str = "") -> QuerySet[SmsMessage]:
    """The SMS outbox, for whoever holds `notifications.outbox` (system administrators)."""
    if not access.can(user, Perm.NOTIFICATION_OUTBOX):
        raise NotFound()
    messages = SmsMessage.objects.select_related("recipient")
    if status:
        messages = messages.filter(status=status)
    return messages.order_by("-created_at", "-id")
