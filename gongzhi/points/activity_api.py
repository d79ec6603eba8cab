"""The points square's activities over REST.

    GET  /points/activities                         the caller's area's activities (activity.manage)
    POST /points/activities                         create one (a draft, or `publish`)
    GET  /points/activities/{activity_id}           one of them
    POST /points/activities/{activity_id}/transition  publish, close, cancel, rotate the QR
    GET  /points/open-activities                    published activities open to the caller
    POST /points/open-activities/{open_activity_id}/signups  sign up (or, with `person`, the parent acted for)
    POST /points/checkin                            check in with the QR's token (and position)
    POST /points/signups/{signup_id}/proofs         a proof (multipart: `file`, `text`)

Thin operations over `points.activity_selectors` and `points.activities`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gongzhi.accounts.models import User
from gongzhi.accounts.selectors import proxy_link_for
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import ID_MAX, WRITE_ERRORS, Id, In, Page
from gongzhi.points import activities as services
from gongzhi.points import activity_selectors as selectors
from gongzhi.points.models import TEXT_MAX, TITLE_MAX, ActivityKind, Proof, ProofKind
from gongzhi.registry.models import Area, Person

router = Router(tags=["points"])


class ActivityOut(Schema):
    id: int
    area_id: int
    kind: str
    title: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    latitude: float | None
    longitude: float | None
    radius_m: int
    capacity: int | None
    taken: int = Field(0, description="places taken")
    proof_kind: str
    points: int
    hours: Decimal
    status: str


class ActivityIn(In):
    area: Id = Field(description="a community or grid where the caller manages activities")
    kind: ActivityKind
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field("", max_length=TEXT_MAX)
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str = Field("", max_length=services.PLACE_MAX)
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int = 200
    capacity: int | None = None
    proof_kind: ProofKind
    points: int
    hours: Decimal
    reviewers: list[Id] = Field(default_factory=list, description="user ids")
    publish: bool = False


class ActivityTransitionIn(In):
    action: Literal["publish", "close", "cancel", "rotate"]


class SignupIn(In):
    person: Id | None = Field(None, description="the register person acted for (a parent)")


class SignupOut(Schema):
    id: int
    activity_id: int
    participant_id: int
    person_id: int | None
    status: str
    checked_in_at: dt.datetime | None


class CheckinIn(In):
    token: str = Field(max_length=64)
    latitude: float | None = None
    longitude: float | None = None
    person: Id | None = None


class CheckinOut(Schema):
    signup: SignupOut
    proof_id: int | None


class SubmittedProofOut(Schema):
    id: int
    signup_id: int
    kind: str
    status: str
    flags: list[dict[str, Any]]
    taken_at: dt.datetime | None


@router.get(
    "/points/activities",
    response={200: list[ActivityOut], **WRITE_ERRORS},
    operation_id="activity_list",
)
@paginate(Page)
def activity_list(request: SignedInRequest, status: str = "") -> Any:
    """The activities of the caller's area (activity.manage), newest first."""
    return selectors.activity_list_for(user=request.user, status=status or None)


@router.post(
    "/points/activities",
    response={201: ActivityOut, **WRITE_ERRORS},
    operation_id="activity_create",
)
def activity_create(request: SignedInRequest, payload: ActivityIn) -> Any:
    data = payload.dict()
    area = Area.objects.filter(pk=data.pop("area")).first()
    if area is None:
        raise ValidationError({"area": [_("No such record in your area.")]})
    reviewer_ids = data.pop("reviewers")
    reviewers = list(User.objects.filter(pk__in=reviewer_ids))
    if len(reviewers) != len(set(reviewer_ids)):
        raise ValidationError({"reviewers": [_("No such account.")]})
    activity = services.activity_create(actor=request.user, area=area, reviewers=reviewers, **data)
    return Status(201, selectors.activity_get_for(user=request.user, activity_id=activity.pk))


@router.get(
    "/points/activities/{activity_id}",
    response={200: ActivityOut, **WRITE_ERRORS},
    operation_id="activity_get",
)
def activity_get(request: SignedInRequest, activity_id: int) -> Any:
    return selectors.activity_get_for(user=request.user, activity_id=activity_id)


_ACTIONS = {
    "publish": services.activity_publish,
    "close": services.activity_close,
    "cancel": services.activity_cancel,
    "rotate": services.activity_rotate_checkin_token,
}


@router.post(
    "/points/activities/{activity_id}/transition",
    response={200: ActivityOut, **WRITE_ERRORS},
    operation_id="activity_transition",
)
def activity_transition(
    request: SignedInRequest, activity_id: int, payload: ActivityTransitionIn
) -> Any:
    """Publish a draft, close or cancel the activity, or replace its check-in token."""
    activity = selectors.activity_get_for(user=request.user, activity_id=activity_id)
    _ACTIONS[payload.action](actor=request.user, activity=activity)
    return selectors.activity_get_for(user=request.user, activity_id=activity_id)


def _person(request: SignedInRequest, person_id: int | None) -> Person | None:
    """The person the caller acts for (an active proxy link), or None: themselves."""
    if person_id is None:
        return None
    # A query number beyond the database's ids is no one the caller acts for (not a 500).
    if not 1 <= person_id <= ID_MAX or proxy_link_for(request.user, person_id) is None:
        raise ValidationError({"person": [_("You do not act for this person.")]})
    return Person.objects.get(pk=person_id)


@router.get(
    "/points/open-activities",
    response={200: list[ActivityOut], **WRITE_ERRORS},
    operation_id="activity_open_list",
)
@paginate(Page)
def activity_open_list(request: SignedInRequest, person: int | None = None) -> Any:
    """Published activities open to the caller (or to the person they act for)."""
    return selectors.activities_open_for(user=request.user, person=_person(request, person))


@router.post(
    "/points/open-activities/{open_activity_id}/signups",
    response={201: SignupOut, **WRITE_ERRORS},
    operation_id="activity_signup",
)
def activity_signup(request: SignedInRequest, open_activity_id: int, payload: SignupIn) -> Any:
    person = _person(request, payload.person)
    activity = selectors.activity_open_get(
        user=request.user, activity_id=open_activity_id, person=person
    )
    return Status(201, services.signup_create(actor=request.user, activity=activity, person=person))


@router.post(
    "/points/checkin",
    response={201: CheckinOut, **WRITE_ERRORS},
    operation_id="activity_checkin",
)
def activity_checkin(request: SignedInRequest, payload: CheckinIn) -> Any:
    """Check in with the token of the activity's QR; 404 for a forged or replaced token."""
    signup, proof = services.checkin(
        actor=request.user,
        token=payload.token,
        latitude=payload.latitude,
        longitude=payload.longitude,
        person=_person(request, payload.person),
    )
    return Status(201, {"signup": signup, "proof_id": proof.pk if proof else None})


@router.post(
    "/points/signups/{signup_id}/proofs",
    response={201: SubmittedProofOut, **WRITE_ERRORS},
    operation_id="proof_submit",
)
def proof_submit(
    request: SignedInRequest,
    signup_id: int,
    text: Form[str] = "",
    file: File[UploadedFile] = None,  # type: ignore[assignment]
) -> Any:
    """A proof of one's sign-up (or of the person acted for), multipart: a photo or video
    in `file`, or a written account in `text`, as the activity asks. A photo is checked by
    its content and its `flags` say why a reviewer should look twice."""
    signup = selectors.signup_get_for_participant(user=request.user, signup_id=signup_id)
    proof: Proof = services.proof_submit(actor=request.user, signup=signup, upload=file, text=text)
    return Status(201, proof)
