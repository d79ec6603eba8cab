"""Arrival declarations: the public form behind a community's QR link (/m/declare/<key>/,
no sign-in: a phone code confirms the number), and the workbench's pages (the list, one
declaration with the grid worker's confirmation, the printable QR poster).

Thin: reads through `declaration_selectors`, writes through `declarations`; a forged or
unknown link key is 404 before anything else.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.accounts import access, acting
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import normalize_mobile
from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import Forbidden, IllegalTransition, NotFound
from gongzhi.core.fields import reveal
from gongzhi.core.masking import mask_phone
from gongzhi.core.middleware import client_ip
from gongzhi.core.qr import qr_svg
from gongzhi.core.throttling import rate_limited
from gongzhi.health import declaration_selectors as selectors
from gongzhi.health import declarations as services
from gongzhi.health.declaration_forms import FIELD_LABELS, ConfirmForm, DeclarationForm
from gongzhi.health.models import Declaration, DeclarationStatus
from gongzhi.notifications import gateways
from gongzhi.registry.models import Area, Person

PAGE_SIZE = 50
PHONE_KEY = "gongzhi.health.declare_phone"  # the number a code was sent to (anonymous)


def _apply(form: Any, exc: ValidationError) -> None:
    """A service's errors on the form: on the field it has (not the hidden one), else
    above the form naming the field."""
    for name, problems in exc.message_dict.items():
        if name in form.fields and name != "for_person":
            form.add_error(name, problems)
        else:
            label = FIELD_LABELS.get(name, name)
            form.add_error(None, [f"{label}: {p}" for p in problems])


# --- the public form ---------------------------------------------------------------------------


def _declaring_for(request: HttpRequest) -> tuple[Person | None, Any]:
    """(the person the form is for, the proxy link when acting for a parent)."""
    user = request.user
    if not user.is_authenticated:
        return None, None
    link = acting.acting_for(request)
    if link is not None:
        return Person.objects.select_related("household").filter(pk=link.person_id).first(), link
    person = getattr(user, "person", None)
    return person, None


def _initial(request: HttpRequest, community: Area) -> dict[str, Any]:
    """Prefill: a signed-in resident's name, number and building; a proxy's parent's name
    and building (the parent's number is not shown: the proxy types it, or their own)."""
    initial: dict[str, Any] = {}
    phone = request.session.get(PHONE_KEY, "")
    person, link = _declaring_for(request)
    if person is not None and person.area_path.startswith(community.path):
        initial.update(name=person.name, building=person.household.building_id)
    if link is not None:
        initial["for_person"] = link.person_id
    elif request.user.is_authenticated and request.user.phone:
        phone = phone or reveal(request.user.phone)  # the user's own number
    if phone:
        initial["phone"] = phone
    return initial


def _form(community: Area, data: Any = None, initial: Any = None) -> DeclarationForm:
    buildings = [(b.pk, services.building_label(b)) for b in services.building_choices(community)]
    return DeclarationForm(data, initial=initial, buildings=buildings)


def _page(request: HttpRequest, key: str, community: Area, form: DeclarationForm) -> HttpResponse:
    _person, link = _declaring_for(request)
    phone = request.session.get(PHONE_KEY, "")
    context = {
        "community": community,
        "key": key,
        "form": form,
        "by_proxy": link is not None,
        "code_sent_to": mask_phone(phone) if phone else "",
        "sms_outbox_hint": gateways.is_local(),
        "elder_query": _elder_query(request),
    }
    return render(request, "health/declarations/m_form.html", context)


def _elder_query(request: HttpRequest) -> str:
    """Elder mode chosen on the link (`?elder=1`) stays on through the form's posts."""
    wanted = request.GET.get("elder")
    return f"?elder={wanted}" if wanted in ("0", "1") else ""


def _bound_without_errors(form: DeclarationForm) -> DeclarationForm:
    """The typed values, bound, with no error of Django's own: the service names them."""
    form.errors.clear()
    return form


@never_cache
@require_http_methods(["GET", "POST"])
@rate_limited()
def declare_form(request: HttpRequest, key: str) -> HttpResponse:
    community = services.community_for_key(key)
    if request.method == "GET":
        return _page(
            request, key, community, _form(community, initial=_initial(request, community))
        )
    form = _bound_without_errors(_form(community, request.POST))
    user = request.user if request.user.is_authenticated else None
    try:
        services.declaration_submit(
            community=community,
            data=form.service_data(),
            actor=user,
            for_person_id=request.POST.get("for_person") or None,
            code=request.POST.get("code", ""),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        _apply(form, exc)
        return _page(request, key, community, form)
    request.session.pop(PHONE_KEY, None)
    return redirect(reverse("declare:done", kwargs={"key": key}) + _elder_query(request))


@never_cache
@require_POST
@rate_limited()
def declare_code(request: HttpRequest, key: str) -> HttpResponse:
    """Text a code to the form's number; the form comes back as it was typed."""
    community = services.community_for_key(key)
    form = _bound_without_errors(_form(community, request.POST))
    try:
        phone = services.declare_code_request(
            phone=request.POST.get("phone", ""), ip=client_ip(request)
        )
    except ValidationError as exc:
        codes = {e.code for e in getattr(exc, "error_dict", {}).get("phone", [])}
        if "rate_limited" in codes:  # a code sent a moment ago may still be good
            with contextlib.suppress(ValidationError):
                request.session[PHONE_KEY] = normalize_mobile(request.POST.get("phone", ""))
        _apply(form, exc)
        return _page(request, key, community, form)
    request.session[PHONE_KEY] = phone
    messages.info(request, _("A code is on its way by SMS; enter it below."))
    return _page(request, key, community, form)


@require_GET
def declare_done(request: HttpRequest, key: str) -> HttpResponse:
    community = services.community_for_key(key)
    return render(request, "health/declarations/m_done.html", {"community": community, "key": key})


@login_required(login_url="portal:login")
@require_GET
def declare_mine(request: SignedInRequest) -> HttpResponseBase:
    """The declaration form of the community of the person one acts for (or one's own)."""
    person, _link = _declaring_for(request)
    if person is not None:
        community = person.household.community
        return redirect("declare:form", key=services.community_key(community))
    return render(request, "health/declarations/m_mine.html", {})


# --- the workbench -----------------------------------------------------------------------------


def _require_follow_up(user: Any) -> None:
    if not access.can(user, Perm.WATCHLIST_FOLLOW_UP):
        raise NotFound()


@login_required
@require_GET
def declaration_list(request: SignedInRequest) -> HttpResponse:
    user = request.user
    _require_follow_up(user)
    pending = request.GET.get("status") == DeclarationStatus.PENDING_PERSON
    declarations = selectors.declaration_list_for(user=user, pending=pending)
    page = Paginator(declarations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "pending": pending,
        "pending_count": selectors.pending_count_for(user=user),
        "communities": selectors.poster_communities_for(user=user),
        "symptoms": services.SYMPTOMS,
    }
    return render(request, "health/declarations/list.html", context)


def _confirm_form(
    request: SignedInRequest, declaration: Declaration, data: Any = None
) -> ConfirmForm | None:
    user = request.user
    if declaration.status != DeclarationStatus.PENDING_PERSON or not access.can(
        user, Perm.REGISTER_EDIT, declaration.area_path
    ):
        return None
    persons = [
        (p.pk, f"{p.name} · {p.household.address}")
        for p in selectors.link_candidates_for(user=user, declaration=declaration)
    ]
    households = [
        (h.pk, h.address) for h in selectors.household_choices_for(declaration=declaration)
    ]
    return ConfirmForm(data, persons=persons, households=households)


def _render_detail(
    request: SignedInRequest, declaration: Declaration, form: ConfirmForm | None
) -> HttpResponse:
    context = {
        "declaration": declaration,
        "form": form,
        "symptoms": [services.SYMPTOMS.get(s, s) for s in declaration.symptoms],
        "building": services.building_label(declaration.building) if declaration.building else "",
        # The room, for the visit: those who follow the entry up read it on the entry too.
        "room": reveal(declaration.address),
    }
    return render(request, "health/declarations/detail.html", context)


@login_required
@require_GET
def declaration_detail(request: SignedInRequest, declaration_id: int) -> HttpResponse:
    declaration = selectors.declaration_get_for(user=request.user, declaration_id=declaration_id)
    return _render_detail(request, declaration, _confirm_form(request, declaration))


@login_required
@require_POST
def declaration_confirm(request: SignedInRequest, declaration_id: int) -> HttpResponse:
    user = request.user
    declaration = selectors.declaration_get_for(user=user, declaration_id=declaration_id)
    if not access.can(user, Perm.REGISTER_EDIT, declaration.area_path):
        raise Forbidden()
    form = _confirm_form(request, declaration, request.POST)
    if form is None:
        messages.error(request, _("This declaration is already confirmed or rejected."))
        return redirect("health_declarations:detail", declaration_id=declaration.pk)
    if form.is_valid():
        try:
            services.declaration_confirm(
                actor=user,
                declaration=declaration,
                action=form.cleaned_data["action"],
                data=form.cleaned_data,
            )
        except IllegalTransition as exc:
            messages.error(request, exc.message)
            return redirect("health_declarations:detail", declaration_id=declaration.pk)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("health_declarations:detail", declaration_id=declaration.pk)
    return _render_detail(request, declaration, form)


@login_required
@require_GET
def declaration_poster(request: SignedInRequest, community_id: int) -> HttpResponse:
    """A page to print and hang in the community: its name and the declaration QR."""
    community = selectors.poster_community_get_for(user=request.user, community_id=community_id)
    url = request.build_absolute_uri(
        reverse("declare:form", kwargs={"key": services.community_key(community)})
    )
    response = render(
        request,
        "health/declarations/poster.html",
        {"community": community, "qr": qr_svg(url), "url": url},
    )
    response["Cache-Control"] = "private, no-store"
    return response
