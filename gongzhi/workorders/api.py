"""Work orders over REST: `/workorders`, `/workorder-categories`.

Thin operations: parse, call one selector or service, return. Orders by id come only
from `selectors.workorder_get_for` (missing and invisible alike are 404); every step goes
through `services.workorder_transition`, which decides who may make it (403) and whether
the order's status allows it (409 `illegal_transition`, or `already_taken` when another
handler accepted first). An anonymous complaint's requester is `null` for the handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongzhi.accounts import access
from gongzhi.accounts.models import Membership
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import (
    ERRORS,
    OFFSET_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    WRITE_ERRORS,
    Clean,
    Id,
    In,
)
from gongzhi.core.errors import NotFound
from gongzhi.registry import selectors as registry_selectors
from gongzhi.workorders import bulk, filing, policy, selectors, services, uploads
from gongzhi.workorders.models import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    Category,
    Channel,
    Priority,
    WorkOrder,
)
from gongzhi.workorders.reportin_api import router as reportin_router
from gongzhi.workorders.states import Action
from gongzhi.workorders.states import Status as OrderStatus

if TYPE_CHECKING:
    from gongzhi.accounts.types import Viewer

router = Router(tags=["workorders"])


# --- schemas -----------------------------------------------------------------------------------


class SlaOut(Schema):
    priority: str
    response_minutes: int
    resolution_minutes: int
    working_hours: bool


class CategoryOut(Schema):
    code: str = Field(description="also the Open311 service_code")
    name: str
    name_en: str
    description: str
    kind: str = Field(description="service, complaint or suggestion")
    skill: str
    default_priority: str
    allows_anonymous: bool
    slas: list[SlaOut]

    @staticmethod
    def resolve_slas(obj: Category) -> list[Any]:
        return list(obj.slas.all())


class PhotoOut(Schema):
    id: int
    kind: str = Field(description="request or evidence")
    url: str
    width: int
    height: int


class WorkOrderOut(Schema):
    id: int
    number: str
    category: str
    priority: str
    status: str
    description: str
    anonymous: bool
    channel: str = Field(description="self, proxy, staff, open311 or api")
    requester: str | None = Field(description="null when hidden from the caller (anonymous)")
    person_id: int | None
    household_id: int | None
    contact_phone: str = Field(description="always masked")
    address: str
    place_id: int
    grid_id: int | None
    level_id: int = Field(description="the area that handles it now (grid, community, street)")
    escalations: int
    assignee_id: int | None
    offered_to: list[int] = Field(description="ids of handlers with an open offer")
    submitted_at: dt.datetime
    preferred_at: dt.datetime | None
    response_due: dt.datetime | None
    resolve_due: dt.datetime | None
    due_at: dt.datetime | None = Field(description="the next deadline the SLA sweep watches")
    accepted_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str
    rating: int | None
    rating_comment: str
    rating_by_callback: bool = Field(
        description="the resident gave the rating on the phone; staff recorded it (回访)"
    )
    reopen_count: int
    photos: list[PhotoOut]


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    count: int


class TimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    action: str
    from_status: str
    to_status: str
    actor: str | None = Field(
        description="null: the system (SLA sweep), or the resident of an anonymous complaint"
    )
    on_behalf_of: int | None = Field(description="person id, when a proxy or staff acted for them")
    note: str
    assignee_id: int | None
    level_id: int | None
    rating: int | None
    photo_ids: list[int]


class SuggestionOut(Schema):
    user_id: int
    name: str
    role: str
    score: float
    paired: bool = Field(description="serves this household (the 8-household pairing)")
    serves_grid: bool
    skill_match: bool
    load: int
    rating: float | None
    ratings: int
    available: bool
    reasons: list[str]


class ListFiltersIn(Clean):
    tab: Literal["waiting", "dispatched", "working", "resolved", "closed", "overdue", "all"] = (
        Field("all", description="waiting: the inbox of the levels where you decide")
    )
    area_id: Id | None = Field(None, description="a grid, community … in your area")
    category: str = Field("", max_length=40)
    status: OrderStatus | None = None
    mine: bool = Field(False, description="only orders you asked for (or for whom you act)")
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class CreateIn(In):
    category: str = Field(max_length=40, description="a category code (GET /workorder-categories)")
    description: str = Field(max_length=DESCRIPTION_MAX)
    person: Id | None = Field(
        None, description="for whom: yourself, someone you act for, or a resident of your area"
    )
    household: Id | None = None
    place: Id | None = Field(None, description="a building, grid or community, when no person")
    priority: Priority | None = None
    anonymous: bool = Field(
        False, description="only for categories that allow it (complaints, suggestions by default)"
    )
    preferred_at: dt.datetime | None = None
    contact_phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)


class NoteIn(In):
    note: str = Field("", max_length=NOTE_MAX)


class StepNoteIn(In):
    note: str = Field(max_length=NOTE_MAX, description="required: why")

    def step_kwargs(self) -> dict[str, Any]:
        return {"note": self.note}


class DispatchIn(In):
    handlers: list[Id] = Field(
        min_length=1,
        max_length=services.MAX_OFFERS,
        description="user ids; several: the first to accept gets it",
    )
    note: str = Field("", max_length=NOTE_MAX)


class RateIn(In):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=services.RATING_COMMENT_MAX)

    def step_kwargs(self) -> dict[str, Any]:
        return {"rating": self.rating, "note": self.comment}


class BulkIn(In):
    orders: list[Id] = Field(min_length=1, max_length=bulk.BULK_MAX)
    action: Literal["dispatch", "escalate", "solve", "cancel"]
    handlers: list[Id] = Field(default_factory=list, max_length=services.MAX_OFFERS)
    note: str = Field("", max_length=NOTE_MAX)


class BulkOut(Schema):
    done: list[int]
    failed: dict[str, str] = Field(description="order id -> why it was not done")


# --- helpers -------------------------------------------------------------------------------------


def _out(order: WorkOrder, user: Viewer) -> dict[str, Any]:
    shows = policy.sees_requester(user, order)
    offers = selectors.open_offers(order) if order.status == OrderStatus.DISPATCHED else []
    photos = [
        {
            "id": p.pk,
            "kind": p.kind,
            "url": reverse("api:workorder_photo_get", args=[order.pk, p.pk]),
            "width": p.width,
            "height": p.height,
        }
        for p in selectors.attachments_of(order)
    ]
    requester = None
    if shows:
        requester = order.person.name if order.person is not None else (order.contact_name or None)
    return {
        "id": order.pk,
        "number": order.number,
        "category": order.category.code,
        "priority": order.priority,
        "status": order.status,
        "description": order.description,
        "anonymous": order.anonymous,
        "channel": order.channel,
        "requester": requester,
        "person_id": order.person_id if shows else None,
        "household_id": order.household_id if shows else None,
        "contact_phone": str(order.contact_phone) if shows else "",
        "address": order.address if shows else order.place.name,
        "place_id": order.place_id,
        "grid_id": order.grid_id,
        "level_id": order.level_id,
        "escalations": order.escalations,
        "assignee_id": order.assignee_id,
        "offered_to": [o.handler_id for o in offers],
        "submitted_at": order.submitted_at,
        "preferred_at": order.preferred_at,
        "response_due": order.response_due,
        "resolve_due": order.resolve_due,
        "due_at": order.due_at,
        "accepted_at": order.accepted_at,
        "resolved_at": order.resolved_at,
        "closed_at": order.closed_at,
        "resolution": order.resolution,
        "rating": order.rating,
        "rating_comment": order.rating_comment,
        "rating_by_callback": order.rating_by_callback,
        "reopen_count": order.reopen_count,
        "photos": photos,
    }


def _ref(field: str, get: Any, **kwargs: Any) -> Any:
    """An object named by id in a body; missing and invisible are the same field error."""
    try:
        return get(**kwargs)
    except NotFound:
        raise ValidationError({field: [_("No such record in your area.")]}) from None


def _step(request: SignedInRequest, workorder_id: int, action: str, **kwargs: Any) -> Any:
    order = selectors.workorder_get_for(user=request.user, order_id=workorder_id)
    # The service hands back the order as it wrote it (with its category, place, level).
    order = services.workorder_transition(actor=request.user, order=order, action=action, **kwargs)
    return _out(order, request.user)


# --- categories ------------------------------------------------------------------------------------


@router.get(
    "/workorder-categories",
    response={200: list[CategoryOut], **ERRORS},
    operation_id="workorder_category_list",
    url_name="workorder_category_list",
)
def workorder_category_list(request: SignedInRequest) -> Any:
    """What residents may ask for, with each category's deadlines per priority."""
    return selectors.category_list()


