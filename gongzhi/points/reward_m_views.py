"""Residents' reward pages at /m/points/rewards/, inside the portal's frame (phone first,
elder mode, the "acting for" banner): the catalogue with the balance, redeeming with a
confirmation step, and one's vouchers with their QR code.

Acting for a parent (`accounts.acting`), the points are the parent's: their own account
(made when the proxy first signed them up for an activity) pays, and the vouchers listed
are theirs."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.models import User
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError, field_errors
from gongzhi.core.qr import qr_svg
from gongzhi.points import ledger, rewards
from gongzhi.points import reward_selectors as selectors
from gongzhi.points.models import RedemptionStatus

resident_login_required = partial(login_required, login_url="portal:login")
LIST_LIMIT = 50


def _holder(request: SignedInRequest) -> tuple[User | None, bool]:
    """Whose points these pages show and spend: (holder, acting for someone). A parent
    without an account has no points: (None, True)."""
    link = acting.acting_for(request)
    if link is None:
        return request.user, False
    return selectors.holder_of_person(link.person_id), True


def _context(request: SignedInRequest, holder: User | None, acting_for: bool) -> dict[str, Any]:
    return {
        "holder": holder,
        "acting_for": acting_for,
        "balance": ledger.balance_of(holder) if holder is not None else 0,
    }


@resident_login_required
@require_GET
def catalogue(request: SignedInRequest) -> HttpResponse:
    holder, acting_for = _holder(request)
    context = _context(request, holder, acting_for)
    items = list(selectors.catalogue_for(holder=holder)[:LIST_LIMIT]) if holder else []
    context["rewards"] = [
        {"reward": r, "affordable": r.price <= context["balance"], "in_stock": r.stock > 0}
        for r in items
    ]
    return render(request, "points/rewards/m_catalogue.html", context)


@resident_login_required
@require_http_methods(["GET", "POST"])
def redeem(request: SignedInRequest, reward_id: int) -> HttpResponseBase:
    """GET: what it costs and what is left after; POST: redeem (the confirmation)."""
    holder, acting_for = _holder(request)
    if holder is None:
        messages.error(request, _("They have no points account yet."))
        return redirect("rewards_m:catalogue")
    reward = selectors.reward_to_redeem(holder=holder, reward_id=reward_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            redemption = rewards.redeem(
                actor=request.user, reward=reward, holder=None if not acting_for else holder
            )
        except ValidationError as exc:
            errors = [m for ms in field_errors(exc).values() for m in ms]
        except DomainError as exc:
            errors = [str(exc.message)]
        else:
            messages.success(request, _("Redeemed. Show this voucher at the exchange point."))
            return redirect("rewards_m:voucher", voucher_id=redemption.pk)
        reward.refresh_from_db()
    context = _context(request, holder, acting_for)
    context.update(
        reward=reward,
        errors=errors,
        after=context["balance"] - reward.price,
        possible=reward.price <= context["balance"] and reward.stock > 0,
    )
    return render(request, "points/rewards/m_redeem.html", context)


@resident_login_required
@require_GET
def vouchers(request: SignedInRequest) -> HttpResponse:
    holder, acting_for = _holder(request)
    context = _context(request, holder, acting_for)
    rows = list(selectors.vouchers_of(holder=holder)[:LIST_LIMIT]) if holder else []
    context["vouchers"] = [{"v": v, "code": rewards.voucher_display(v.voucher)} for v in rows]
    return render(request, "points/rewards/m_vouchers.html", context)


def _qr_svg(code: str) -> str:
    return qr_svg(code, scale=8, border=2)


@resident_login_required
@require_GET
def voucher(request: SignedInRequest, voucher_id: int) -> HttpResponse:
    found = selectors.voucher_get_own(user=request.user, redemption_id=voucher_id)
    context = {
        "v": found,
        "code": rewards.voucher_display(found.voucher),
        "qr": _qr_svg(found.voucher) if found.status == RedemptionStatus.ISSUED else "",
        "may_cancel": found.status == RedemptionStatus.ISSUED,
    }
    return render(request, "points/rewards/m_voucher.html", context)


@resident_login_required
@require_POST
def voucher_cancel(request: SignedInRequest, voucher_id: int) -> HttpResponseBase:
    found = selectors.voucher_get_own(user=request.user, redemption_id=voucher_id)
    try:
        rewards.redemption_cancel(actor=request.user, redemption=found)
    except ValidationError as exc:
        for message in (m for ms in field_errors(exc).values() for m in ms):
            messages.error(request, message)
    else:
        messages.success(request, _("Voucher cancelled: the points are back."))
    return redirect("rewards_m:voucher", voucher_id=found.pk)
