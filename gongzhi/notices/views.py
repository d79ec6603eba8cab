"""Notices on the workbench: the list in the user's area, publish and edit with a target
picker, pin and withdraw, and a notice's page with its receipts and who has not read it.
Thin: parse, call a service or a selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core import clock
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.validation import errors_to_form
from gongzhi.notices import exports, policy, selectors, services, uploads
from gongzhi.notices.forms import NoticeForm
from gongzhi.notices.models import Notice

PAGE_SIZE = 30


def _target_choices(user: Any) -> list[tuple[int, str]]:
    """The picker's lines, in tree order and indented by depth; a building named with its
    compound (玉岭花园 1栋), as the register's addresses name it."""
    areas = selectors.target_choices_for(user=user)
    top = min((a.depth for a in areas), default=0)
    out = []
    for area in areas:
        name = area.name
        if area.compound is not None and not name.startswith(area.compound.name):
            name = f"{area.compound.name} {name}"
        indent = "\u3000" * (area.depth - top)
        out.append((area.pk, f"{indent}{name}（{area.get_kind_display()}）"))
    return out


@requires(Perm.NOTICE_PUBLISH)
def notice_list(request: SignedInRequest) -> HttpResponse:
    notices = selectors.notice_list_for(user=request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    for notice in page.object_list:
        notice.state = selectors.notice_state(notice, now)
    return render(request, "notices/list.html", {"page_obj": page})


def _form_data(form: NoticeForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "body": data["body"],
        "kind": data["kind"],
        "targets": data["targets"],
        "pinned": data["pinned"],
        "published_at": data["published_at"],
        "expires_at": data["expires_at"],
        "sms_delay_minutes": data["sms_delay_minutes"],
        "attachments": data["attachments"],
    }


@uploads.notice_upload_limit
@requires(Perm.NOTICE_PUBLISH)
@require_http_methods(["GET", "POST"])
def notice_create(request: SignedInRequest) -> HttpResponseBase:
    posted = request.method == "POST"
    form = NoticeForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        targets=_target_choices(request.user),
    )
    if posted and form.is_valid():
        try:
            notice = services.notice_publish(actor=request.user, **_form_data(form))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Notice published."))
            return redirect("notices:detail", notice_id=notice.pk)
    return render(request, "notices/form.html", {"form": form, "notice": None})


def _managed(request: SignedInRequest, notice_id: int) -> Notice:
    notice = selectors.notice_get_for(user=request.user, notice_id=notice_id)
    if not policy.may_manage(request.user, notice):
        raise Forbidden()
    return notice


@uploads.notice_upload_limit
@requires(Perm.NOTICE_PUBLISH)
@require_http_methods(["GET", "POST"])
def notice_edit(request: SignedInRequest, notice_id: int) -> HttpResponseBase:
    notice = _managed(request, notice_id)
    posted = request.method == "POST"
    initial = {
        "title": notice.title,
        "body": notice.body,
        "kind": notice.kind,
        "targets": [str(t.area_id) for t in notice.targets.all()],
        "pinned": notice.pinned,
        "published_at": notice.published_at,
        "expires_at": notice.expires_at,
        "sms_delay_minutes": notice.sms_delay_minutes,
    }
    form = NoticeForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial=initial,
        targets=_target_choices(request.user),
        attachments=[(a.pk, a.name) for a in notice.attachments.all()],
    )
    if posted and form.is_valid():
        try:
            services.notice_update(
                actor=request.user,
                notice=notice,
                **_form_data(form),
                remove_attachments=[
                    int(i) for i in form.cleaned_data.get("remove_attachments", [])
                ],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Notice saved."))
            return redirect("notices:detail", notice_id=notice.pk)
    return render(request, "notices/form.html", {"form": form, "notice": notice})


@requires(Perm.NOTICE_PUBLISH)
def notice_detail(request: SignedInRequest, notice_id: int) -> HttpResponseBase:
    """A notice with its receipts; `?export=xlsx|csv` downloads who has not read it."""
    notice = selectors.notice_get_for(user=request.user, notice_id=notice_id)
    unread = selectors.unread_for(user=request.user, notice=notice)
    if request.GET.get("export"):
        return exports.export_response(request, exports.UNREAD, unread, object_id=notice.pk)
    context = {
        "notice": notice,
        "state": selectors.notice_state(notice),
        "counts": selectors.receipt_counts_for(user=request.user, notice=notice),
        "unread": unread,
        "may_manage": policy.may_manage(request.user, notice),
        "attachments": list(notice.attachments.all()),
    }
    return render(request, "notices/detail.html", context)


@requires(Perm.NOTICE_PUBLISH)
@require_POST
def notice_pin(request: SignedInRequest, notice_id: int) -> HttpResponseBase:
    notice = _managed(request, notice_id)
    services.notice_set_pinned(
        actor=request.user, notice=notice, pinned=request.POST.get("pinned") == "1"
    )
    return redirect("notices:detail", notice_id=notice.pk)


@requires(Perm.NOTICE_PUBLISH)
@require_POST
def notice_withdraw(request: SignedInRequest, notice_id: int) -> HttpResponseBase:
    notice = _managed(request, notice_id)
    services.notice_withdraw(actor=request.user, notice=notice)
    messages.success(request, _("Notice withdrawn: residents no longer see it."))
    return redirect("notices:detail", notice_id=notice.pk)


@requires(Perm.NOTICE_PUBLISH)
def attachment(request: SignedInRequest, notice_id: int, attachment_id: int) -> HttpResponseBase:
    notice = selectors.notice_get_for(user=request.user, notice_id=notice_id)
    found = get_by_id(notice.attachments.all(), attachment_id)
    try:
        return uploads.file_response(found)
    except FileNotFoundError:
        raise NotFound() from None