# --- orders ------------------------------------------------------------------------------------------


@router.get(
    "/workorders",
    response={200: WorkOrderPage, **ERRORS},
    operation_id="workorder_list",
    url_name="workorder_list",
)
def workorder_list(request: SignedInRequest, filters: Query[ListFiltersIn]) -> Any:
    """Orders you may see (your area's, the ones you asked for, the ones offered to you),
    newest first, paginated with `limit` and `offset`."""
    orders = selectors.workorder_list_for(
        user=request.user,
        filters=selectors.OrderFilters(
            tab=filters.tab,
            area_id=filters.area_id,
            category=filters.category,
            status=filters.status or "",
            mine=filters.mine,
        ),
    )
    page = list(orders[filters.offset : filters.offset + filters.limit])
    return {"items": [_out(o, request.user) for o in page], "count": orders.count()}


@router.post(
    "/workorders",
    response={201: WorkOrderOut, **WRITE_ERRORS},
    operation_id="workorder_create",
)
def workorder_create(request: SignedInRequest, payload: CreateIn) -> Any:
    """Ask for help (居民点单): for yourself by default, for someone you act for (`person`),
    or, as staff or building head, on a resident's behalf."""
    user = request.user
    try:
        category = selectors.category_get(payload.category)
    except NotFound:
        raise ValidationError({"category": [_("Unknown category.")]}) from None
    person = household = place = None
    if payload.person is not None:
        person = _ref("person", selectors.person_for_filing, user=user, person_id=payload.person)
    if payload.household is not None:
        household = _ref(
            "household",
            registry_selectors.household_get_for,
            user=user,
            household_id=payload.household,
        )
    if payload.place is not None:
        place = _ref("place", selectors.place_for_filing, user=user, area_id=payload.place)
    order = filing.workorder_create(
        actor=user,
        category=category,
        description=payload.description,
        person=person,
        household=household,
        place=place,
        priority=payload.priority or "",
        anonymous=payload.anonymous,
        preferred_at=payload.preferred_at,
        contact_phone=payload.contact_phone,
        address=payload.address,
        channel=Channel.API if isinstance(getattr(request, "auth", None), Membership) else None,
    )
    return Status(201, _out(order, user))


