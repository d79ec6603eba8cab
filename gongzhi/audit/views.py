"""The auditor's page: the log within the auditor's area, and the chain's verification."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.audit import exports
from gongzhi.audit.selectors import audit_entries_for, audit_latest_verification
from gongzhi.audit.services import audit_verify
from gongzhi.core.errors import NotFound

if TYPE_CHECKING:
    from gongzhi.accounts.types import SignedInRequest, Viewer

PAGE_SIZE = 50
KNOWN_ACTIONS = [
    "auth.",
    "auth.login",
    "auth.login.otp",
    "auth.logout",
    "person.",
    "person.reveal",
    "person.create",
    "person.update",
    "person.move_out",
    "person.move_in",
    "person.tags",
    "household.",
    "area.",
    "membership.",
    "apikey.",
    "user.",
    "export",
]


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Starts with, e.g. person. or person.reveal"),
    )
    actor = forms.CharField(label=gettext_lazy("User"), required=False, max_length=150)
    object_type = forms.CharField(label=gettext_lazy("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False, max_length=64)


def _need_audit(user: Viewer) -> None:
    if not access.can(user, Perm.AUDIT_VIEW):
        raise NotFound()


@login_required
def log(request: SignedInRequest) -> HttpResponseBase:
    _need_audit(request.user)
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "action": data["action"].strip(),
            "actor_name": data["actor"].strip(),
            "object_type": data["object_type"].strip(),
            "object_id": data["object_id"].strip(),
        }
    entries = audit_entries_for(user=request.user, **filters)
    if request.GET.get("export"):
        return exports.export_response(request, exports.AUDIT_LOG, entries, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "verification": audit_latest_verification(),
        "known_actions": KNOWN_ACTIONS,
        "filtered": any(filters.values()),
    }
    return render(request, "audit/log.html", context)


@login_required
@require_POST
def verify(request: SignedInRequest) -> HttpResponse:
    _need_audit(request.user)
    result = audit_verify(actor=request.user)
    if result.ok:
        messages.success(
            request,
            _("The chain is intact: %(count)d entries verified.") % {"count": result.entries},
        )
    else:
        messages.error(
            request,
            _("The chain is broken at entry #%(seq)s.") % {"seq": result.first_broken_seq},
        )
    return redirect("audit:log")
