"""/m/points/me/: my points (the balance, each entry with its cause in plain words) and my
service hours; while acting for a parent (数字反哺), the parent's. Read only."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gongzhi.accounts import acting
from gongzhi.accounts.models import User
from gongzhi.accounts.types import SignedInRequest
from gongzhi.points import ledger_selectors
from gongzhi.points.expiry import expiry_years

resident_login_required = partial(login_required, login_url="portal:login")
LIST_LIMIT = 100


def _whose(request: SignedInRequest) -> User:
    """The signed-in user, or the parent they act for when the parent has an account."""
    link = acting.acting_for(request)
    if link is not None:
        parent = User.objects.filter(person_id=link.person_id, is_active=True).first()
        if parent is not None:
            return parent
    return request.user


@resident_login_required
@require_GET
def my_points(request: SignedInRequest) -> HttpResponse:
    holder = _whose(request)
    entries = list(ledger_selectors.entries_of(holder)[:LIST_LIMIT])
    return render(
        request,
        "points/ledger/me.html",
        {
            "holder": holder,
            "for_someone": holder.pk != request.user.pk,
            "balance": ledger_selectors.balance_of(holder),
            "hours": ledger_selectors.hours_of(holder),
            "lines": ledger_selectors.lines_of(entries),
            "expiry_years": expiry_years(),
        },
    )
