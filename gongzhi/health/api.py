"""Upstream lists and the watch list over REST.

    POST /upstream-lists                      upload a list (multipart: file, area, name…)
    GET  /upstream-lists[/{id}]               lists and their match status and counts
    POST /upstream-lists/{id}/rematch         run a failed match again
    GET  /watchlists/entries[/{id}]           the watch list: entries in the caller's area
    POST /watchlists/entries/{id}/transition  review / dismiss / verify / close / reopen
    POST /watchlists/entries/{id}/assign      route to a grid, or give to another follower

Thin operations over `health.selectors` and `health.services`. ID numbers and phones are
always the masked text.
"""

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, Id, In, Page
from gongzhi.core.errors import NotFound
from gongzhi.health import selectors, services
from gongzhi.health.models import UpstreamList, WatchEntry
from gongzhi.health.states import (
    Action,
    EntryStatus,
    ListKind,
    Outcome,
    Tier,
    VerificationMethod,
    actions_from,
)
from gongzhi.registry.selectors import area_get_for

router = Router(tags=["watch lists"])


# --- schemas -----------------------------------------------------------------------------------


class UpstreamListOut(Schema):
    id: int
    area_id: int
    name: str
    kind: str
    source: str
    filename: str
    file_format: str
    status: str
    columns: dict[str, Any] = Field(description="which column gave which field; ignored ones")
    counts: dict[str, int] = Field(description="rows, per match tier, unrouted, unassigned")
    errors: dict[str, list[str]] = Field(description="why the match failed, by field")
    uploaded_by: str | None
    created_at: dt.datetime
    matched_at: dt.datetime | None

    @staticmethod
    def resolve_uploaded_by(obj: UpstreamList) -> str | None:
        return obj.uploaded_by.username if obj.uploaded_by is not None else None


class WatchEntryOut(Schema):
    id: int
    upstream_list_id: int | None = Field(description="none for an arrival declaration's")
    row_number: int | None
    merged_into_id: int | None = Field(description="the open entry this row joined")
    name: str
    id_number: str = Field(description="always masked")
    phone: str = Field(description="always masked")
    birth_date: dt.date | None
    origin: str
    arrival_date: dt.date | None
    source: str
    address: str = Field(description="the address the list states")
    problems: dict[str, list[str]]
    tier: str = Field(description="how the row was matched: " + ", ".join(Tier.values))
    person_id: int | None
    candidates: list[int] = Field(description="person ids, when several persons match")
    id_conflict: bool = Field(description="matched by name, but the list's ID number differs")
    grid_id: int | None
    grid: str | None
    assignee: str | None = Field(description="user name of the follower")
    status: str = Field(description=", ".join(EntryStatus.values))
    actions: list[str] = Field(description="actions possible now")
    review_note: str
    verification_method: str
    found: bool | None
    verification_note: str
    verified_on: dt.date | None
    outcome: str
    outcome_note: str
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_id_number(obj: WatchEntry) -> str:
        return str(obj.id_number)  # Sealed: its text is the mask

    @staticmethod
    def resolve_phone(obj: WatchEntry) -> str:
        return str(obj.phone)

    @staticmethod
    def resolve_grid(obj: WatchEntry) -> str | None:
        return obj.grid.name if obj.grid is not None else None

    @staticmethod
    def resolve_assignee(obj: WatchEntry) -> str | None:
        return obj.assignee.username if obj.assignee is not None else None

    @staticmethod
    def resolve_actions(obj: WatchEntry) -> list[str]:
        return actions_from(obj.status)


class EventOut(Schema):
    at: dt.datetime
    actor: str | None
    action: str
    from_status: str
    to_status: str
    note: str

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.username if obj.actor_id else None


class WatchEntryDetailOut(WatchEntryOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj: WatchEntry) -> list[Any]:
        return selectors.entry_events(obj)


class EntryFiltersIn(Schema):
    upstream_list_id: Id | None = None
    status: EntryStatus | None = None
    open: bool = Field(False, description="only entries still being followed up")
    tier: Tier | None = None
    area_id: Id | None = Field(None, description="a grid (or any node) in the caller's area")
    mine: bool = Field(False, description="only entries assigned to the caller")
    q: str = Field("", max_length=40, description="name prefix")


class WatchTransitionIn(In):
    action: Action
    note: str = Field("", max_length=services.NOTE_MAX)
    person: Id | None = Field(None, description="review of an ambiguous entry: the candidate")
    method: VerificationMethod | None = Field(None, description="verify: how")
    found: bool | None = Field(None, description="verify: found at the address?")
    verified_on: dt.date | None = Field(None, description="verify: default today")
    outcome: Outcome | None = Field(None, description="close: the outcome")


class AssignIn(In):
    grid: Id | None = Field(None, description="route an unmatched entry to this grid")
    assignee: Id | None = Field(None, description="id of the user to follow it up")


def _ref(field: str, get: Any, **kwargs: Any) -> Any:
    try:
        return get(**kwargs)
    except NotFound:
        raise ValidationError({field: [_("No such record in your area.")]}) from None


# --- upstream lists --------------------------------------------------------------------------


@router.get(
    "/upstream-lists",
    response={200: list[UpstreamListOut], **WRITE_ERRORS},
    operation_id="upstream_list_list",
    url_name="upstream_list_list",
)
@paginate(Page)
def upstream_list_list(request: SignedInRequest) -> Any:
    """Upstream lists of the caller's area (needs watchlist.upload), newest first."""
    return selectors.upstream_list_list_for(user=request.user)


