"""Workbench pages of the points review and the ledger's corrections: the proof queue, one
proof with its decision, adjustments (propose, approve or refuse), holders with their
points and service hours, and one holder's ledger (with reversal). Thin: parse, call a
service or selector, render."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.models import User
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError
from gongzhi.core.validation import errors_to_form
from gongzhi.points import adjustments, ledger, ledger_selectors, review
from gongzhi.points.models import REASON_MAX, AdjustmentStatus, HolderKind, LedgerEntry
from gongzhi.workorders.uploads import photo_response

PAGE_SIZE = 50


class ReviewForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[(name, move.label) for name, move in review.REVIEW_MOVES.items()],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Reason or note (required to reject or ask for more)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    acknowledge_flags = forms.BooleanField(
        label=gettext_lazy("I have looked at the flags and approve all the same"), required=False
    )


class ProposeForm(forms.Form):
    holder = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    points = forms.IntegerField(label=gettext_lazy("Points (+ or −)"), initial=0)
    hours = forms.DecimalField(
        label=gettext_lazy("Service hours (+ or −)"), initial=0, max_digits=6, decimal_places=1
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReverseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=REASON_MAX)


# --- review -----------------------------------------------------------------------------------


@requires(Perm.PROOF_REVIEW)
@require_GET
def queue(request: SignedInRequest) -> HttpResponse:
    rows = review.proof_queue_for(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for proof in page.object_list:
        proof.shown_flags = review.flags_of(proof)
    adjusts = access.can(request.user, Perm.POINTS_ADJUST)
    return render(
        request,
        "points/review/queue.html",
        {"page_obj": page, "adjusts": adjusts},
    )


def _proof_context(request: SignedInRequest, proof: Any, form: ReviewForm) -> dict[str, Any]:
    return {
        "proof": proof,
        "flags": review.flags_of(proof),
        "earlier": review.earlier_proof_of(user=request.user, proof=proof),
        "refusal": review.review_refusal(request.user, proof),
        "form": form,
    }


@requires(Perm.PROOF_REVIEW)
@require_http_methods(["GET", "POST"])
def proof_detail(request: SignedInRequest, proof_id: int) -> HttpResponseBase:
    proof = review.proof_get_for_review(user=request.user, proof_id=proof_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review.proof_review(
                actor=request.user,
                proof=proof,
                action=data["action"],
                note=data["note"],
                acknowledge_flags=data["acknowledge_flags"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        except DomainError as exc:
            if exc.status == 404:
                raise
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("points_review:queue")
    return render(request, "points/review/proof.html", _proof_context(request, proof, form))


@requires(Perm.PROOF_REVIEW)
@require_GET
def proof_file(request: SignedInRequest, proof_id: int) -> HttpResponseBase:
    """A proof's photo or video, for reviewers of its area; never from a public URL."""
    proof = review.proof_get_for_review(user=request.user, proof_id=proof_id)
    if not proof.file:
        raise Http404()
    root = Path(settings.DATA_DIR).resolve()
    target = (root / proof.file).resolve()
    if root not in target.parents or not target.is_file():
        raise Http404()
    return photo_response(target.open("rb"), proof.content_type or "application/octet-stream")


# --- adjustments ------------------------------------------------------------------------------