# Before `/workorders/{workorder_id}`: Django tries the paths in order.
@router.post(
    "/workorders/bulk",
    response={200: BulkOut, **WRITE_ERRORS},
    operation_id="workorder_bulk",
)
def workorder_bulk(request: SignedInRequest, payload: BulkIn) -> Any:
    """The same step on several orders, each done or refused on its own (200 with both
    lists); when none could be done, 400 `invalid` with the reasons under `orders`."""
    if not access.can(request.user, Perm.WORKORDER_DISPATCH):
        raise NotFound()
    handlers = [
        selectors.handler_get_for_dispatcher(user=request.user, user_id=i)
        for i in dict.fromkeys(payload.handlers)
    ]
    result = bulk.workorder_bulk(
        actor=request.user,
        order_ids=payload.orders,
        action=payload.action,
        note=payload.note,
        handlers=handlers,
    )
    if not result.done:
        raise ValidationError(
            {"orders": [f"{order_id}: {why}" for order_id, why in result.failed.items()]}
        )
    return {"done": result.done, "failed": {str(k): v for k, v in result.failed.items()}}


@router.get(
    "/workorders/{workorder_id}",
    response={200: WorkOrderOut, **ERRORS},
    operation_id="workorder_get",
    url_name="workorder_get",
)
def workorder_get(request: SignedInRequest, workorder_id: int) -> Any:
    return _out(selectors.workorder_get_for(user=request.user, order_id=workorder_id), request.user)


@router.get(
    "/workorders/{workorder_id}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    operation_id="workorder_timeline",
    url_name="workorder_timeline",
)
def workorder_timeline(request: SignedInRequest, workorder_id: int) -> Any:
    """Every step, oldest first (residents get the steps meant for them)."""
    order = selectors.workorder_get_for(user=request.user, order_id=workorder_id)
    return [
        {
            "id": e.pk,
            "at": e.at,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor.username if e.actor is not None and not e.actor_hidden else None,
            "on_behalf_of": e.on_behalf_of.pk if e.on_behalf_of else None,
            "note": e.note,
            "assignee_id": e.assignee_id,
            "level_id": e.level_id,
            "rating": e.rating,
            "photo_ids": [p.pk for p in e.attachments.all()],
        }
        for e in selectors.timeline_for(user=request.user, order=order)
    ]


@router.get(
    "/workorders/{workorder_id}/suggestions",
    response={200: list[SuggestionOut], **ERRORS},
    operation_id="workorder_suggestions",
    url_name="workorder_suggestions",
)
def workorder_suggestions(request: SignedInRequest, workorder_id: int) -> Any:
    """Whom to dispatch to, best first (staff who decide at the order's level)."""
    order = selectors.workorder_get_for(user=request.user, order_id=workorder_id)
    return [
        {
            "user_id": s.user.pk,
            "name": str(s.user),
            "role": s.role,
            "score": s.score,
            "paired": s.paired,
            "serves_grid": s.serves_grid,
            "skill_match": s.skill_match,
            "load": s.load,
            "rating": s.rating,
            "ratings": s.ratings,
            "available": s.available,
            "reasons": s.reasons,
        }
        for s in selectors.suggestions_for_dispatcher(user=request.user, order=order)
    ]


