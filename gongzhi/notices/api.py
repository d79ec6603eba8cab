"""Notices over REST.

Staff (notice.publish):
    GET  /notices                         notices reaching the caller's area (archive included)
    POST /notices                         publish one (JSON; attachments through the workbench)
    GET  /notices/{id}                    one notice
    POST /notices/{id}/withdraw           take it off residents' lists
    GET  /notices/{id}/receipts           counts, and who in the caller's area has not read
                                          it (names masked), by building
Residents (signed in; acting for a parent: the parent's):
    GET  /me/notices                      live notices for one's household, unread marked
    POST /me/notices/{id}/read            record the receipt (what opening it on /m/ does)
"""

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gongzhi.accounts import acting
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.api_schemas import WRITE_ERRORS, Id, In, Page
from gongzhi.core.errors import NotFound
from gongzhi.notices import selectors, services
from gongzhi.notices.models import (
    BODY_MAX,
    SMS_DELAY_DEFAULT,
    TITLE_MAX,
    Notice,
    NoticeKind,
)
from gongzhi.registry.models import Person

router = Router(tags=["notices"])


class TargetOut(Schema):
    id: int
    name: str
    kind: str


class NoticeOut(Schema):
    id: int
    title: str
    body: str = Field(description="plain text; show it escaped, line breaks kept")
    kind: str
    pinned: bool
    published_at: dt.datetime
    expires_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    sms_delay_minutes: int
    targets: list[TargetOut]

    @staticmethod
    def resolve_targets(obj: Notice) -> list[dict[str, Any]]:
        return [
            {"id": t.area_id, "name": t.area.name, "kind": t.area.kind} for t in obj.targets.all()
        ]


class MyNoticeOut(Schema):
    id: int
    title: str
    body: str
    kind: str
    pinned: bool
    published_at: dt.datetime
    is_read: bool


class NoticeIn(In):
    title: str = Field(max_length=TITLE_MAX * 2)
    body: str = Field(max_length=BODY_MAX * 2)
    kind: NoticeKind = NoticeKind.NEWS
    targets: list[Id] = Field(default_factory=list, max_length=200, description="area ids")
    pinned: bool = False
    published_at: dt.datetime | None = Field(None, description="null: now")
    expires_at: dt.datetime | None = None
    sms_delay_minutes: int = SMS_DELAY_DEFAULT


class UnreadOut(Schema):
    building: str
    dwelling: str
    name: str = Field(description="masked")
    elder: bool = Field(description="aged 65 or more")
    reminded: bool = Field(description="an urgent notice's SMS was sent")


class ReceiptsOut(Schema):
    audience: int
    read: int
    unread: int
    by_proxy: int
    not_read: list[UnreadOut]


class ReadOut(Schema):
    notice_id: int
    read_at: dt.datetime
    by_proxy: bool


@router.get(
    "/notices",
    response={200: list[NoticeOut], **WRITE_ERRORS},
    operation_id="notice_list",
    url_name="notice_list",
)
@paginate(Page)
def notice_list(request: SignedInRequest) -> Any:
    """Notices that reach the caller's area (notice.publish), pinned first, then newest;
    expired and withdrawn ones included (the archive)."""
    return selectors.notice_list_for(user=request.user)


@router.post("/notices", response={201: NoticeOut, **WRITE_ERRORS}, operation_id="notice_create")
def notice_create(request: SignedInRequest, payload: NoticeIn) -> Any:
    """Publish a notice for areas (communities, grids, buildings) where the caller may
    publish; each problem comes back under its field."""
    notice = services.notice_publish(actor=request.user, **payload.dict())
    return Status(201, notice)


@router.get(
    "/notices/{notice_id}", response={200: NoticeOut, **WRITE_ERRORS}, operation_id="notice_get"
)
def notice_get(request: SignedInRequest, notice_id: Id) -> Any:
    return selectors.notice_get_for(user=request.user, notice_id=notice_id)


@router.post(
    "/notices/{notice_id}/withdraw",
    response={200: NoticeOut, **WRITE_ERRORS},
    operation_id="notice_withdraw",
)
def notice_withdraw(request: SignedInRequest, notice_id: Id) -> Any:
    """Withdraw a notice: 403 for staff who see it but may not publish on all its targets."""
    notice = selectors.notice_get_for(user=request.user, notice_id=notice_id)
    return services.notice_withdraw(actor=request.user, notice=notice)


@router.get(
    "/notices/{notice_id}/receipts",
    response={200: ReceiptsOut, **WRITE_ERRORS},
    operation_id="notice_receipts",
)
def notice_receipts(request: SignedInRequest, notice_id: Id) -> Any:
    """Counts among the persons of the caller's area, and who of them has not read it."""
    notice = selectors.notice_get_for(user=request.user, notice_id=notice_id)
    counts = selectors.receipt_counts_for(user=request.user, notice=notice)
    return {
        "audience": counts.audience,
        "read": counts.read,
        "unread": counts.unread,
        "by_proxy": counts.by_proxy,
        "not_read": selectors.unread_for(user=request.user, notice=notice),
    }


def _person(request: SignedInRequest) -> Person | None:
    person_id = acting.acting_person_id(request)
    return Person.objects.filter(pk=person_id).first() if person_id is not None else None


@router.get(
    "/me/notices",
    response={200: list[MyNoticeOut], **WRITE_ERRORS},
    operation_id="my_notice_list",
    url_name="my_notice_list",
)
@paginate(Page)
def my_notice_list(request: SignedInRequest) -> Any:
    """The live notices for the caller's household (or the parent's they act for)."""
    return selectors.resident_notices_for(person=_person(request))


@router.post(
    "/me/notices/{notice_id}/read",
    response={200: ReadOut, **WRITE_ERRORS},
    operation_id="my_notice_read",
)
def my_notice_read(request: SignedInRequest, notice_id: Id) -> Any:
    """Record that the caller (or the parent they act for) has read a notice of theirs."""
    person = _person(request)
    if person is None:
        raise NotFound()
    notice = selectors.resident_notice_get(person=person, notice_id=notice_id)
    receipt, _created = services.notice_mark_read(
        notice=notice,
        person=person,
        user=request.user,
        by_proxy=acting.acting_for(request) is not None,
    )
    return {"notice_id": notice.pk, "read_at": receipt.read_at, "by_proxy": receipt.by_proxy}
