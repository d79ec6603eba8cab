"""Pages of transfer requests (迁入申请): the list (to decide / asked by us), asking from a
household, one request, and its decision. Thin: `registry.transfers` reads and writes.
Requesters see a request's number and status, never the person, until it is approved."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden, NotFound, field_errors
from gongzhi.registry import selectors, transfers
from gongzhi.registry.forms import apply_errors
from gongzhi.registry.transfer_forms import DeclineForm, TransferFilterForm, TransferForm

PAGE_SIZE = 50


@login_required
def transfer_list(request: SignedInRequest) -> HttpResponse:
    user = request.user
    if not access.can(user, Perm.REGISTER_EDIT):
        raise NotFound()
    filters = TransferFilterForm(request.GET or None)
    clean = filters.cleaned_data if filters.is_valid() else {}
    direction = clean.get("direction") or transfers.INCOMING
    status = clean.get("status", "")
    listing = (
        transfers.transfer_incoming_for
        if direction == transfers.INCOMING
        else transfers.transfer_outgoing_for
    )
    page = Paginator(listing(user=user, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    pending = {
        transfers.INCOMING: transfers.transfer_incoming_for(user=user, status="requested").count(),
        transfers.OUTGOING: transfers.transfer_outgoing_for(user=user, status="requested").count(),
    }
    return render(
        request,
        "registry/transfer_list.html",
        {
            "page_obj": page,
            "direction": direction,
            "incoming": direction == transfers.INCOMING,
            "filters": filters,
            "pending": pending,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_create(request: SignedInRequest, household_id: int) -> HttpResponse:
    """Ask for a person registered elsewhere to move into this household. Also the target
    of the "申请迁入" offer on the new-person form (a POST with the ID number typed there)."""
    user = request.user
    household = selectors.household_get_for(user=user, household_id=household_id)
    if not access.can(user, Perm.REGISTER_EDIT, household.area_path):
        raise Forbidden()
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = transfers.transfer_request_create(
                actor=user,
                household=household,
                id_number=data["id_number"],
                relation=data["relation"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Transfer request #%(id)d is sent; you are told when it is decided.")
                % {"id": transfer.pk},
            )
            return redirect("registry:transfer_detail", transfer_id=transfer.pk)
    return render(request, "registry/transfer_form.html", {"form": form, "household": household})


@login_required
def transfer_detail(request: SignedInRequest, transfer_id: int) -> HttpResponse:
    view = transfers.transfer_get_for(user=request.user, transfer_id=transfer_id)
    return render(
        request,
        "registry/transfer_detail.html",
        {"view": view, "transfer": view.transfer, "decline_form": DeclineForm()},
    )


def _decide(request: SignedInRequest, transfer_id: int, action: str) -> HttpResponse:
    view = transfers.transfer_get_for(user=request.user, transfer_id=transfer_id)
    try:
        if action == "cancel":
            transfers.transfer_request_cancel(actor=request.user, transfer=view.transfer)
            done = _("Transfer request #%(id)d is withdrawn.")
        else:
            form = DeclineForm(request.POST)
            reason = form.cleaned_data["decline_reason"] if form.is_valid() else ""
            transfers.transfer_request_decide(
                actor=request.user,
                transfer=view.transfer,
                approve=action == "approve",
                decline_reason=reason,
            )
            done = (
                _("Transfer request #%(id)d is approved: the person moved with their history.")
                if action == "approve"
                else _("Transfer request #%(id)d is declined.")
            )
    except ValidationError as exc:
        for problems in field_errors(exc).values():
            for message in problems:
                messages.error(request, message)
    else:
        messages.success(request, done % {"id": view.transfer.pk})
    return redirect("registry:transfer_detail", transfer_id=view.transfer.pk)


@login_required
@require_POST
def transfer_approve(request: SignedInRequest, transfer_id: int) -> HttpResponse:
    return _decide(request, transfer_id, "approve")


@login_required
@require_POST
def transfer_decline(request: SignedInRequest, transfer_id: int) -> HttpResponse:
    return _decide(request, transfer_id, "decline")


@login_required
@require_POST
def transfer_cancel(request: SignedInRequest, transfer_id: int) -> HttpResponse:
    return _decide(request, transfer_id, "cancel")


def transfer_offer(context: dict[str, Any], form: Any, household: Any) -> None:
    """The new-person form's answer to an ID number registered outside the user's area:
    offer a transfer request into this household (the form posts to transfer_create)."""
    context["transfer_form"] = TransferForm(
        initial={
            "id_number": form.data.get("id_number", ""),
            "relation": form.data.get("relation") or "other",
        }
    )
    context["transfer_household"] = household
