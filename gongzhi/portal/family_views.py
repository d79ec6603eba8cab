"""Family proxies (数字反哺) on /m/family/: ask to act for a parent, follow the requests,
stop acting for someone. The answer to a request is "sent", whoever it named.
Thin: `registry.proxies` reads and writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gongzhi.accounts.types import SignedInRequest
from gongzhi.core.errors import NotFound
from gongzhi.core.lookup import get_by_id
from gongzhi.core.throttling import rate_limited
from gongzhi.portal import selectors, state
from gongzhi.portal.forms import ProxyRequestForm
from gongzhi.portal.views import _apply, portal_login_required
from gongzhi.registry import proxies


def _page(request: SignedInRequest, form: ProxyRequestForm | None = None) -> HttpResponse:
    context = {
        "form": form or ProxyRequestForm(),
        "requests": list(proxies.proxy_requests_of(request.user)[:10]),
        "choices": selectors.proxy_choices_for(request.user),
    }
    return render(request, "portal/family.html", context)


@never_cache
@portal_login_required
@require_http_methods(["GET", "POST"])
@rate_limited()
def family(request: SignedInRequest) -> HttpResponse:
    state.remember_elder_choice(request)
    if request.method == "GET":
        return _page(request)
    form = ProxyRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            proxies.proxy_request_create(
                actor=request.user,
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                relation=data["relation"],
                label=data["label"],
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Request sent. Their grid worker or building head checks it; you are "
                    "told when it is confirmed."
                ),
            )
            return redirect("portal:family")
    return _page(request, form)


@portal_login_required
@require_POST
def family_end(request: SignedInRequest) -> HttpResponse:
    """Stop acting for someone (ends the link for good)."""
    proxies.proxy_link_end_own(actor=request.user, link_id=request.POST.get("link", ""))
    messages.success(request, _("You no longer act for them."))
    return redirect("portal:family")


@portal_login_required
@require_POST
def family_withdraw(request: SignedInRequest) -> HttpResponse:
    found = get_by_id(proxies.proxy_requests_of(request.user), request.POST.get("request", ""))
    try:
        proxies.proxy_request_withdraw(actor=request.user, request=found)
    except ValidationError:
        raise NotFound() from None
    messages.success(request, _("Request withdrawn."))
    return redirect("portal:family")