@requires(Perm.POINTS_ADJUST)
@require_http_methods(["GET", "POST"])
def adjustment_list(request: SignedInRequest) -> HttpResponseBase:
    """Adjustments of the area (waiting ones first); a POST proposes one."""
    form = ProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            holder = ledger_selectors.holder_get_for(
                user=request.user, holder_id=data["holder"], perm=Perm.POINTS_ADJUST
            )
            adjustments.adjustment_propose(
                actor=request.user,
                holder=holder,
                points=data["points"],
                hours=data["hours"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        except DomainError as exc:
            form.add_error(
                None, _("No such person in your area.") if exc.status == 404 else exc.message
            )
        else:
            messages.success(request, _("Adjustment proposed: another person approves it."))
            return redirect("points_review:adjustments")
    rows = adjustments.adjustments_for(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/review/adjustments.html",
        {"page_obj": page, "form": form, "proposed": AdjustmentStatus.PROPOSED},
    )


@requires(Perm.POINTS_ADJUST)
@require_POST
def adjustment_decide(request: SignedInRequest, adjustment_id: int) -> HttpResponseBase:
    found = adjustments.adjustment_get_for(user=request.user, adjustment_id=adjustment_id)
    approve = request.POST.get("decision") == "approve"
    try:
        adjustments.adjustment_decide(actor=request.user, adjustment=found, approve=approve)
    except ValidationError as exc:
        for problems in exc.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Adjustment approved.") if approve else _("Adjustment refused.")
        )
    return redirect("points_review:adjustments")


# --- holders and their ledgers ----------------------------------------------------------------


@requires(Perm.POINTS_VIEW)
@require_GET
def holder_list(request: SignedInRequest) -> HttpResponse:
    """Points and service hours per holder counted in the area, most hours first."""
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"))
    rows = ledger_selectors.holders_for(
        user=request.user,
        start=ledger_selectors.day_start(start) if start else None,
        end=ledger_selectors.day_start(end, next_day=True) if end else None,
        search=(request.GET.get("q") or "").strip()[:40],
        holder_kind=request.GET.get("kind") or "",
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/ledger/holders.html",
        {
            "page_obj": page,
            "start": start,
            "end": end,
            "q": request.GET.get("q", ""),
            "kind": request.GET.get("kind", ""),
            "kinds": HolderKind.choices,
        },
    )


def _day(text: str | None) -> dt.date | None:
    """A day from the filter (YYYY-MM-DD); anything else is no filter."""
    try:
        return parse_date((text or "")[:10])
    except ValueError:
        return None


@requires(Perm.POINTS_VIEW)
@require_GET
def holder_detail(request: SignedInRequest, holder_id: int) -> HttpResponse:
    holder = ledger_selectors.holder_get_for(user=request.user, holder_id=holder_id)
    return render(request, "points/ledger/holder.html", _holder_context(request, holder))


def _holder_context(request: SignedInRequest, holder: User, **extra: Any) -> dict[str, Any]:
    entries = ledger_selectors.entries_of(holder)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    home = ledger.home_path_of(holder)
    adjusts = bool(home) and access.can(request.user, Perm.POINTS_ADJUST, home)
    context = {
        "holder": holder,
        "balance": ledger_selectors.balance_of(holder),
        "hours": ledger_selectors.hours_of(holder),
        "page_obj": page,
        "lines": ledger_selectors.lines_of(list(page.object_list)),
        "adjusts": adjusts and holder.pk != request.user.pk,
        "propose_form": ProposeForm(initial={"holder": holder.pk}),
        "reverse_form": ReverseForm(),
    }
    context.update(extra)
    return context


@requires(Perm.POINTS_ADJUST)
@require_POST
def entry_reverse(request: SignedInRequest, ledger_entry_id: int) -> HttpResponseBase:
    """Reverse an award (from its holder's ledger page), with a reason."""
    found = LedgerEntry.objects.filter(pk=ledger_entry_id).first()
    if found is None:
        raise Http404()
    holder = ledger_selectors.holder_get_for(
        user=request.user, holder_id=found.holder_id, perm=Perm.POINTS_ADJUST
    )
    form = ReverseForm(request.POST)
    try:
        adjustments.award_reverse(
            actor=request.user, entry=found, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        errors_to_form(form, exc)
    except DomainError as exc:
        if exc.status == 404:
            raise
        form.add_error(None, str(exc.message))
    else:
        messages.success(request, _("Award reversed."))
        return redirect("points_review:holder", holder_id=holder.pk)
    context = _holder_context(request, holder, reverse_form=form, reversing=found.pk)
    return render(request, "points/ledger/holder.html", context)