@router.post(
    "/upstream-lists",
    response={201: UpstreamListOut, **WRITE_ERRORS},
    operation_id="upstream_list_upload",
)
def upstream_list_upload(
    request: SignedInRequest,
    file: File[UploadedFile],
    area: Form[Id],
    name: Form[str] = "",
    kind: Form[ListKind] = ListKind.ARRIVALS,
    source: Form[str] = "",
) -> Any:
    """Upload a list (XLSX or CSV, at most 20 MB) for an area; the match runs in the
    background: poll `GET /upstream-lists/{id}` until `status` is `matched` or `failed`."""
    target = _ref("area", area_get_for, user=request.user, area_id=area)
    upstream_list = services.upstream_list_upload(
        actor=request.user,
        area=target,
        file=file,
        filename=file.name or "",
        name=name,
        kind=kind,
        source=source,
    )
    return Status(201, upstream_list)


@router.get(
    "/upstream-lists/{upstream_list_id}",
    response={200: UpstreamListOut, **WRITE_ERRORS},
    operation_id="upstream_list_get",
    url_name="upstream_list_get",
)
def upstream_list_get(request: SignedInRequest, upstream_list_id: int) -> Any:
    return selectors.upstream_list_get_for(user=request.user, list_id=upstream_list_id)


@router.post(
    "/upstream-lists/{upstream_list_id}/rematch",
    response={202: UpstreamListOut, **WRITE_ERRORS},
    operation_id="upstream_list_rematch",
)
def upstream_list_rematch(request: SignedInRequest, upstream_list_id: int) -> Any:
    """Queue the match again (a list that failed, or that no worker picked up)."""
    upstream_list = selectors.upstream_list_get_for(user=request.user, list_id=upstream_list_id)
    return Status(
        202, services.upstream_list_rematch(actor=request.user, upstream_list=upstream_list)
    )


# --- the watch list ----------------------------------------------------------------------------


class WatchSummaryOut(Schema):
    total: int
    open: int
    to_review: int
    mine_open: int
    entries_url: str


@router.get(
    "/watchlists",
    response={200: WatchSummaryOut, **WRITE_ERRORS},
    operation_id="watchlist_summary",
)
def watchlist_summary(request: SignedInRequest) -> Any:
    """The caller's watch list at a glance: entries in their area, open, waiting for online
    review, and open ones assigned to the caller; the entries are at `entries_url`."""
    if not selectors.can_see_watch_list(request.user):
        raise NotFound()
    summary = selectors.watch_summary_for(user=request.user)
    return {**vars(summary), "entries_url": "/api/v1/watchlists/entries"}


@router.get(
    "/watchlists/entries",
    response={200: list[WatchEntryOut], **WRITE_ERRORS},
    operation_id="watch_entry_list",
    url_name="watch_entry_list",
)
@paginate(Page)
def watch_entry_list(request: SignedInRequest, filters: Query[EntryFiltersIn]) -> Any:
    """The watch list: entries in the caller's area (follow-up or upload holders)."""
    status = "open" if filters.open else (filters.status or "")
    return selectors.watch_entry_list_for(
        user=request.user,
        filters=selectors.EntryFilters(
            upstream_list_id=filters.upstream_list_id,
            status=status,
            tier=filters.tier or "",
            area_id=filters.area_id,
            mine=filters.mine,
            q=filters.q,
        ),
    )


@router.get(
    "/watchlists/entries/{entry_id}",
    response={200: WatchEntryDetailOut, **WRITE_ERRORS},
    operation_id="watch_entry_get",
    url_name="watch_entry_get",
)
def watch_entry_get(request: SignedInRequest, entry_id: int) -> Any:
    return selectors.watch_entry_get_for(user=request.user, entry_id=entry_id)


@router.post(
    "/watchlists/entries/{entry_id}/transition",
    response={200: WatchEntryDetailOut, **WRITE_ERRORS},
    operation_id="watch_entry_transition",
)
def watch_entry_transition(
    request: SignedInRequest, entry_id: int, payload: WatchTransitionIn
) -> Any:
    """Review online, dismiss, record the offline verification, close with an outcome,
    or reopen (upload holders only). A move the entry's status does not allow is a 400
    on `action`."""
    entry = selectors.watch_entry_get_for(user=request.user, entry_id=entry_id)
    data = payload.model_dump(exclude_none=True)
    action = data.pop("action")
    return services.watch_entry_transition(
        actor=request.user, entry=entry, action=action, data=data
    )


@router.post(
    "/watchlists/entries/{entry_id}/assign",
    response={200: WatchEntryDetailOut, **WRITE_ERRORS},
    operation_id="watch_entry_assign",
)
def watch_entry_assign(request: SignedInRequest, entry_id: int, payload: AssignIn) -> Any:
    """Route an unmatched entry to a grid (its grid worker takes it) or give the entry to
    another follower (needs watchlist.upload)."""
    entry = selectors.watch_entry_get_for(user=request.user, entry_id=entry_id)
    grid = None
    if payload.grid is not None:
        grid = _ref("grid", area_get_for, user=request.user, area_id=payload.grid)
    assignee = None
    if payload.assignee is not None:
        # An id that names no active user goes to the service as someone who may follow up
        # nowhere: refused there with the same words as a user of another area, so ids
        # cannot be probed.
        assignee = (
            get_user_model().objects.filter(pk=payload.assignee, is_active=True).first()
            or AnonymousUser()
        )
    return services.watch_entry_assign(
        actor=request.user, entry=entry, grid=grid, assignee=assignee
    )
