"""Acting for someone (数字反哺): which person a signed-in user is acting for right now.

The choice lives in the session, and is checked against the user's active proxy links on
every request (`acting_for`), so ending a link takes effect at once. Views that write
while acting record both: who acted (`request.user`) and for whom (`link.person_id`).
Apps below the portal (work orders at /m/orders/) use these functions directly.
"""

from __future__ import annotations

from django.http import HttpRequest

from gongzhi.accounts.models import ProxyLink
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.accounts.types import SignedInRequest
from gongzhi.audit.services import audit_record

SESSION_KEY = "gongzhi.acting_for"  # the person id
_CACHE_ATTR = "_gongzhi_acting_for"


def acting_for(request: HttpRequest) -> ProxyLink | None:
    """The active proxy link the user is acting through, or None (acting for themselves).

    A session naming a person the user may no longer act for is cleared."""
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    link = None
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    person_id = session.get(SESSION_KEY) if session is not None else None
    if session is not None and person_id is not None:
        link = proxy_link_for(user, person_id)
        if link is None:
            session.pop(SESSION_KEY, None)
    setattr(request, _CACHE_ATTR, link)
    return link


def acting_person_id(request: HttpRequest) -> int | None:
    """The person the user is acting for now: the proxied person, else their own record."""
    link = acting_for(request)
    if link is not None:
        return link.person_id
    user = getattr(request, "user", None)
    return getattr(user, "person_id", None) if user is not None else None


def proxy_purpose(link: ProxyLink) -> str:
    """Text for an audit entry's purpose: who acted for whom, through which link."""
    return f"proxy: user {link.user_id} for person {link.person_id} (link {link.pk})"


def start_acting(request: SignedInRequest, link: ProxyLink, *, area_path: str = "") -> None:
    """Act for the link's person from now on (the link must be the user's own)."""
    if link.user_id != request.user.pk or not link.is_active:
        raise ValueError("not an active proxy link of this user")
    request.session[SESSION_KEY] = link.person_id
    setattr(request, _CACHE_ATTR, link)
    audit_record(
        actor=request.user,
        action="proxy.act",
        obj=link,
        area_path=area_path,
        purpose=proxy_purpose(link),
    )


def stop_acting(request: SignedInRequest) -> None:
    link = acting_for(request)
    request.session.pop(SESSION_KEY, None)
    setattr(request, _CACHE_ATTR, None)
    if link is not None:
        audit_record(actor=request.user, action="proxy.stop", obj=link, purpose=proxy_purpose(link))
