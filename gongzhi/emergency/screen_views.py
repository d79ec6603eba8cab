"""The big screen's pages: /screen/ (which screens the user may open), /screen/<area>/ (the
full-screen dashboard of a community or street) and its data, refetched every 30 s by
`static/emergency/screen.js`. Thin: the figures come from `emergency.screen`."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.accounts.decorators import requires
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.types import SignedInRequest
from gongzhi.emergency import screen
from gongzhi.emergency.models import EmergencyKind

REFRESH_SECONDS = 30


def _fresh(request: SignedInRequest) -> bool:
    """`?fresh=1` skips the cache, for staff checking a figure they just changed."""
    return request.GET.get("fresh") == "1"


def _labels() -> dict[str, Any]:
    """The words the screen's script writes, in the viewer's language (outside the cache)."""
    return {
        "figures": {
            "households": _("Households"),
            "elderly_alone": _("Elderly living alone"),
            "orders_open": _("Open work orders"),
            "orders_overdue": _("Overdue"),
            "watch_to_review": _("Watch list: to review"),
            "watch_to_verify": _("Watch list: to verify"),
            "watch_verified": _("Watch list: verified"),
            "isolation": _("In home isolation"),
            "deliveries_open": _("Lists waiting"),
            "deliveries_in_run": _("Lists being bought"),
            "deliveries_delivered": _("Delivered"),
            "deliveries_received": _("Received"),
            "supplies_low": _("Supplies below minimum"),
            "checkins_today": _("Venue check-ins today"),
            "outreach_answered": _("Outreach answered"),
            "outreach_total": _("Outreach asked"),
        },
        "trends": {
            "orders": _("Work orders filed"),
            "checkins": _("Venue check-ins"),
            "watch": _("New watch-list entries"),
        },
        "kinds": {k.value: str(k.label) for k in EmergencyKind},
        "other": _("Not in a grid"),
        "updated": _("Updated"),
        "failed": _("Could not refresh; showing the last figures."),
        "no_outlines": _("No outlines drawn for these areas yet."),
    }


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def screen_index(request: SignedInRequest) -> HttpResponse:
    """The screens the user may open; with exactly one, that one."""
    areas = screen.screen_areas_for(user=request.user)
    if len(areas) == 1:
        return redirect("screen:page", area_id=areas[0].pk)
    return render(request, "emergency/screen/index.html", {"areas": areas})


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def screen_page(request: SignedInRequest, area_id: int) -> HttpResponse:
    area = screen.screen_area_get_for(user=request.user, area_id=area_id)
    data = screen.screen_data(area, fresh=_fresh(request))
    labels = _labels()
    figures = data["figures"]
    table = [(row["name"], row["emergency"], [row[f] for f in figures]) for row in data["rows"]]
    if data["other"]:
        table.append((labels["other"], False, [data["other"][f] for f in figures]))
    context = {
        "area": area,
        "data": data,
        "labels": labels,
        "refresh_seconds": REFRESH_SECONDS,
        "panels": set(data["panels"]),
        "columns": [(f, labels["figures"][f]) for f in figures],
        "table": table,
        "total_row": [data["totals"][f] for f in figures],
        "kind_label": labels["kinds"].get(data["mode"]["kind"], ""),
    }
    return render(request, "emergency/screen/page.html", context)


@requires(Perm.EMERGENCY_VIEW)
@require_GET
def screen_data_json(request: SignedInRequest, area_id: int) -> JsonResponse:
    area = screen.screen_area_get_for(user=request.user, area_id=area_id)
    return JsonResponse(screen.screen_data(area, fresh=_fresh(request)))
