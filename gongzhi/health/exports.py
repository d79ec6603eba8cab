"""Downloads of the watch list and of the upstream lists (see `gongzhi.web.exports`).

The watch list names persons with their health status and whereabouts: sensitive personal
information (PIPL art. 28); ID numbers and phones leave masked, as on screen."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.accounts.policy import Perm
from gongzhi.web.exports import Column, Export, Sensitivity, export_response, requested_format

__all__ = ["UPSTREAM_LISTS", "WATCH_LIST", "export_response", "requested_format"]


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


WATCH_LIST: Export[Any] = Export(
    name="health.watch_list",
    filename=_("Watch list"),
    object_type="health.watchentry",
    sensitivity=Sensitivity.SENSITIVE,
    scope_perms=(Perm.WATCHLIST_FOLLOW_UP, Perm.WATCHLIST_UPLOAD),
    batch=2000,
    columns=(
        Column(_("List"), lambda e: e.upstream_list.name if e.upstream_list_id else e.source),
        Column(_("Row"), lambda e: e.row_number),
        Column(pgettext_lazy("person", "Name"), lambda e: e.name),
        # A Sealed value's text is its mask.
        Column(_("Resident ID number"), lambda e: str(e.id_number)),
        Column(_("Phone"), lambda e: str(e.phone)),
        Column(_("Origin"), lambda e: e.origin),
        Column(_("Arrival date"), lambda e: _date(e.arrival_date)),
        Column(_("Stated address"), lambda e: e.address),
        Column(_("Match"), lambda e: e.get_tier_display()),
        Column(
            _("Registered address"), lambda e: e.person.household.address if e.person_id else ""
        ),
        Column(_("Grid"), lambda e: e.grid.name if e.grid_id else ""),
        Column(_("Follower"), lambda e: str(e.assignee) if e.assignee_id else ""),
        Column(_("Status"), lambda e: e.get_status_display()),
        Column(_("Online review"), lambda e: e.review_note),
        Column(_("Verification"), lambda e: e.verification_note),
        Column(_("Verified on"), lambda e: _date(e.verified_on)),
        Column(_("Outcome"), lambda e: e.get_outcome_display() if e.outcome else ""),
    ),
)


def _count(key: str) -> Any:
    return lambda u: (u.counts or {}).get(key, 0)


UPSTREAM_LISTS: Export[Any] = Export(
    name="health.upstream_lists",
    filename=_("Upstream lists"),
    object_type="health.upstreamlist",
    sensitivity=Sensitivity.NONE,
    scope_perms=(Perm.WATCHLIST_UPLOAD,),
    batch=500,
    columns=(
        Column(_("Name"), lambda u: u.name),
        Column(_("Kind"), lambda u: u.get_kind_display()),
        Column(_("Source"), lambda u: u.source),
        Column(_("Area"), lambda u: u.area.name),
        Column(_("File"), lambda u: u.filename),
        Column(_("Status"), lambda u: u.get_status_display()),
        Column(_("Rows"), _count("rows")),
        Column(_("ID number"), _count("id_number")),
        Column(_("Name and phone"), _count("name_phone")),
        Column(_("Name and birth date"), _count("name_birth")),
        Column(_("Several persons match"), _count("ambiguous")),
        Column(_("Not in the register"), _count("none")),
        Column(_("Uploaded by"), lambda u: str(u.uploaded_by or "")),
        Column(_("Uploaded at"), lambda u: u.created_at),
    ),
)