@router.post(
    "/workorders/{workorder_id}/dispatch",
    response={200: WorkOrderOut, **WRITE_ERRORS},
    operation_id="workorder_dispatch",
)
def workorder_dispatch(request: SignedInRequest, workorder_id: int, payload: DispatchIn) -> Any:
    """社区派单: offer the order to one handler, or to several (first to accept wins)."""
    order = selectors.workorder_get_for(user=request.user, order_id=workorder_id)
    handlers = selectors.handlers_get_for(user=request.user, order=order, user_ids=payload.handlers)
    return _step(request, workorder_id, Action.DISPATCH, handlers=handlers, note=payload.note)


@router.post(
    "/workorders/{workorder_id}/evidence",
    response={200: WorkOrderOut, **WRITE_ERRORS},
    operation_id="workorder_evidence",
)
def workorder_evidence(
    request: SignedInRequest,
    workorder_id: int,
    note: Form[str] = "",
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """Evidence of the work (multipart): a note and/or photos (checked by content, EXIF
    removed, at most 6 at a time and 12 an order)."""
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [_("At most %(max)d characters.") % {"max": NOTE_MAX}]})
    return _step(request, workorder_id, Action.EVIDENCE, note=note, photos=photos or [])


# --- the other steps: one row each, one endpoint mechanism ------------------------------


@dataclass(frozen=True)
class _StepEndpoint:
    action: str
    payload: type[In] | None  # the body (None: no body); its `step_kwargs()` feed the step
    doc: str = ""


_STEP_ENDPOINTS = (
    _StepEndpoint(
        Action.ACCEPT,
        None,
        "党员接单: take an order offered to you. 409 `already_taken` if someone was first.",
    ),
    _StepEndpoint(Action.DECLINE, StepNoteIn),
    _StepEndpoint(Action.START, None),
    _StepEndpoint(Action.RESOLVE, StepNoteIn),
    _StepEndpoint(Action.SOLVE, StepNoteIn, "小事自主解决: staff resolve it themselves."),
    _StepEndpoint(
        Action.ESCALATE,
        StepNoteIn,
        "大事逐级上报: one level up (grid → community → street), with the reason.",
    ),
    _StepEndpoint(Action.RATE, RateIn, "群众评单: 1–5 stars on a resolved order, once."),
    _StepEndpoint(
        Action.CALLBACK,
        RateIn,
        "回访: the rating a resident gave on the phone, for an order filed on their behalf; "
        "recorded by staff of the area who did not handle the order (403 for whoever did).",
    ),
    _StepEndpoint(Action.REOPEN, StepNoteIn),
    _StepEndpoint(Action.CANCEL, StepNoteIn),
)


def _endpoint(row: _StepEndpoint) -> Callable[..., Any]:
    """`POST /workorders/{id}/<action>`: parse the body, make the step, answer the order."""

    def bare(request: SignedInRequest, workorder_id: int) -> Any:
        return _step(request, workorder_id, row.action)

    def with_body(request: SignedInRequest, workorder_id: int, payload: Any) -> Any:
        return _step(request, workorder_id, row.action, **payload.step_kwargs())

    # Resolved by ninja from the annotations: the row's schema, not a forward ref.
    with_body.__annotations__ = {
        "request": SignedInRequest,
        "workorder_id": int,
        "payload": row.payload,
        "return": Any,
    }
    operation = bare if row.payload is None else with_body
    operation.__name__ = operation.__qualname__ = f"workorder_{row.action}"
    operation.__doc__ = row.doc or None
    return operation


for _row in _STEP_ENDPOINTS:
    router.post(
        f"/workorders/{{workorder_id}}/{_row.action}",
        response={200: WorkOrderOut, **WRITE_ERRORS},
        operation_id=f"workorder_{_row.action}",
    )(_endpoint(_row))


@router.get(
    "/workorders/{workorder_id}/photos/{photo_id}",
    response={200: None, **ERRORS},
    operation_id="workorder_photo_get",
    url_name="workorder_photo_get",
)
def workorder_photo_get(request: SignedInRequest, workorder_id: int, photo_id: int) -> Any:
    """The photo's bytes (image/jpeg or image/png), for whoever may see the order."""
    photo = selectors.attachment_get_for(
        user=request.user, order_id=workorder_id, attachment_id=photo_id
    )
    try:
        handle = uploads.open_stored(photo.path)
    except FileNotFoundError:
        raise NotFound() from None
    return uploads.photo_response(handle, photo.content_type)


# Report-ins (双报到) and the 8-household pairing: `/reportins`, `/volunteers/{id}/pairings`.
router.add_router("/", reportin_router)
