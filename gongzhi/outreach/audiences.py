"""A campaign's audience: who it contacts, as a rule stored on the campaign.

`Campaign.audience` is a small dict, one of:
- `{"kind": "watch_list"}` — every person with an open watch-list entry in the area, or
  `{"kind": "watch_list", "list": <upstream list id>}` — those of one upstream list;
- `{"kind": "tag", "tag": "<tag code>"}` — the persons carrying a register tag;
- `{"kind": "grid", "grid": <area id>}` — the persons living in a grid;
- `{"kind": "upstream_list", "list": <id>}` — every person an upstream list matched;
- `{"kind": "non_responders", "campaign": <id>}` — an earlier campaign's recipients who
  neither answered nor opted out.

It is resolved (`audience_persons`) to person ids, always inside the campaign's area and
the user's own `outreach.run` scope, and only persons present in the register (not moved
out or deceased). Each reference (a list, a grid, a campaign) must itself be one the user
sees inside the area, or the audience is refused naming the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.core import scope
from gongzhi.core.lookup import parse_id
from gongzhi.health.models import UpstreamList, WatchEntry
from gongzhi.health.states import OPEN_STATUSES
from gongzhi.outreach.models import Campaign, Recipient, RecipientState
from gongzhi.registry.models import PRESENT_RESIDENCY, Area, AreaKind, Person, Tag

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

KINDS = {
    "watch_list": gettext_lazy("Watch list (open entries)"),
    "tag": gettext_lazy("A register tag"),
    "grid": gettext_lazy("A grid"),
    "upstream_list": gettext_lazy("An upstream list's matched persons"),
    "non_responders": gettext_lazy("Non-responders of an earlier campaign"),
}
NON_RESPONDING = (
    RecipientState.PENDING,
    RecipientState.WAITING,
    RecipientState.FAILED,
    RecipientState.ESCALATED,
)


def _can(user: Viewer | None, perm: Perm, path: str) -> bool:
    """May `user` see `path` for `perm`; the system (None: the demo) sees everything."""
    return user is None or access.can(user, perm, path)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"audience": [message]})


def _id(audience: dict[str, Any], key: str) -> int:
    try:
        return parse_id(audience.get(key))
    except Exception:  # NotFound or a bad value: the same answer
        raise _refuse(_("Choose the audience's %(what)s.") % {"what": key}) from None


def audience_clean(*, user: Viewer | None, area: Area, audience: Any) -> dict[str, Any]:
    """The audience in its stored form, checked: each reference exists and lies where the
    user sees it inside `area`. ValidationError on the field "audience" otherwise."""
    if not isinstance(audience, dict) or audience.get("kind") not in KINDS:
        raise _refuse(
            _("Choose one of: %(choices)s.") % {"choices": "、".join(map(str, KINDS.values()))}
        )
    kind = audience["kind"]
    if kind == "watch_list":
        if audience.get("list") in (None, ""):
            return {"kind": kind}
        return {"kind": kind, "list": _upstream_list(user, area, audience).pk}
    if kind == "upstream_list":
        return {"kind": kind, "list": _upstream_list(user, area, audience).pk}
    if kind == "tag":
        code = str(audience.get("tag") or "")
        if not code or not Tag.objects.filter(code=code).exists():
            raise _refuse(_("Choose a tag of the register."))
        return {"kind": kind, "tag": code}
    if kind == "grid":
        grid = Area.objects.filter(pk=_id(audience, "grid"), kind=AreaKind.GRID).first()
        if grid is None or not scope.within(grid.path, [area.path]):
            raise _refuse(_("Choose a grid inside the campaign's area."))
        if not _can(user, Perm.OUTREACH_RUN, grid.path):
            raise _refuse(_("Choose a grid inside the campaign's area."))
        return {"kind": kind, "grid": grid.pk}
    earlier = Campaign.objects.filter(pk=_id(audience, "campaign")).first()
    if (
        earlier is None
        or not _can(user, Perm.OUTREACH_VIEW, earlier.area_path)
        or not (
            scope.within(earlier.area_path, [area.path])
            or scope.within(area.path, [earlier.area_path])
        )
        or earlier.started_at is None
    ):
        raise _refuse(_("Choose an earlier campaign of this area that has started."))
    return {"kind": kind, "campaign": earlier.pk}


def _upstream_list(user: Viewer | None, area: Area, audience: dict[str, Any]) -> UpstreamList:
    found = UpstreamList.objects.filter(pk=_id(audience, "list")).first()
    if found is None or not (
        _can(user, Perm.WATCHLIST_FOLLOW_UP, found.area_path)
        or _can(user, Perm.WATCHLIST_UPLOAD, found.area_path)
        or (user is None or access.overlaps(user, Perm.WATCHLIST_FOLLOW_UP, found.area_path))
    ):
        raise _refuse(_("Choose an upstream list you can see."))
    return found


def audience_persons(
    *, user: Viewer | None, area: Area, audience: dict[str, Any]
) -> QuerySet[Person]:
    """The persons the (cleaned) audience names: present in the register, inside `area`
    and where the user runs campaigns. A queryset; the caller counts or reads ids."""
    persons = Person.objects.within(area.path).filter(residency__in=PRESENT_RESIDENCY)
    if user is not None:
        persons = persons.restrict(user, Perm.OUTREACH_RUN)
    kind = audience["kind"]
    if kind in ("watch_list", "upstream_list"):
        entries = WatchEntry.objects.filter(person__isnull=False)
        if kind == "watch_list":
            entries = entries.filter(status__in=OPEN_STATUSES).within(area.path)
        if audience.get("list"):
            entries = entries.filter(upstream_list_id=audience["list"])
        return persons.filter(pk__in=entries.values("person_id"))
    if kind == "tag":
        return persons.filter(tag_links__tag__code=audience["tag"])
    if kind == "grid":
        grid = Area.objects.get(pk=audience["grid"])
        return persons.within(grid.path)
    return persons.filter(
        pk__in=Recipient.objects.filter(
            campaign_id=audience["campaign"], state__in=NON_RESPONDING
        ).values("person_id")
    )


def audience_count(*, user: Viewer | None, area: Area, audience: Any) -> int:
    """How many persons the audience would reach now (the form's live preview)."""
    cleaned = audience_clean(user=user, area=area, audience=audience)
    return audience_persons(user=user, area=area, audience=cleaned).distinct().count()


def audience_label(audience: dict[str, Any]) -> str:
    """The audience in words, for the campaign page (ids, never a person)."""
    kind = audience.get("kind", "")
    label = str(KINDS.get(kind, kind))
    detail = {
        "watch_list": audience.get("list") and f"#{audience.get('list')}",
        "upstream_list": f"#{audience.get('list')}",
        "tag": _tag_name(audience.get("tag")),
        "grid": _area_name(audience.get("grid")),
        "non_responders": f"#{audience.get('campaign')}",
    }.get(kind)
    return f"{label}: {detail}" if detail else label


def _tag_name(code: Any) -> str:
    tag = Tag.objects.filter(code=str(code or "")).first()
    return tag.name if tag else str(code or "")


def _area_name(pk: Any) -> str:
    area = Area.objects.filter(pk=pk).first() if pk else None
    return area.name if area else ""
