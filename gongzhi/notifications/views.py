"""The inbox in the workbench (every signed-in user) and the SMS outbox (system
administrators: `notifications.outbox`). Residents have the same inbox at /m/inbox/."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gongzhi.accounts.types import SignedInRequest
from gongzhi.notifications import exports, gateways, selectors, services
from gongzhi.notifications.models import SmsStatus

PAGE_SIZE = 30
OUTBOX_PAGE_SIZE = 50


def _safe(request: HttpRequest, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@never_cache
@login_required
def inbox(request: SignedInRequest) -> HttpResponseBase:
    unread_only = request.GET.get("unread") == "1"
    notes = selectors.inbox_for(user=request.user, unread_only=unread_only)
    if request.GET.get("export"):
        return _inbox_export(request, notes)
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


def _inbox_export(request: SignedInRequest, notes: Any) -> HttpResponseBase:
    """One's own messages as listed (every page), as XLSX or CSV (`?export=`)."""
    return exports.export_response(request, exports.INBOX, notes)


@login_required
@require_POST
def mark_read(request: SignedInRequest) -> HttpResponse:
    """Mark one (`id`, repeatable) or all (`all=1`) of one's notifications read."""
    if request.POST.get("all"):
        services.notifications_mark_read(user=request.user)
    else:
        ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
        if ids:
            services.notifications_mark_read(user=request.user, ids=ids)
    selectors.forget_unread(request.user)
    target = request.POST.get("next", "")
    return redirect(target if _safe(request, target) else resolve_url("notifications:inbox"))


@never_cache
@login_required
def open_notification(request: SignedInRequest) -> HttpResponse:
    """`?n=<id>`: mark one's notification read and go where it points (else the inbox)."""
    if not request.GET.get("n"):
        return redirect("notifications:inbox")
    note = selectors.notification_get_for(user=request.user, notification_id=request.GET["n"])
    services.notifications_mark_read(user=request.user, ids=[note.pk])
    return redirect(note.url if _safe(request, note.url) else resolve_url("notifications:inbox"))


@never_cache
@login_required
def outbox(request: SignedInRequest) -> HttpResponseBase:
    """Every SMS, newest first: masked numbers; full texts except sign-in codes sent
    through a real provider (shown only by the local development gateway)."""
    status = request.GET.get("status", "")
    if status not in SmsStatus.values:
        status = ""
    messages = selectors.outbox_for(user=request.user, status=status)
    if request.GET.get("export"):
        return _outbox_export(request, messages, status)
    page = Paginator(messages, OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(message, exports.shown_text(message)) for message in page],
        "status": status,
        "statuses": SmsStatus.choices,
        "gateway": gateways.gateway_name(),
        "is_local": gateways.is_local(),
    }
    return render(request, "notifications/outbox.html", context)


def _outbox_export(request: SignedInRequest, messages: Any, status: str) -> HttpResponseBase:
    """The outbox as shown (numbers masked, codes of a real provider blanked), every page;
    the download is audited."""
    return exports.export_response(request, exports.OUTBOX, messages, filters={"status": status})
