"""双报到 report-in on /m/volunteer/: a party member or volunteer signs up (signed in, or
proving their number with an SMS code: they need not be in the register), follows their
report-in, and sees the households they serve (masked as their role allows).
Thin: `workorders.reportin` and `portal.services` write; `workorders.pairings` reads."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import normalize_mobile
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.masking import mask_name, mask_phone
from gongzhi.core.middleware import client_ip
from gongzhi.core.throttling import rate_limited
from gongzhi.notifications import gateways
from gongzhi.portal import services, state
from gongzhi.portal.forms import PhoneForm, ResidentApplicationForm, SignUpCodeForm
from gongzhi.portal.views import _apply, portal_login_required
from gongzhi.registry.models import AreaKind
from gongzhi.workorders import pairings, reportin
from gongzhi.workorders.models import ReportInStatus

SIGNUP_PHONE_KEY = "gongzhi.portal.signup_phone"


def _choices() -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]]]:
    communities = reportin.community_choices()
    grids = [(c.name, [(g.pk, g.name) for g in reportin.grid_choices(c)]) for c in communities]
    return [(c.pk, c.name) for c in communities], [g for g in grids if g[1]]


def _form(request: HttpRequest, data: Any = None) -> ResidentApplicationForm:
    communities, grids = _choices()
    initial: dict[str, Any] = {}
    user = request.user
    person = getattr(user, "person", None) if user.is_authenticated else None
    if person is not None:
        initial["community"] = person.household.community_id
    if len(communities) == 1:
        initial["community"] = communities[0][0]
    return ResidentApplicationForm(data, communities=communities, grids=grids, initial=initial)


def _application(form: ResidentApplicationForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "organisation": data["organisation"],
        "skills": data["skills"],
        "free_times": data["free_times"],
        "community": reportin.area_for_choice(data["community"], AreaKind.COMMUNITY),
        "grid": reportin.area_for_choice(data["grid"], AreaKind.GRID),
        "name": data["name"],
    }


def _households(user: Any) -> list[dict[str, Any]]:
    """The households the user serves: the address, the head's name masked, and the
    head's phone masked only for a role that reads the register there."""
    out = []
    for pairing in pairings.pairings_of(user):
        household = pairing.household
        head = household.head
        reads = access.can(user, Perm.REGISTER_VIEW, household.area_path)
        out.append(
            {
                "address": household.address,
                "head": mask_name(head.name) if head is not None else "",
                "phone": str(head.phone) if reads and head is not None and head.phone else "",
                "since": pairing.since,
            }
        )
    return out


def _page(request: HttpRequest, **extra: Any) -> HttpResponse:
    phone = request.session.get(SIGNUP_PHONE_KEY, "")
    signed_in = request.user.is_authenticated
    reports = list(reportin.reportins_of(request.user)[:5]) if signed_in else []
    context = {
        "signed_in": signed_in,
        "reports": reports,
        "waiting": any(r.status == ReportInStatus.PENDING for r in reports),
        "households": _households(request.user) if signed_in else [],
        "form": extra.get("form") or _form(request),
        "phone_form": extra.get("phone_form") or PhoneForm(),
        "code_form": extra.get("code_form") or SignUpCodeForm(),
        "phone_masked": mask_phone(phone) if phone else "",
        "sms_outbox_hint": gateways.is_local(),
    }
    return render(request, "portal/volunteer.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited()
def volunteer(request: HttpRequest) -> HttpResponse:
    """Report in (双报到), or follow one's report-in and see one's households."""
    state.remember_elder_choice(request)
    if request.GET.get("phone") == "change":
        request.session.pop(SIGNUP_PHONE_KEY, None)
    if request.method == "GET":
        return _page(request)
    form = _form(request, request.POST)
    if request.user.is_authenticated:
        if form.is_valid():
            try:
                reportin.reportin_submit(actor=request.user, **_application(form))
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, _("Report-in sent. You are told when it is decided."))
                return redirect("portal:volunteer")
        return _page(request, form=form)
    phone = request.session.get(SIGNUP_PHONE_KEY, "")
    code_form = SignUpCodeForm(request.POST)
    if not phone:
        return _page(request, form=form)
    if form.is_valid() and code_form.is_valid():
        try:
            user, _report = services.reportin_sign_up(
                phone=phone,
                code=code_form.cleaned_data["code"],
                ip=client_ip(request),
                application=_application(form),
            )
        except ValidationError as exc:
            errors = getattr(exc, "error_dict", {})
            if "code" in errors:
                code_form.add_error("code", errors.pop("code"))
            if errors:
                _apply(form, ValidationError(errors))
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            state.carry_elder_choice(request, user)
            request.session.pop(SIGNUP_PHONE_KEY, None)
            messages.success(request, _("Report-in sent. You are told when it is decided."))
            return redirect("portal:volunteer")
    return _page(request, form=form, code_form=code_form)


@never_cache
@require_POST
@rate_limited()
def volunteer_code(request: HttpRequest) -> HttpResponse:
    """Text a code to the number of someone reporting in who is not signed in."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _page(request, phone_form=form)
    try:
        services.signup_code_request(phone=form.cleaned_data["phone"], ip=client_ip(request))
    except ValidationError as exc:
        codes = {e.code for e in getattr(exc, "error_dict", {}).get("phone", [])}
        if "rate_limited" in codes:
            _remember(request, form.cleaned_data["phone"])
        _apply(form, exc)
        return _page(request, phone_form=form)
    _remember(request, form.cleaned_data["phone"])
    messages.info(request, _("A code is on its way by SMS."))
    return redirect("portal:volunteer")


def _remember(request: HttpRequest, phone: str) -> None:
    with contextlib.suppress(ValidationError):
        request.session[SIGNUP_PHONE_KEY] = normalize_mobile(phone)


@portal_login_required
@require_POST
def volunteer_withdraw(request: SignedInRequest) -> HttpResponse:
    report = get_by_id(reportin.reportins_of(request.user), request.POST.get("report", ""))
    try:
        reportin.reportin_withdraw(actor=request.user, report=report)
    except ValidationError:
        raise NotFound() from None
    messages.success(request, _("Report-in withdrawn."))
    return redirect("portal:volunteer")
