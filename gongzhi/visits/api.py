"""Visits over REST (a grid worker's phone app logs visits through these).

    GET  /visits             visits in the caller's area (?household_id=, ?mine=true)
    POST /visits             log a visit (and file its follow-up work order)
    GET  /visits/due         households due a visit, never visited or most overdue first

Thin operations over `visits.selectors` and `visits.services`. Notes are the masked text
(any ID or mobile number in them masked).
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, Id, In, Page
from gongzhi.core.errors import NotFound
from gongzhi.registry.selectors import household_get_for
from gongzhi.visits import selectors, services
from gongzhi.visits.models import CONCERN_NOTE_MAX, NOTES_MAX, Concern, Method, Visit
from gongzhi.workorders.selectors import category_get

router = Router(tags=["visits"])


class VisitOut(Schema):
    id: int
    household_id: int
    visitor: str
    visited_at: dt.datetime
    method: str
    persons: list[int] = Field(description="ids of the members met")
    notes: str = Field(description="any ID or mobile number in it masked")
    concerns: list[str]
    concern_note: str = Field(description="any ID or mobile number in it masked")
    follow_up_id: int | None

    @staticmethod
    def resolve_visitor(obj: Visit) -> str:
        return obj.visitor.username

    @staticmethod
    def resolve_persons(obj: Visit) -> list[int]:
        return [p.pk for p in obj.persons.all()]

    @staticmethod
    def resolve_notes(obj: Visit) -> str:
        return str(obj.notes)

    @staticmethod
    def resolve_concern_note(obj: Visit) -> str:
        return str(obj.concern_note)


class VisitFiltersIn(Schema):
    household_id: Id | None = None
    mine: bool = False


class VisitIn(In):
    household: Id
    visited_at: dt.datetime
    method: Method
    notes: str = Field("", max_length=NOTES_MAX)
    concerns: list[Concern] = Field(default_factory=list)
    concern_note: str = Field("", max_length=CONCERN_NOTE_MAX)
    persons: list[Id] = Field(default_factory=list, description="ids of the members met")
    follow_up_category: str = Field("", description="a work-order category code, to file one")
    follow_up_description: str = ""


class DueOut(Schema):
    id: int = Field(description="the household's id")
    address: str
    every_days: int
    last_visit: dt.datetime | None
    due_on: dt.date | None = Field(description="null: never visited")


@router.get(
    "/visits",
    response={200: list[VisitOut], **WRITE_ERRORS},
    operation_id="visit_list",
    url_name="visit_list",
)
@paginate(Page)
def visit_list(request: SignedInRequest, filters: Query[VisitFiltersIn]) -> Any:
    """Visits in the caller's area (visits.log), newest first; a household out of the
    caller's area lists nothing."""
    if filters.mine:
        visits = selectors.my_visits(user=request.user)
    else:
        visits = selectors.area_visits(user=request.user)
    if filters.household_id is not None:
        visits = visits.filter(household_id=filters.household_id)
    return visits


@router.post("/visits", response={201: VisitOut, **WRITE_ERRORS}, operation_id="visit_create")
def visit_create(request: SignedInRequest, payload: VisitIn) -> Any:
    """Log a visit to a household of the caller's area (visits.log there). With
    `follow_up_category`, a work order is filed for the household in the same step."""
    try:
        household = household_get_for(
            user=request.user, household_id=payload.household, perm=Perm.VISIT_LOG
        )
    except NotFound:
        raise ValidationError({"household": [_("No such record in your area.")]}) from None
    category = None
    if payload.follow_up_category:
        try:
            category = category_get(payload.follow_up_category)
        except NotFound:
            raise ValidationError(
                {"follow_up_category": [_("This category is no longer offered.")]}
            ) from None
    visit = services.visit_log(
        actor=request.user,
        household=household,
        visited_at=payload.visited_at,
        method=payload.method,
        notes=payload.notes,
        concerns=payload.concerns,
        concern_note=payload.concern_note,
        persons=payload.persons,
        follow_up_category=category,
        follow_up_description=payload.follow_up_description,
    )
    return Status(201, visit)


@router.get(
    "/visits/due",
    response={200: list[DueOut], **WRITE_ERRORS},
    operation_id="visit_due_list",
    url_name="visit_due_list",
)
@paginate(Page)
def visit_due_list(request: SignedInRequest) -> Any:
    """Households in the caller's area due a visit (or due within 3 days): never visited
    first, then the longest overdue."""
    rows = selectors.with_households(selectors.due_visits_for(user=request.user))
    return [
        {
            "id": r.household_id,
            "address": r.household.address if r.household else "",
            "every_days": r.every_days,
            "last_visit": r.last_visit,
            "due_on": r.due_on,
        }
        for r in rows
    ]
