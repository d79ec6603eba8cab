"""The points square on the phone (/m/points/, inside the portal's frame: 390 px wide,
elder mode, the "acting for" banner): activities open to me, one activity, sign up or give
the place back, my activities, a proof's upload, and the check-in page the QR opens.

Acting for a parent (`accounts.acting`), the pages are the parent's: their household
decides which activities are open, and a sign-up makes the parent the participant.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import acting
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import DomainError
from gongzhi.core.uploads import upload_limit
from gongzhi.points import activities as services
from gongzhi.points import activity_selectors as selectors
from gongzhi.points import photos
from gongzhi.points.activity_forms import CheckinForm, ProofForm
from gongzhi.points.models import ActivityStatus, ProofKind, ProofStatus
from gongzhi.registry.models import Person

resident_login_required = partial(login_required, login_url="portal:login")
LIST_LIMIT = 100


def _acting_person(request: SignedInRequest) -> Person | None:
    link = acting.acting_for(request)
    if link is None:
        return None
    return Person.objects.filter(pk=link.person_id).first()


def _say_errors(request: SignedInRequest, exc: ValidationError) -> None:
    for problem in exc.messages:
        messages.error(request, problem)


@resident_login_required
@require_GET
def activity_list(request: SignedInRequest) -> HttpResponse:
    person = _acting_person(request)
    rows = list(selectors.activities_open_for(user=request.user, person=person)[:LIST_LIMIT])
    return render(request, "points/activities/m_list.html", {"activities": rows})


@resident_login_required
@require_GET
def activity_detail(request: SignedInRequest, open_activity_id: int) -> HttpResponse:
    person = _acting_person(request)
    activity = selectors.activity_open_get(
        user=request.user, activity_id=open_activity_id, person=person
    )
    signup = selectors.signup_of(user=request.user, activity=activity, person=person)
    proofs = list(selectors.proofs_of(signup)) if signup is not None else []
    waiting = any(p.status in (ProofStatus.SUBMITTED, ProofStatus.APPROVED) for p in proofs)
    taken = getattr(activity, "taken", 0)  # annotated by the selector
    full = activity.capacity is not None and taken >= activity.capacity
    context = {
        "activity": activity,
        "signup": signup,
        "proofs": proofs,
        "can_sign_up": signup is None and activity.status == ActivityStatus.PUBLISHED and not full,
        "full": full,
        "can_prove": signup is not None
        and not waiting
        and activity.proof_kind != ProofKind.CHECKIN
        and activity.status in (ActivityStatus.PUBLISHED, ActivityStatus.CLOSED),
    }
    return render(request, "points/activities/m_detail.html", context)


@resident_login_required
@require_POST
def activity_signup(request: SignedInRequest, open_activity_id: int) -> HttpResponse:
    person = _acting_person(request)
    activity = selectors.activity_open_get(
        user=request.user, activity_id=open_activity_id, person=person
    )
    try:
        services.signup_create(actor=request.user, activity=activity, person=person)
    except ValidationError as exc:
        _say_errors(request, exc)
    else:
        messages.success(request, _("Signed up. See you there!"))
    return redirect("points_m:detail", open_activity_id=activity.pk)


@resident_login_required
@require_POST
def signup_cancel(request: SignedInRequest, signup_id: int) -> HttpResponse:
    signup = selectors.signup_get_for_participant(user=request.user, signup_id=signup_id)
    try:
        services.signup_cancel(actor=request.user, signup=signup)
    except ValidationError as exc:
        _say_errors(request, exc)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Your place was given back."))
    return redirect("points_m:mine")


@resident_login_required
@require_GET
def my_activities(request: SignedInRequest) -> HttpResponse:
    rows = list(selectors.my_signups_for(user=request.user)[:LIST_LIMIT])
    return render(request, "points/activities/m_mine.html", {"signups": rows})


@upload_limit(total=photos.MAX_VIDEO_BYTES + 1024 * 1024, per_file=photos.MAX_VIDEO_BYTES)
@resident_login_required
@require_http_methods(["GET", "POST"])
def proof_submit(request: SignedInRequest, signup_id: int) -> HttpResponseBase:
    signup = selectors.signup_get_for_participant(user=request.user, signup_id=signup_id)
    activity = signup.activity
    posted = request.method == "POST"
    form = ProofForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            proof = services.proof_submit(
                actor=request.user,
                signup=signup,
                upload=form.cleaned_data["file"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            if proof.flags:
                messages.warning(
                    request, _("Sent. A reviewer will look at it closely before it counts.")
                )
            else:
                messages.success(request, _("Sent. A reviewer will look at it soon."))
            return redirect("points_m:detail", open_activity_id=activity.pk)
    return render(
        request,
        "points/activities/m_proof.html",
        {"form": form, "signup": signup, "activity": activity},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request: SignedInRequest, token: str) -> HttpResponseBase:
    """The page the activity's QR opens: a button that checks in (with the phone's
    position, when the resident allows it). A forged or replaced token is 404 before
    anything else; a valid one asks whoever is not signed in to sign in and come back."""
    activity = services.activity_for_token(token)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "portal:login")
    form = CheckinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin(
                actor=request.user,
                token=token,
                latitude=form.cleaned_data["latitude"],
                longitude=form.cleaned_data["longitude"],
                person=_acting_person(request),
            )
        except ValidationError as exc:
            _say_errors(request, exc)
        else:
            messages.success(request, _("Checked in. Thank you for taking part!"))
            return redirect("points_m:detail", open_activity_id=activity.pk)
    return render(
        request,
        "points/activities/m_checkin.html",
        {"activity": activity, "form": form, "asks_position": activity.latitude is not None},
    )
