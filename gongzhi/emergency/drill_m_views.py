"""The page the assembly point's QR opens (/m/drill/<code>/), inside the portal's frame
(390 px wide, elder mode): a participant checks in once; a second scan says when they did;
someone not in the drill, or a drill not running, is told so plainly."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import acting
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden
from gongzhi.emergency import drills
from gongzhi.emergency.models import DrillStatus


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request: SignedInRequest, code: str) -> HttpResponseBase:
    drill = drills.drill_for_code(code)  # 404 for a code that is no drill's
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "portal:login")
    person_id = acting.acting_person_id(request)
    mine = drills.participant_for(drill, user=request.user, person_id=person_id)
    context = {"drill": drill, "participant": mine, "outcome": "", "problem": ""}
    if mine is None:
        context["outcome"] = "not_participant"
    elif request.method == "POST":
        try:
            result = drills.drill_checkin(actor=request.user, drill=drill, person_id=person_id)
        except ValidationError as exc:
            context["outcome"], context["problem"] = "closed", " ".join(exc.messages)
        except Forbidden:
            context["outcome"] = "not_participant"
        else:
            context["participant"] = result.participant
            context["outcome"] = "already" if result.already else "done"
    elif mine.checked_in_at is not None:
        context["outcome"] = "already"
    elif drill.status != DrillStatus.RUNNING:
        context["outcome"] = "closed"
    return render(request, "emergency/drills/m_checkin.html", context)
