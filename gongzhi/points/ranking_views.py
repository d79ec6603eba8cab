"""Rankings pages: the workbench's (/points/rankings/: a community or grid where the user
holds points.view, a month or a year, the three lists with full names) and the phone's
(/m/points/rankings/: the viewer's own community and grid, names masked, their own place
marked). Thin: parse, call `points.rankings`, render."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import user_set_elder_mode
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.points import rankings

resident_login_required = partial(login_required, login_url="portal:login")
TOP_CHOICES = (10, 20, 50, 100)
PHONE_TOP = 10


def _top(raw: str | None) -> int:
    try:
        top = int(raw or rankings.TOP_DEFAULT)
    except ValueError:
        return rankings.TOP_DEFAULT
    return top if top in TOP_CHOICES else rankings.TOP_DEFAULT


@requires(Perm.POINTS_VIEW)
@require_GET
def ranking_page(request: SignedInRequest) -> HttpResponse:
    user = request.user
    nodes = rankings.ranking_nodes_for(user=user)
    raw_area = request.GET.get("area")
    if raw_area:
        area = rankings.ranking_node_get_for(user=user, area_id=raw_area)
    elif nodes:
        area = nodes[0]
    else:
        raise NotFound()
    error = ""
    try:
        period = rankings.period_parse(request.GET.get("period"))
    except ValidationError as exc:
        error = " ".join(exc.message_dict["period"])
        period = rankings.period_current()
    top = _top(request.GET.get("top"))
    ranking = rankings.ranking_for(user=user, area=area, period=period, top=top)
    context: dict[str, Any] = {
        "ranking": ranking,
        "nodes": nodes,
        "area": area,
        "period": period,
        "this_month": rankings.period_current("month"),
        "this_year": rankings.period_current("year"),
        "top": top,
        "top_choices": TOP_CHOICES,
        "error": error,
        "raw_period": request.GET.get("period", "") if error else period.key,
    }
    return render(request, "points/rankings/workbench.html", context, status=400 if error else 200)


@resident_login_required
@require_GET
def my_rankings(request: SignedInRequest) -> HttpResponse:
    """The viewer's community or grid, this month or this year."""
    user = request.user
    wanted = request.GET.get("elder")
    if wanted in ("1", "0"):
        user_set_elder_mode(user=user, on=wanted == "1")
    which = request.GET.get("node") if request.GET.get("node") in ("community", "grid") else None
    kind = "year" if request.GET.get("period") == "year" else "month"
    nodes = rankings.own_nodes_of(user=user)
    which = which if which in nodes else ("community" if "community" in nodes else "grid")
    period = rankings.period_current(kind)
    ranking = rankings.ranking_public(user=user, which=which, period=period, top=PHONE_TOP)
    return render(
        request,
        "points/rankings/mine.html",
        {"ranking": ranking, "nodes": nodes, "which": which, "kind": kind, "period": period},
    )
