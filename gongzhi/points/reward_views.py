"""Workbench pages of rewards (能量仓): the community's catalogue (rewards.manage), the
exchange point where a voucher is scanned or typed and the reward handed over, and the
hand-out history (rewards.hand_out). Thin: parse, call one service or selector, render.

A handheld QR scanner types the code it reads into the focused field and presses Enter,
so "scan" and "type" are the same form; the QR carries the code alone."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError, field_errors
from gongzhi.points import reward_selectors as selectors
from gongzhi.points import rewards
from gongzhi.points.models import RedemptionStatus

PAGE_SIZE = 50


def _may_manage(request: SignedInRequest) -> bool:
    return access.can(request.user, Perm.REWARDS_MANAGE)


def _values(request: SignedInRequest, *names: str) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


@requires(Perm.REWARDS_MANAGE)
def catalogue(request: SignedInRequest) -> HttpResponse:
    rows = selectors.reward_list_for(user=request.user).order_by("area_path", "-active", "price")
    return render(request, "points/rewards/catalogue.html", {"rewards": rows})


@requires(Perm.REWARDS_MANAGE)
@require_http_methods(["GET", "POST"])
def reward_new(request: SignedInRequest) -> HttpResponseBase:
    communities = selectors.manageable_communities_for(user=request.user)
    values = _values(request, "community", "name", "description", "price", "stock")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        community = selectors.manageable_community_get(
            user=request.user, area_id=values["community"]
        )
        if community is None:
            errors["community"] = [_("No such record in your area.")]
        else:
            try:
                reward = rewards.reward_create(
                    actor=request.user,
                    community=community,
                    name=values["name"],
                    description=values["description"],
                    price=values["price"],  # type: ignore[arg-type]  # checked by the service
                    stock=values["stock"] or 0,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("Reward added to the catalogue."))
                return redirect("rewards:edit", reward_id=reward.pk)
    if not values["community"] and communities:
        values["community"] = str(communities[0].pk)
    context = {"communities": communities, "values": values, "errors": errors}
    return render(request, "points/rewards/new.html", context)


@requires(Perm.REWARDS_MANAGE)
@require_http_methods(["GET", "POST"])
def reward_edit(request: SignedInRequest, reward_id: int) -> HttpResponseBase:
    reward = selectors.reward_get_for(user=request.user, reward_id=reward_id)
    errors: dict[str, list[str]] = {}
    values = {"name": reward.name, "description": reward.description, "price": str(reward.price)}
    if request.method == "POST":
        values = _values(request, "name", "description", "price")
        try:
            rewards.reward_update(
                actor=request.user,
                reward=reward,
                name=values["name"],
                description=values["description"],
                price=values["price"],  # type: ignore[arg-type]  # checked by the service
            )
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("rewards:edit", reward_id=reward.pk)
    recent = reward.redemptions.select_related("handed_over_by").order_by("-created_at")[:20]
    context = {"reward": reward, "values": values, "errors": errors, "recent": recent}
    return render(request, "points/rewards/edit.html", context)


@requires(Perm.REWARDS_MANAGE)
@require_POST
def reward_restock(request: SignedInRequest, reward_id: int) -> HttpResponseBase:
    reward = selectors.reward_get_for(user=request.user, reward_id=reward_id)
    try:
        add: Any = request.POST.get("add", "")  # checked by the service
        reward = rewards.reward_restock(actor=request.user, reward=reward, add=add)
    except ValidationError as exc:
        for message in field_errors(exc).get("add", []):
            messages.error(request, _("Add to stock") + ": " + message)
    else:
        messages.success(request, _("Stock is now %(stock)d.") % {"stock": reward.stock})
    return redirect("rewards:edit", reward_id=reward.pk)


@requires(Perm.REWARDS_MANAGE)
@require_POST
def reward_retire(request: SignedInRequest, reward_id: int) -> HttpResponseBase:
    reward = selectors.reward_get_for(user=request.user, reward_id=reward_id)
    active = request.POST.get("active") == "1"
    rewards.reward_retire(actor=request.user, reward=reward, active=active)
    if active:
        messages.success(request, _("The reward is back in the catalogue."))
    else:
        messages.success(request, _("The reward is withdrawn: no new redemptions."))
    return redirect("rewards:edit", reward_id=reward.pk)


@requires(Perm.REWARDS_HAND_OUT)
@require_http_methods(["GET", "POST"])
def exchange(request: SignedInRequest) -> HttpResponse:
    """Scan or type a voucher (GET ?code= shows it), then hand the reward over (POST)."""
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    context: dict[str, Any] = {"code": code, "may_manage": _may_manage(request)}
    status = 200
    try:
        if request.method == "POST":
            handed = rewards.voucher_hand_over(actor=request.user, code=code)
            messages.success(
                request,
                _("Handed over: %(reward)s (voucher %(code)s).")
                % {"reward": handed.reward.name, "code": rewards.voucher_display(handed.voucher)},
            )
            context["code"] = ""
            context["handed"] = handed
        elif code:
            context["voucher"] = rewards.voucher_find(actor=request.user, code=code)
    except ValidationError as exc:
        context["errors"] = field_errors(exc).get("code") or [
            m for ms in field_errors(exc).values() for m in ms
        ]
    except DomainError as exc:  # too many wrong codes
        context["errors"] = [str(exc.message)]
        status = exc.status
    if "voucher" in context:
        context["voucher_display"] = rewards.voucher_display(context["voucher"].voucher)
    return render(request, "points/rewards/exchange.html", context, status=status)


@requires(Perm.REWARDS_HAND_OUT)
def history(request: SignedInRequest) -> HttpResponse:
    rows = selectors.handed_out_for(user=request.user)
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # An issued voucher's code is the holder's to show: only its first letters here.
    rows_shown = [
        {
            "redemption": row,
            "code": rewards.voucher_display(row.voucher)
            if row.status != RedemptionStatus.ISSUED
            else row.voucher[:3] + "…",
        }
        for row in page.object_list
    ]
    context = {
        "page_obj": page,
        "rows": rows_shown,
        "status": status,
        "may_manage": _may_manage(request),
    }
    return render(request, "points/rewards/history.html", context)
