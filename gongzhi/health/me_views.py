"""/m/health/me/: my health status (健康码) with its reason, and the health data held about
me and until when; while acting for a parent (数字反哺), the parent's. Read only."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from gongzhi.accounts import acting
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.masking import mask_name
from gongzhi.health import status_selectors, sunset
from gongzhi.registry.models import Person

resident_login_required = partial(login_required, login_url="portal:login")

# The colour in words: the page never says it by colour alone.
WORDS = {"green": _("Green code"), "amber": _("Amber code"), "red": _("Red code")}
KINDS = {
    "declaration": _("Arrival declarations"),
    "booking": _("Test and vaccination bookings"),
    "test": _("Tests and their results"),
    "checkin": _("Venue check-ins"),
    "status": _("Health status"),
    "campaign": _("Answers to outreach campaigns"),
}


def _whose(request: SignedInRequest) -> tuple[int | None, bool]:
    """The person shown (the parent acted for, else one's own record) and whether it is
    someone else."""
    link = acting.acting_for(request)
    if link is not None:
        return link.person_id, True
    return acting.acting_person_id(request), False


def _name(person_id: int) -> str:
    name = Person.objects.filter(pk=person_id).values_list("name", flat=True).first()
    return mask_name(name or "")


@resident_login_required
@require_GET
def my_status(request: SignedInRequest) -> HttpResponse:
    person_id, for_someone = _whose(request)
    shown = status_selectors.status_of_person(person_id) if person_id else None
    return render(
        request,
        "health/me/status.html",
        {
            "shown": shown,
            "word": WORDS.get(shown.color, "") if shown else "",
            "for_someone": for_someone,
            "name": _name(person_id) if person_id and for_someone else "",
        },
    )


@resident_login_required
@require_GET
def my_data(request: SignedInRequest) -> HttpResponse:
    person_id, for_someone = _whose(request)
    held = sunset.held_about(person_id) if person_id else []
    return render(
        request,
        "health/me/data.html",
        {
            "has_person": person_id is not None,
            "lines": [{"label": KINDS.get(h.kind, h.kind), "held": h} for h in held],
            "policy": [(KINDS[k], sunset.retention_days(k)) for k in KINDS],
            "for_someone": for_someone,
            "name": _name(person_id) if person_id and for_someone else "",
        },
    )
