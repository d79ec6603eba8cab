"""Transfer requests (迁入申请) over REST, under the register's router at `/transfers`.

`person` is present only for the area that holds the person (and, once approved, for the
requesters who may now see them): a requester learns nothing about the person before.
"""

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ERRORS, WRITE_ERRORS, Clean, Id, In, Mapped, Page
from gongzhi.core.errors import NotFound
from gongzhi.registry import selectors, transfers
from gongzhi.registry.models import Relation, TransferStatus

if TYPE_CHECKING:
    pass

router = Router(tags=["transfers"])

ID_NUMBER_MAX = 32


class TransferPersonOut(Schema):
    id: int
    name: str
    id_number: str = Field(description="masked")


class TransferOut(Schema):
    id: int
    direction: Literal["incoming", "outgoing"] = Field(
        description="incoming: yours to decide; outgoing: asked by your area"
    )
    status: TransferStatus
    household_id: int = Field(description="the household the person is to move into")
    household_address: str
    relation: Relation
    reason: str
    decline_reason: str
    person: TransferPersonOut | None = Field(
        description="only for the holding area, or for the requesters once approved"
    )
    created_at: dt.datetime
    decided_at: dt.datetime | None
    can_decide: bool
    can_cancel: bool


class TransferFiltersIn(Clean):
    direction: Literal["incoming", "outgoing"] = "incoming"
    status: TransferStatus | None = None


class TransferCreateIn(In):
    household: Id = Field(description="id of a household in your area")
    id_number: str = Field(max_length=ID_NUMBER_MAX, description="of the person to transfer")
    relation: Relation = Relation.OTHER
    reason: str = Field(max_length=transfers.REASON_MAX, description="why the person moves here")


class TransferDeclineIn(In):
    reason: str = Field(max_length=transfers.REASON_MAX, description="the requesters see it")


def _out(view: transfers.TransferView) -> dict[str, Any]:
    transfer = view.transfer
    person = view.person
    return {
        "id": transfer.pk,
        "direction": view.direction,
        "status": transfer.status,
        "household_id": transfer.to_household_id,
        "household_address": transfer.to_household.address,
        "relation": transfer.relation,
        "reason": transfer.reason,
        "decline_reason": transfer.decline_reason,
        "person": (
            {"id": person.pk, "name": person.name, "id_number": str(person.id_number)}
            if person is not None
            else None
        ),
        "created_at": transfer.created_at,
        "decided_at": transfer.decided_at,
        "can_decide": view.can_decide,
        "can_cancel": view.can_cancel,
    }


@router.get(
    "",
    response={200: list[TransferOut], **ERRORS},
    operation_id="transfer_list",
    url_name="transfer_list",
)
@paginate(Page)
def transfer_list(request: SignedInRequest, filters: Query[TransferFiltersIn]) -> Any:
    """Transfer requests for your area to decide (`incoming`) or asked by it (`outgoing`)."""
    listing = (
        transfers.transfer_incoming_for
        if filters.direction == transfers.INCOMING
        else transfers.transfer_outgoing_for
    )
    queryset = listing(user=request.user, status=filters.status or "")
    user = request.user
    return Mapped(
        queryset.select_related("person__household", "to_household"),
        lambda t: _out(transfers.transfer_view(user=user, transfer=t)),
    )


@router.post(
    "",
    response={201: TransferOut, **WRITE_ERRORS},
    operation_id="transfer_create",
)
def transfer_create(request: SignedInRequest, payload: TransferCreateIn) -> Any:
    """Ask the area holding the person with this ID number to transfer them into one of
    your households (the answer to a 409 `duplicate` without `existing`)."""
    try:
        household = selectors.household_get_for(user=request.user, household_id=payload.household)
    except NotFound:
        raise ValidationError({"household": [_("No such record in your area.")]}) from None
    transfer = transfers.transfer_request_create(
        actor=request.user,
        household=household,
        id_number=payload.id_number,
        relation=payload.relation,
        reason=payload.reason,
    )
    return Status(201, _out(transfers.transfer_get_for(user=request.user, transfer_id=transfer.pk)))


@router.get(
    "/{transfer_id}",
    response={200: TransferOut, **ERRORS},
    operation_id="transfer_get",
    url_name="transfer_get",
)
def transfer_get(request: SignedInRequest, transfer_id: int) -> Any:
    return _out(transfers.transfer_get_for(user=request.user, transfer_id=transfer_id))


@router.post(
    "/{transfer_id}/approve",
    response={200: TransferOut, **WRITE_ERRORS},
    operation_id="transfer_approve",
)
def transfer_approve(request: SignedInRequest, transfer_id: int) -> Any:
    """For the holding area: the person moves into the household asked for, with history."""
    view = transfers.transfer_get_for(user=request.user, transfer_id=transfer_id)
    transfers.transfer_request_decide(actor=request.user, transfer=view.transfer, approve=True)
    return _out(transfers.transfer_get_for(user=request.user, transfer_id=transfer_id))


@router.post(
    "/{transfer_id}/decline",
    response={200: TransferOut, **WRITE_ERRORS},
    operation_id="transfer_decline",
)
def transfer_decline(request: SignedInRequest, transfer_id: int, payload: TransferDeclineIn) -> Any:
    """For the holding area: refuse, saying why."""
    view = transfers.transfer_get_for(user=request.user, transfer_id=transfer_id)
    transfers.transfer_request_decide(
        actor=request.user, transfer=view.transfer, approve=False, decline_reason=payload.reason
    )
    return _out(transfers.transfer_get_for(user=request.user, transfer_id=transfer_id))


@router.post(
    "/{transfer_id}/cancel",
    response={200: TransferOut, **WRITE_ERRORS},
    operation_id="transfer_cancel",
)
def transfer_cancel(request: SignedInRequest, transfer_id: int) -> Any:
    """For the requesting area: withdraw the request."""
    view = transfers.transfer_get_for(user=request.user, transfer_id=transfer_id)
    transfers.transfer_request_cancel(actor=request.user, transfer=view.transfer)
    return _out(transfers.transfer_get_for(user=request.user, transfer_id=transfer_id))
