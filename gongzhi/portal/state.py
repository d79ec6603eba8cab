"""What every portal page's frame shows: elder mode, whom the user is acting for, the
unread count and the entries of the home page. Computed lazily for `portal/base.html`
(through the `portal_state` tag, so pages of other apps that extend it get it too)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from gongzhi.accounts import acting
from gongzhi.accounts.models import ProxyLink, User
from gongzhi.accounts.services import user_set_elder_mode
from gongzhi.notifications.selectors import unread_count_for

ELDER_SESSION_KEY = "gongzhi.elder"


def elder_mode(request: HttpRequest) -> bool:
    """`?elder=1|0` on this request, else the account's preference, else (not signed in)
    the choice kept in the session."""
    wanted = request.GET.get("elder")
    if wanted in ("1", "0"):
        return wanted == "1"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return bool(user.elder_mode)
    session = getattr(request, "session", None)
    return bool(session.get(ELDER_SESSION_KEY)) if session is not None else False


def remember_elder_choice(request: HttpRequest) -> None:
    """Keep a `?elder=1|0` choice: on the account when signed in, else in the session."""
    wanted = request.GET.get("elder")
    if wanted not in ("1", "0"):
        return
    set_elder_mode(request, wanted == "1")


def set_elder_mode(request: HttpRequest, on: bool) -> None:
    if request.user.is_authenticated:
        user_set_elder_mode(user=request.user, on=on)
    request.session[ELDER_SESSION_KEY] = on


def carry_elder_choice(request: HttpRequest, user: User) -> None:
    """After sign-in: elder mode chosen before signing in becomes the account's."""
    if request.session.get(ELDER_SESSION_KEY) and not user.elder_mode:
        user_set_elder_mode(user=user, on=True)


@dataclass(frozen=True)
class Entry:
    """A tile of the home page that another app provides, shown when its URL exists."""

    url_name: str
    label: Any
    hint: Any = ""
    icon: str = ""


# Pages built by other apps under /m/ (work orders: /m/orders/). A missing URL name is
# skipped, so the portal works before and without them.
ENTRIES = (
    Entry(
        "workorders_resident:new",
        _("Ask for help"),
        _("Repairs, errands, a visit, a complaint or a suggestion"),
        "＋",
    ),
    Entry("workorders_resident:list", _("My requests"), _("Follow and rate what you asked"), "≡"),
    Entry(
        "portal:volunteer",
        _("Serve as a volunteer"),
        _("Party members and volunteers report in; my households"),
        "♡",
    ),
    Entry("portal:family", _("Act for a parent"), _("Help an elderly family member online"), "⇄"),
    Entry("rewards_m:catalogue", _("Rewards"), _("Redeem points, show vouchers"), "★"),
    Entry("points_m:list", _("Points square"), _("Join activities, check in, send proof"), "★"),
    Entry("points_me:home", _("My points"), _("Balance, what earned them, service hours"), "★"),
    Entry("notices_resident:list", _("Notices"), _("News, policies and urgent notices"), "📢"),
    Entry("proposals_m:list", _("Proposals and polls"), _("Propose, support and vote"), "☑"),
    Entry("health_m:hub", _("Health services"), _("My code, my record, book a session"), "✚"),
)


class PortalState:
    def __init__(self, request: HttpRequest):
        self.request = request

    @cached_property
    def elder(self) -> bool:
        return elder_mode(self.request)

    @cached_property
    def acting(self) -> ProxyLink | None:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return acting.acting_for(self.request)

    @cached_property
    def acting_label(self) -> str:
        """What the banner calls the person acted for: the proxy's word for them (妈妈),
        else their name with the given name masked."""
        from gongzhi.portal.selectors import person_short_label

        link = self.acting
        if link is None:
            return ""
        return link.label or person_short_label(link.person_id)

    @cached_property
    def unread(self) -> int:
        return unread_count_for(getattr(self.request, "user", None))

    @cached_property
    def entries(self) -> list[dict[str, Any]]:
        found = []
        for entry in ENTRIES:
            try:
                url = reverse(entry.url_name)
            except NoReverseMatch:
                continue
            found.append({"url": url, "label": entry.label, "hint": entry.hint, "icon": entry.icon})
        return found
