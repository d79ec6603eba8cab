"""Reads about accounts that other apps build on: whom a user may act for (themselves, and
the persons of their active proxy links).

The register is above accounts, so persons appear here as ids; the layers above turn them
into `registry.Person` rows through their own selectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from gongzhi.accounts.models import ProxyLink

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer


def proxy_links_for(user: Viewer | None) -> QuerySet[ProxyLink]:
    """The user's active, confirmed proxy links (persons they may act for), oldest first."""
    if user is None or not user.is_authenticated:
        return ProxyLink.objects.none()
    return ProxyLink.objects.filter(user=user, is_active=True, confirmed_at__isnull=False).order_by(
        "created_at", "pk"
    )


def proxy_link_for(user: Viewer | None, person_id: Any) -> ProxyLink | None:
    """The active link that lets `user` act for the person, or None."""
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        return None
    return proxy_links_for(user).filter(person_id=person_id).first()


def persons_user_may_act_for(user: Viewer | None) -> list[int]:
    """Ids of the register persons the user may act for: their own record (first, if
    linked) and the persons of their active proxy links."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    ids = [user.person_id] if user.person_id else []
    for person_id in proxy_links_for(user).values_list("person_id", flat=True):
        if person_id not in ids:
            ids.append(person_id)
    return ids
