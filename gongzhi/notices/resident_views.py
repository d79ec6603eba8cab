"""Residents' notices at /m/notices/, inside the portal's frame (phone first, elder mode,
the "acting for" banner). A proxy acting for a parent sees — and reads — the parent's
notices; the receipt records who opened it and that it was by proxy."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gongzhi.accounts import acting
from gongzhi.accounts.services import user_set_elder_mode
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.notices import selectors, services, uploads
from gongzhi.registry.models import Person

resident_login_required = partial(login_required, login_url="portal:login")
LIST_LIMIT = 50


def _keep_elder_choice(request: SignedInRequest) -> None:
    wanted = request.GET.get("elder")
    if wanted in ("1", "0") and request.user.is_authenticated:
        user_set_elder_mode(user=request.user, on=wanted == "1")


def _person(request: SignedInRequest) -> Person | None:
    person_id = acting.acting_person_id(request)
    if person_id is None:
        return None
    return Person.objects.filter(pk=person_id).first()


@resident_login_required
@require_GET
def notice_list(request: SignedInRequest) -> HttpResponse:
    _keep_elder_choice(request)
    person = _person(request)
    notices = list(selectors.resident_notices_for(person=person)[:LIST_LIMIT])
    return render(
        request, "notices/resident/list.html", {"notices": notices, "linked": person is not None}
    )


@resident_login_required
@require_GET
def notice_detail(request: SignedInRequest, notice_id: int) -> HttpResponse:
    """Opening a notice is reading it: one receipt for the person (the first opening)."""
    _keep_elder_choice(request)
    person = _person(request)
    if person is None:
        raise NotFound()
    notice = selectors.resident_notice_get(person=person, notice_id=notice_id)
    services.notice_mark_read(
        notice=notice,
        person=person,
        user=request.user,
        by_proxy=acting.acting_for(request) is not None,
    )
    return render(
        request,
        "notices/resident/detail.html",
        {"notice": notice, "attachments": list(notice.attachments.all())},
    )


@resident_login_required
@require_GET
def attachment(request: SignedInRequest, notice_id: int, attachment_id: int) -> HttpResponseBase:
    notice = selectors.resident_notice_get(person=_person(request), notice_id=notice_id)
    found = get_by_id(notice.attachments.all(), attachment_id)
    try:
        return uploads.file_response(found)
    except FileNotFoundError:
        raise NotFound() from None
