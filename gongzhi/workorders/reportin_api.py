"""Report-ins (双报到) and the 8-household pairing over REST: `/reportins`,
`/volunteers/{id}/pairings`. For those who place volunteers (`volunteers.manage`): the
report-ins waiting in their area, approve (place in a grid, set skills) or refuse; the
households a volunteer serves, read and replaced. Thin: `workorders.reportin` and
`workorders.pairings` decide."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ERRORS, WRITE_ERRORS, Clean, Id, In, Mapped, Page
from gongzhi.core.errors import NotFound
from gongzhi.registry.models import Area, AreaKind, Household
from gongzhi.workorders import pairings, reportin
from gongzhi.workorders.models import FreeTime, ReportIn, ReportInKind, ReportInStatus, Skill

router = Router(tags=["volunteers"])


class ReportInOut(Schema):
    id: int
    user_id: int
    name: str
    phone: str = Field(description="masked")
    kind: ReportInKind
    status: ReportInStatus
    organisation: str
    skills: list[Skill]
    free_times: list[FreeTime]
    community_id: int
    grid_id: int | None = Field(description="the grid they asked for, if any")
    placed_id: int | None = Field(description="the grid they were placed in")
    refusal_reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class ReportInFiltersIn(Clean):
    status: ReportInStatus | None = ReportInStatus.PENDING


class ApproveIn(In):
    grid: Id = Field(description="id of a grid of the report-in's community, in your area")
    skills: list[Skill] | None = Field(None, description="else the skills they gave")


class RefuseIn(In):
    reason: str = Field(max_length=reportin.REASON_MAX, description="the applicant reads it")


class PairingOut(Schema):
    household_id: int
    address: str
    since: dt.date


class PairingsOut(Schema):
    volunteer_id: int
    max: int = Field(description="households one person may serve")
    households: list[PairingOut]


class PairingsIn(In):
    households: list[Id] = Field(
        max_length=pairings.PAIRING_MAX,
        description="ids of the households they serve within your area (replaces those)",
    )


def _out(report: ReportIn) -> dict[str, Any]:
    return {
        "id": report.pk,
        "user_id": report.user_id,
        "name": str(report.user),
        "phone": str(report.user.phone) if report.user.phone else "",
        "kind": report.kind,
        "status": report.status,
        "organisation": report.organisation,
        "skills": report.skills,
        "free_times": report.free_times,
        "community_id": report.community_id,
        "grid_id": report.grid_id,
        "placed_id": report.placed_id,
        "refusal_reason": report.refusal_reason,
        "created_at": report.created_at,
        "decided_at": report.decided_at,
    }


@router.get(
    "/reportins",
    response={200: list[ReportInOut], **ERRORS},
    operation_id="reportin_list",
    url_name="reportin_list",
)
@paginate(Page)
def reportin_list(request: SignedInRequest, filters: Query[ReportInFiltersIn]) -> Any:
    """Report-ins in your area (waiting ones by default): your grids', and your
    community's not yet placed in a grid."""
    return Mapped(reportin.reportin_list_for(user=request.user, status=filters.status or ""), _out)


@router.get(
    "/reportins/{reportin_id}",
    response={200: ReportInOut, **ERRORS},
    operation_id="reportin_get",
)
def reportin_get(request: SignedInRequest, reportin_id: int) -> Any:
    return _out(reportin.reportin_get_for(user=request.user, report_id=reportin_id))


@router.post(
    "/reportins/{reportin_id}/approve",
    response={200: ReportInOut, **WRITE_ERRORS},
    operation_id="reportin_approve",
)
def reportin_approve(request: SignedInRequest, reportin_id: int, payload: ApproveIn) -> Any:
    """Place the applicant in a grid (the volunteer or party-member role there) with skills."""
    report = reportin.reportin_get_for(user=request.user, report_id=reportin_id)
    grid = Area.objects.filter(pk=payload.grid, kind=AreaKind.GRID).first()
    if grid is None or not access.can(request.user, Perm.VOLUNTEERS_MANAGE, grid.path):
        raise ValidationError({"grid": [_("No such record in your area.")]})
    report = reportin.reportin_approve(
        actor=request.user, report=report, grid=grid, skills=payload.skills
    )
    return _out(reportin.reportin_get_for(user=request.user, report_id=report.pk))


@router.post(
    "/reportins/{reportin_id}/refuse",
    response={200: ReportInOut, **WRITE_ERRORS},
    operation_id="reportin_refuse",
)
def reportin_refuse(request: SignedInRequest, reportin_id: int, payload: RefuseIn) -> Any:
    """Refuse, saying why (the applicant is told)."""
    report = reportin.reportin_get_for(user=request.user, report_id=reportin_id)
    reportin.reportin_refuse(actor=request.user, report=report, reason=payload.reason)
    return _out(reportin.reportin_get_for(user=request.user, report_id=reportin_id))


def _pairings_out(handler: Any) -> dict[str, Any]:
    return {
        "volunteer_id": handler.pk,
        "max": pairings.PAIRING_MAX,
        "households": [
            {"household_id": p.household_id, "address": p.household.address, "since": p.since}
            for p in pairings.pairings_of(handler)
        ],
    }


@router.get(
    "/volunteers/{volunteer_id}/pairings",
    response={200: PairingsOut, **ERRORS},
    operation_id="pairing_get",
)
def pairing_get(request: SignedInRequest, volunteer_id: int) -> Any:
    """The households a volunteer or party member serves (包干到户)."""
    handler = pairings.volunteer_get_for(user=request.user, volunteer_id=volunteer_id)
    return _pairings_out(handler)


@router.put(
    "/volunteers/{volunteer_id}/pairings",
    response={200: PairingsOut, **WRITE_ERRORS},
    operation_id="pairing_set",
)
def pairing_set(request: SignedInRequest, volunteer_id: int, payload: PairingsIn) -> Any:
    """Replace the households they serve within your area (at most 8 in all)."""
    handler = pairings.volunteer_get_for(user=request.user, volunteer_id=volunteer_id)
    wanted = set(payload.households)
    households = list(
        Household.objects.restrict(request.user, Perm.WORKORDER_DISPATCH).filter(pk__in=wanted)
    )
    if len(households) != len(wanted):
        raise ValidationError({"households": [_("No such record in your area.")]})
    try:
        pairings.pairing_set(actor=request.user, handler=handler, households=households)
    except NotFound:
        raise ValidationError({"households": [_("No such record in your area.")]}) from None
    return _pairings_out(handler)
